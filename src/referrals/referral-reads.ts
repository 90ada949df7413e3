/**
 * Reads of patient data are audit events, as FHIR servers record reads: who opened which referral
 * (or its audit trail), and who read the review queue with which filters and how many referrals it
 * showed; never the patient data itself. Each is written in the hash chain before the answer is
 * sent, like every other event, so that a read is never answered unrecorded.
 */
import { randomUUID } from 'node:crypto';
import { appendAuditEvents } from '../audit/audit-trail.js';
import { maySeeReferral, type DenialSink } from '../auth/access-policy.js';
import type { Actor, Principal } from '../auth/principal.js';
import { ApiError } from '../domain/error-catalogue.js';
import type { Database } from '../store/database.js';
import { findReferral, isUuid, type StoredReferral } from '../store/referral-store.js';

export interface ReadDeps {
  db: Database;
  clock: () => Date;
}

/** What was read of one referral: by a clinician, the referral or its audit trail; by a clinical lead, a referral an impact simulation named. */
export type ReferralView = 'referral' | 'audit-trail' | 'simulation';

/** `simulation`: the rule set and version whose impact simulation named the referral (a lead's read). */
export async function recordReferralRead(deps: ReadDeps, actor: Actor, referralId: string, view: ReferralView, simulation?: { id: string; version: string; comparedWith: string }): Promise<void> {
  await deps.db.transaction((tx) =>
    appendAuditEvents(tx, [{
      id: randomUUID(), referralId, type: 'referral.read', actor: actor.id, actorRole: actor.role, occurredAt: deps.clock(), ruleset: null,
      details: { view, ...(simulation ? { simulationOf: `${simulation.id} ${simulation.version}`, comparedWith: simulation.comparedWith } : {}) },
    }]),
  );
}

/** The queue's filters are coded values (status, pathway, urgency, practice ODS code) and counts: no patient data. */
export async function recordQueueRead(deps: ReadDeps, actor: Actor, filters: Record<string, string | number | boolean | null>, shown: number): Promise<void> {
  await deps.db.transaction((tx) =>
    appendAuditEvents(tx, [{ id: randomUUID(), referralId: null, type: 'referral.queue-read', actor: actor.id, actorRole: actor.role, occurredAt: deps.clock(), ruleset: null, details: { ...filters, shown } }]),
  );
}

/**
 * The referral, if this caller may see it. Another practice's referral and an id that names none are
 * both "not found", and both recorded the same way, so that the two 404s take the same time and
 * neither tells the caller that a referral exists. Recorded if possible: a failed write must not turn
 * the 404 into a 5xx. The id is recorded only when it is a UUID (a path may hold anything typed).
 */
export async function visibleReferral(
  deps: { db: Database; recordDenial: DenialSink },
  asked: { principal: Principal; method: string; route: string; requestId?: string },
  id: string,
): Promise<StoredReferral> {
  const referral = await findReferral(deps.db, id);
  if (referral && maySeeReferral(asked.principal, referral.practiceOds)) return referral;
  const reason = referral ? 'other-practice' : 'no-such-referral';
  await deps.recordDenial({ ...asked, reason, ...(isUuid(id) ? { referralId: id } : {}) }).catch(() => undefined);
  throw new ApiError('REFERRAL_NOT_FOUND');
}
