/**
 * Submitting a referral: validate it, evaluate it, and store the referral, its decision, the audit
 * events and the idempotency key in one transaction; answer only after the commit. If evaluation
 * fails, the referral is still stored, with no route, and queued for manual triage: never routed by
 * accident.
 *
 * Idempotency-Key: the same key and body again get the stored answer; the same key with another body
 * is 422; the same key while the first request is still in flight is 409 (an in-process set, and a
 * transaction-scoped advisory lock on the key for other instances on the same PostgreSQL).
 */
import { randomUUID } from 'node:crypto';
import type { Decision } from '../generated/decision.js';
import type { Referral } from '../generated/referral.js';
import { ApiError } from '../domain/error-catalogue.js';
import { appendAuditEvents } from '../audit/audit-trail.js';
import type { AuditEventInput } from '../domain/audit-event-types.js';
import { ChannelDisagreement, EvaluationError } from '../rules/compiled-rule-set.js';
import { contentHash } from '../rules/content-hash.js';
import { issuesFrom } from '../schemas/schema-issues.js';
import { validateReferral } from '../schemas/schema-registry.js';
import type { Database } from '../store/database.js';
import {
  findIdempotencyRecord,
  insertDecision,
  insertIdempotencyRecord,
  insertReferral,
  tryLockKey,
  type ReferralStatus,
  type StoredDecision,
} from '../store/referral-store.js';
import { evaluateReferral, type TriageDeps } from './triage-referral.js';
import type { Actor, Principal } from '../auth/principal.js';

export interface SubmissionDeps extends TriageDeps {
  db: Database;
  /** Keys whose first request this process is still handling. */
  keysInFlight: Set<string>;
  actor: Actor;
  /**
   * The referral is the synthetic data generator's, not a real patient's: stored marked so (and its
   * referral.submitted event says so), which keeps it out of the queue and every bulk reading. Only
   * the generator sets it; the referral contract has no such field, so no request can.
   */
  synthetic?: boolean;
  /** Idempotency keys are one caller's own: the same key from another practice is another key. */
  idempotencyScope: string;
  /** Refuses a valid referral this caller may not make (a GP for another practice): throws. */
  mayRefer?: (referral: Referral) => Promise<void>;
}

export interface SubmissionAnswer {
  status: 201 | 202;
  body: { id: string; status: ReferralStatus; decision: Decision | null };
  location: string;
  /** true when this is the stored answer to an earlier request with the same Idempotency-Key */
  replayed: boolean;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export const referralLocation = (id: string) => `/api/v1/referrals/${id}`;

function replay(record: { requestSha256: string; responseStatus: number; responseBody: unknown }, requestSha256: string): SubmissionAnswer {
  if (record.requestSha256 !== requestSha256) throw new ApiError('IDEMPOTENCY_KEY_REUSED');
  const body = record.responseBody as SubmissionAnswer['body'];
  return { status: record.responseStatus as 201 | 202, body, location: referralLocation(body.id), replayed: true };
}

/** Whose idempotency keys a caller's are: a GP's practice's (its clinical system and its GPs' forms alike), anyone else's their own. */
export const idempotencyScopeOf = (principal: Pick<Principal, 'practice' | 'id'>): string => principal.practice ?? principal.id;

// Visible ASCII holds no space, so the scope and the key cannot run into each other.
const scopedKey = (scope: string, key: string): string => `${scope} ${key}`;

/** The id of the referral a submission with this key stored in this scope, if one did: the form's Back button asks. */
export async function referralSubmittedWith(db: Database, scope: string, idempotencyKey: string): Promise<string | undefined> {
  const record = await findIdempotencyRecord(db, scopedKey(scope, idempotencyKey));
  return (record?.responseBody as SubmissionAnswer['body'] | undefined)?.id;
}

export async function submitReferral(deps: SubmissionDeps, body: unknown, idempotencyKey?: string): Promise<SubmissionAnswer> {
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    throw new ApiError('IDEMPOTENCY_KEY_INVALID', [{ path: '/', message: 'Idempotency-Key must be 1 to 255 visible ASCII characters' }]);
  }
  if (!validateReferral(body)) throw new ApiError('REFERRAL_INVALID', issuesFrom(validateReferral.errors));
  const referral: Referral = body;
  await deps.mayRefer?.(referral);
  const requestSha256 = contentHash(referral);

  if (idempotencyKey === undefined) return store(deps, referral, undefined, requestSha256);
  const key = scopedKey(deps.idempotencyScope, idempotencyKey);
  if (deps.keysInFlight.has(key)) throw new ApiError('IDEMPOTENCY_IN_FLIGHT');
  deps.keysInFlight.add(key);
  try {
    const earlier = await findIdempotencyRecord(deps.db, key);
    if (earlier) return replay(earlier, requestSha256);
    return await store(deps, referral, key, requestSha256);
  } finally {
    deps.keysInFlight.delete(key);
  }
}

async function store(deps: SubmissionDeps, referral: Referral, key: string | undefined, requestSha256: string): Promise<SubmissionAnswer> {
  const now = deps.clock();
  const id = randomUUID();
  const synthetic = deps.synthetic === true;
  let decision: Decision | null = null;
  let failure: string | null = null;
  let disagreement: ChannelDisagreement['disagreement'] | null = null;
  try {
    decision = await evaluateReferral(deps, referral);
  } catch (error) {
    if (!(error instanceof EvaluationError)) throw error;
    failure = error.cause instanceof Error ? error.cause.name : error.name;
    if (error instanceof ChannelDisagreement) disagreement = error.disagreement;
  }
  const status: ReferralStatus = decision === null ? 'awaiting-manual-triage' : decision.reviewRequired ? 'awaiting-review' : 'routed';
  const stored: StoredDecision = {
    id: randomUUID(),
    referralId: id,
    source: decision === null ? 'evaluation-failed' : 'rules',
    replacesDecisionId: null,
    pathway: decision?.pathway ?? null,
    urgency: decision?.urgency ?? null,
    service: decision?.service ?? null,
    reviewRequired: decision?.reviewRequired ?? null,
    ruleset: decision?.ruleset ?? null,
    evaluationDate: decision?.evaluationDate ?? null,
    decision,
    reason: null,
    decidedBy: decision === null ? 'system' : 'rules',
    createdAt: now,
  };
  const answer: SubmissionAnswer = {
    status: decision === null ? 202 : 201,
    body: { id, status, decision },
    location: referralLocation(id),
    replayed: false,
  };
  const event = (type: AuditEventInput['type'], details: AuditEventInput['details']): AuditEventInput => ({
    id: randomUUID(), referralId: id, type, actor: deps.actor.id, actorRole: deps.actor.role, occurredAt: now, ruleset: decision?.ruleset ?? null, details,
  });

  return deps.db.transaction(async (tx) => {
    if (key !== undefined) {
      if (!(await tryLockKey(tx, key))) throw new ApiError('IDEMPOTENCY_IN_FLIGHT');
      const earlier = await findIdempotencyRecord(tx, key);
      if (earlier) return replay(earlier, requestSha256);
    }
    await insertReferral(tx, { id, practiceOds: referral.referrer.odsCode, referral, status, currentDecisionId: stored.id, pathway: stored.pathway, urgency: stored.urgency, receivedAt: now, updatedAt: now, synthetic });
    await insertDecision(tx, stored);
    if (key !== undefined) {
      await insertIdempotencyRecord(tx, key, { requestSha256, responseStatus: answer.status, responseBody: answer.body, referralId: id, at: now });
    }
    // Last: the audit chain's lock serialises all submissions, so it is held only until the commit.
    await appendAuditEvents(tx, [
      // Marked only when synthetic: a real submission's event is recorded as it always was.
      event('referral.submitted', { practiceOds: referral.referrer.odsCode, idempotencyKeyUsed: key !== undefined, ...(synthetic ? { synthetic } : {}) }),
      ...(disagreement ? [event('evaluation.disagreement', { decisionId: stored.id, ...disagreement })] : []),
      decision === null
        ? event('referral.evaluation-failed', { decisionId: stored.id, failure })
        : event('referral.decided', {
            decisionId: stored.id, outcome: decision.outcome, winningRule: decision.winningRule, pathway: decision.pathway,
            urgency: decision.urgency, service: decision.service, reviewRequired: decision.reviewRequired, evaluationDate: decision.evaluationDate,
          }),
    ]);
    return answer;
  });
}
