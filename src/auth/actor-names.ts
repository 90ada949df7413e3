/**
 * Who an actor id is, as a person reads it: a command-line token's holder by name and role, the
 * rules, the service; the audit trail keeps only the pseudonymous id (`token:<uuid>`), and this is
 * for a clinician's eyes (the API's decidedByName, the pages), never for a log.
 */
import type { Role } from '../domain/roles.js';
import type { Queryable } from '../store/database.js';
import { tokenNames } from '../store/token-store.js';

const ROLE_WORDS: Readonly<Record<Role, string>> = { gp: 'GP', 'triage-clinician': 'triage clinician', 'clinical-lead': 'clinical lead', operator: 'operator' };

export async function actorNames(db: Queryable, actors: readonly string[]): Promise<Map<string, string>> {
  const tokenIds = actors.filter((a) => /^token:[0-9a-f-]{36}$/.test(a)).map((a) => a.slice('token:'.length));
  const names = await tokenNames(db, [...new Set(tokenIds)]);
  return new Map(
    actors.map((a) => {
      const held = names.get(a.slice('token:'.length));
      if (held) return [a, `${held.name} (${ROLE_WORDS[held.role]})`];
      if (a === 'rules') return [a, 'The triage rules'];
      if (a === 'system') return [a, 'The service'];
      if (a.startsWith('oidc:')) return [a, 'A person signed in through the identity provider'];
      if (a.startsWith('cli:')) return [a, `The command line (${a.slice(4)})`];
      return [a, a];
    }),
  );
}
