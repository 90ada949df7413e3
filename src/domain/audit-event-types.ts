/**
 * What an audit event records: its types and its fields, shared by the use cases that write events,
 * the store that keeps them and the views that answer them. Its place in the hash chain is built by
 * src/audit/audit-event.ts.
 */
export const AUDIT_EVENT_TYPES = [
  'referral.submitted',
  'referral.decided',
  'referral.evaluation-failed',
  'evaluation.disagreement',
  'referral.reviewed',
  'referral.overridden',
  'referral.replayed',
  'referral.found-by-search',
  'ruleset.approved',
  'ruleset.activated',
  'ruleset.activation-scheduled',
  'ruleset.schedule-cancelled',
  'access.denied',
  'referral.read',
  'referral.queue-read',
  'token.created',
  'token.revoked',
  'session.started',
  'session.ended',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface RuleSetRef {
  id: string;
  version: string;
  sha256: string;
}

/** What a use case says happened. */
export interface AuditEventInput {
  id: string;
  referralId: string | null;
  type: AuditEventType;
  /** who: a pseudonymous id (`token:<uuid>`, `oidc:<hash>`, `cli:<user>`, `system`) */
  actor: string;
  /** the actor's role: gp, triage-clinician, clinical-lead, operator or system (null on rows written before roles were recorded) */
  actorRole: string | null;
  occurredAt: Date;
  ruleset: RuleSetRef | null;
  /** ids, codes and coded values only: never patient data */
  details: Record<string, string | number | boolean | null>;
}

export interface AuditEvent extends AuditEventInput {
  seq: number;
  prevHash: string;
  hash: string;
  /** the id of the audit key that signed the row, and its HMAC of `hash` (null on rows written before rows were signed) */
  keyId: string | null;
  mac: string | null;
}
