/**
 * Reads of patient data are audit events, as FHIR servers record reads: who opened which referral
 * (or its audit trail), and who read the review queue with which filters and how many referrals it
 * showed; never the patient data itself. Each is written in the hash chain before the answer is
 * sent, like every other event, so that a read is never answered unrecorded.
 */
import { randomUUID } from 'node:crypto';
import { appendAuditEvents } from '../audit/audit-trail.js';
import type { Actor } from '../auth/principal.js';
import type { Database } from '../store/database.js';

export interface ReadDeps {
  db: Database;
  clock: () => Date;
}

/** What was read of one referral. */
export type ReferralView = 'referral' | 'audit-trail';

export async function recordReferralRead(deps: ReadDeps, actor: Actor, referralId: string, view: ReferralView): Promise<void> {
  await deps.db.transaction((tx) =>
    appendAuditEvents(tx, [{ id: randomUUID(), referralId, type: 'referral.read', actor: actor.id, actorRole: actor.role, occurredAt: deps.clock(), ruleset: null, details: { view } }]),
  );
}

/** The queue's filters are coded values (status, pathway, urgency, practice ODS code) and counts: no patient data. */
export async function recordQueueRead(deps: ReadDeps, actor: Actor, filters: Record<string, string | number | boolean | null>, shown: number): Promise<void> {
  await deps.db.transaction((tx) =>
    appendAuditEvents(tx, [{ id: randomUUID(), referralId: null, type: 'referral.queue-read', actor: actor.id, actorRole: actor.role, occurredAt: deps.clock(), ruleset: null, details: { ...filters, shown } }]),
  );
}
