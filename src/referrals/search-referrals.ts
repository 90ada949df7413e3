/**
 * A triage clinician's search by NHS number. It reveals a patient, so each search is recorded: one
 * `referral.found-by-search` audit event for each referral it found (one with no referral when it
 * found none), with who searched and how many were found; never the number itself.
 */
import { randomUUID } from 'node:crypto';
import { appendAuditEvents } from '../audit/audit-trail.js';
import type { Actor } from '../auth/principal.js';
import type { Database } from '../store/database.js';
import { referralsOfNhsNumber, type QueueRow } from '../store/referral-store.js';

export const MAX_SEARCH_RESULTS = 50;

export async function searchByNhsNumber(deps: { db: Database; clock: () => Date; actor: Actor }, nhsNumber: string): Promise<QueueRow[]> {
  return deps.db.transaction(async (tx) => {
    const rows = await referralsOfNhsNumber(tx, nhsNumber, MAX_SEARCH_RESULTS);
    const now = deps.clock();
    const found = rows.length === 0 ? [null] : rows.map((row) => row.referral.id);
    await appendAuditEvents(
      tx,
      found.map((referralId) => ({ id: randomUUID(), referralId, type: 'referral.found-by-search' as const, actor: deps.actor.id, actorRole: deps.actor.role, occurredAt: now, ruleset: null, details: { by: 'nhs-number', resultCount: rows.length } })),
    );
    return rows;
  });
}
