/**
 * Who is calling: an authenticated principal, as the access policy and the audit trail see it.
 * `id` is pseudonymous (a token's id, or a hash of an identity provider's subject); `name` is the
 * name a person signs with (approvals), never logged.
 */
import type { Role } from '../domain/roles.js';

/** An ODS organisation code: a GP practice is one letter and five digits (A81001); others vary. */
export const ODS_CODE = /^[A-Z0-9]{3,10}$/;

export interface Principal {
  /** pseudonymous: `token:<uuid>` or `oidc:<hash>` */
  id: string;
  role: Role;
  /** the ODS code of a GP's practice (always set for a GP) */
  practice?: string;
  /** the name a person signs with, for approvals (not logged) */
  name: string;
  via: 'token' | 'oidc';
}

/** The actor of things the service's own operators do at the command line, or the service itself. */
export interface Actor {
  id: string;
  role: Role | 'operator' | 'system';
  /** a person's display name, where what they did shows who acted (reviews, overrides); never in the audit trail or a log */
  name?: string;
}

export const actorOf = (principal: Principal): Actor => ({ id: principal.id, role: principal.role, name: principal.name });
