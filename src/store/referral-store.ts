/**
 * The SQL for referrals, their decisions and reviews, and idempotency keys. Rows in, records out;
 * no clinical logic here. Decisions and reviews are insert-only (the database refuses updates).
 */
import type { Decision, Pathway, Urgency } from '../generated/decision.js';
import type { Referral } from '../generated/referral.js';
import { urgencyRank } from '../domain/route-order.js';
import type { SyntheticSelection } from '../domain/synthetic-data.js';
import type { Queryable } from './database.js';

export type ReferralStatus = 'routed' | 'awaiting-review' | 'awaiting-manual-triage' | 'reviewed';
export type DecisionSource = 'rules' | 'override' | 'evaluation-failed';

export interface StoredReferral {
  id: string;
  practiceOds: string;
  referral: Referral;
  status: ReferralStatus;
  currentDecisionId: string | null;
  pathway: Pathway | null;
  urgency: Urgency | null;
  receivedAt: Date;
  updatedAt: Date;
  /** made by the synthetic data generator, not a real patient's: set when stored, never changed */
  synthetic: boolean;
}

export interface StoredDecision {
  id: string;
  referralId: string;
  source: DecisionSource;
  replacesDecisionId: string | null;
  pathway: Pathway | null;
  urgency: Urgency | null;
  service: string | null;
  reviewRequired: boolean | null;
  ruleset: { id: string; version: string; sha256: string } | null;
  evaluationDate: string | null;
  decision: Decision | null;
  reason: string | null;
  decidedBy: string;
  /** who decided, by name and role, for a person's decision (an override); null for the rules' */
  decidedByName?: string | null;
  decidedByRole?: string | null;
  createdAt: Date;
}

/** Queue order: no route first (manual triage), then emergency, very-urgent, urgent, soon, routine. */
export function queueRank(urgency: Urgency | null): number {
  return urgency === null ? 0 : urgencyRank(urgency) + 1;
}

interface ReferralRow {
  id: string;
  practice_ods: string;
  referral: Referral;
  status: ReferralStatus;
  current_decision_id: string | null;
  pathway: Pathway | null;
  urgency: Urgency | null;
  received_at: Date;
  updated_at: Date;
  synthetic: boolean;
}

const referralFromRow = (row: ReferralRow): StoredReferral => ({
  id: row.id,
  practiceOds: row.practice_ods,
  referral: row.referral,
  status: row.status,
  currentDecisionId: row.current_decision_id,
  pathway: row.pathway,
  urgency: row.urgency,
  receivedAt: row.received_at,
  updatedAt: row.updated_at,
  synthetic: row.synthetic,
});

interface DecisionRow {
  id: string;
  referral_id: string;
  source: DecisionSource;
  replaces_decision_id: string | null;
  pathway: Pathway | null;
  urgency: Urgency | null;
  service: string | null;
  review_required: boolean | null;
  ruleset_id: string | null;
  ruleset_version: string | null;
  ruleset_sha256: string | null;
  evaluation_date: string | null;
  decision: Decision | null;
  reason: string | null;
  decided_by: string;
  decided_by_name: string | null;
  decided_by_role: string | null;
  created_at: Date;
}

const DECISION_COLUMNS = `id, referral_id, source, replaces_decision_id, pathway, urgency, service, review_required,
  ruleset_id, ruleset_version, ruleset_sha256, to_char(evaluation_date, 'YYYY-MM-DD') as evaluation_date, decision, reason, decided_by, decided_by_name, decided_by_role, created_at`;

const decisionFromRow = (row: DecisionRow): StoredDecision => ({
  id: row.id,
  referralId: row.referral_id,
  source: row.source,
  replacesDecisionId: row.replaces_decision_id,
  pathway: row.pathway,
  urgency: row.urgency,
  service: row.service,
  reviewRequired: row.review_required,
  ruleset: row.ruleset_id && row.ruleset_version && row.ruleset_sha256 ? { id: row.ruleset_id, version: row.ruleset_version, sha256: row.ruleset_sha256 } : null,
  evaluationDate: row.evaluation_date,
  decision: row.decision,
  reason: row.reason,
  decidedBy: row.decided_by,
  decidedByName: row.decided_by_name,
  decidedByRole: row.decided_by_role,
  createdAt: row.created_at,
});

/** Inserts a referral; its current decision may be inserted later in the same transaction (the key is deferred). */
export async function insertReferral(tx: Queryable, r: StoredReferral): Promise<void> {
  await tx.query(
    `insert into referrals (id, practice_ods, referral, status, current_decision_id, queue_rank, pathway, urgency, received_at, updated_at, synthetic)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [r.id, r.practiceOds, JSON.stringify(r.referral), r.status, r.currentDecisionId, queueRank(r.urgency), r.pathway, r.urgency, r.receivedAt, r.updatedAt, r.synthetic],
  );
}

export async function insertDecision(tx: Queryable, d: StoredDecision): Promise<void> {
  await tx.query(
    `insert into decisions (id, referral_id, source, replaces_decision_id, pathway, urgency, service, review_required,
       ruleset_id, ruleset_version, ruleset_sha256, evaluation_date, decision, reason, decided_by, created_at, decided_by_name, decided_by_role)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
    [d.id, d.referralId, d.source, d.replacesDecisionId, d.pathway, d.urgency, d.service, d.reviewRequired, d.ruleset?.id ?? null,
      d.ruleset?.version ?? null, d.ruleset?.sha256 ?? null, d.evaluationDate, d.decision === null ? null : JSON.stringify(d.decision),
      d.reason, d.decidedBy, d.createdAt, d.decidedByName ?? null, d.decidedByRole ?? null],
  );
}

/**
 * The review's change to its referral (reviewed; an override's decision becomes the current one), made
 * by the database from the review row alone (msk_apply_review, migration 014): the runtime role may
 * not update a referral itself.
 */
export async function applyReview(tx: Queryable, reviewId: string): Promise<void> {
  await tx.query('select msk_apply_review($1)', [reviewId]);
}

const REFERRAL_LOCK = 7_240_002;

/** Holds the referral for the rest of the transaction (an advisory lock: the runtime role may not select for update). */
export async function lockReferral(tx: Queryable, referralId: string): Promise<void> {
  if (isUuid(referralId)) await tx.query('select pg_advisory_xact_lock($1, hashtext($2))', [REFERRAL_LOCK, referralId]);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);

export async function findReferral(db: Queryable, id: string): Promise<StoredReferral | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.query<ReferralRow>('select * from referrals where id = $1', [id]);
  return row ? referralFromRow(row) : undefined;
}

export async function decisionsOf(db: Queryable, referralId: string): Promise<StoredDecision[]> {
  const rows = await db.query<DecisionRow>(`select ${DECISION_COLUMNS} from decisions where referral_id = $1 order by created_at, id`, [referralId]);
  return rows.map(decisionFromRow);
}

/** A clinician's review of a referral, with who reviewed by name and role (null name and role for reviews before migration 010). */
export interface StoredReview {
  id: string;
  outcome: 'confirmed' | 'overridden';
  reviewedDecisionId: string;
  newDecisionId: string | null;
  reason: string | null;
  reviewer: string;
  reviewerName: string | null;
  reviewerRole: string | null;
  createdAt: Date;
}

export async function reviewsOf(db: Queryable, referralId: string): Promise<StoredReview[]> {
  const rows = await db.query<{ id: string; outcome: 'confirmed' | 'overridden'; reviewed_decision_id: string; new_decision_id: string | null; reason: string | null; reviewer: string; reviewer_name: string | null; reviewer_role: string | null; created_at: Date }>(
    'select id, outcome, reviewed_decision_id, new_decision_id, reason, reviewer, reviewer_name, reviewer_role, created_at from reviews where referral_id = $1 order by created_at, id',
    [referralId],
  );
  return rows.map((r) => ({
    id: r.id, outcome: r.outcome, reviewedDecisionId: r.reviewed_decision_id, newDecisionId: r.new_decision_id, reason: r.reason,
    reviewer: r.reviewer, reviewerName: r.reviewer_name, reviewerRole: r.reviewer_role, createdAt: new Date(r.created_at),
  }));
}

export async function findDecision(db: Queryable, id: string): Promise<StoredDecision | undefined> {
  const [row] = await db.query<DecisionRow>(`select ${DECISION_COLUMNS} from decisions where id = $1`, [id]);
  return row ? decisionFromRow(row) : undefined;
}

/** The condition on `referrals` (as `table`) that selects the referrals asked for; none for `include`. */
function syntheticCondition(selection: SyntheticSelection, table = 'referrals'): string | undefined {
  return selection === 'include' ? undefined : `${selection === 'only' ? '' : 'not '}${table}.synthetic`;
}

const whereAll = (conditions: ReadonlyArray<string | undefined>): string => {
  const present = conditions.filter((c): c is string => c !== undefined);
  return present.length > 0 ? `where ${present.join(' and ')}` : '';
};

/**
 * One page of referrals for bulk work (simulation), oldest first, after the one named by `after`
 * (keyset paging on the referrals_arrival index: no offset to skip); real ones only unless
 * `synthetic` asks for the others. The page is one JSON text made by the database, an array of
 * [id, referral] pairs, so that it is read as one value and parsed (or sent to a thread) in one go:
 * reading rows one by one costs the embedded database more than making the text.
 */
export async function referralsJsonPage(
  db: Queryable,
  limit: number,
  synthetic: SyntheticSelection,
  after?: { receivedAt: string; id: string },
): Promise<{ count: number; json: string; last?: { receivedAt: string; id: string } }> {
  const where = whereAll([after ? '(r.received_at, r.id) > ($2::timestamptz, $3::uuid)' : undefined, syntheticCondition(synthetic, 'r')]);
  // Ordered by the columns themselves (named by table), never by a text of them; the last arrival
  // time is given as the database writes it, so that the next page starts exactly after it.
  const [row] = await db.query<{ count: number; json: string | null; last_received_at: string | null; last_id: string | null }>(
    `select count(*)::int as count,
            json_agg(json_build_array(p.id, p.referral) order by p.received_at, p.id)::text as json,
            ((array_agg(p.received_at order by p.received_at desc, p.id desc))[1])::text as last_received_at,
            (array_agg(p.id order by p.received_at desc, p.id desc))[1] as last_id
       from (select r.id, r.received_at, r.referral from referrals r ${where} order by r.received_at, r.id limit $1) p`,
    after ? [limit, after.receivedAt, after.id] : [limit],
  );
  if (!row?.json || row.last_received_at === null || row.last_id === null) return { count: 0, json: '[]' };
  return { count: row.count, json: row.json, last: { receivedAt: row.last_received_at, id: row.last_id } };
}

/** Every referral that has a decision made by the rules (replay of them all), of those asked for. */
export async function referralIdsDecidedByRules(db: Queryable, synthetic: SyntheticSelection): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `select distinct d.referral_id as id from decisions d join referrals on referrals.id = d.referral_id
      ${whereAll(["d.source = 'rules'", syntheticCondition(synthetic)])}`,
  );
  return rows.map((r) => r.id);
}

/** Whether any real referral (one not made by the synthetic data generator) is stored. */
export async function holdsRealReferrals(db: Queryable): Promise<boolean> {
  const [row] = await db.query<{ real: boolean }>('select exists (select 1 from referrals where not synthetic) as real');
  return row?.real === true;
}

/** How many synthetic referrals are stored (to say how many a bulk reading left out). */
export async function syntheticReferralCount(db: Queryable): Promise<number> {
  const [row] = await db.query<{ n: number }>('select count(*)::int as n from referrals where synthetic');
  return row?.n ?? 0;
}

export interface QueueFilter {
  statuses: readonly ReferralStatus[];
  pathway?: Pathway;
  urgency?: Urgency;
  /** one practice's only (an ODS code) */
  practiceOds?: string;
  synthetic: SyntheticSelection;
  after?: { rank: number; receivedAt: Date; id: string };
  limit: number;
}

export interface QueueRow {
  rank: number;
  referral: StoredReferral;
  service: string | null;
  reviewRequired: boolean | null;
  /** the titles of the current decision's fired rules that ask for review: why it waits */
  reviewReasons: string[];
  /** another referral of the same NHS number and body site arrived within 30 days of this one (never merged) */
  possibleDuplicate: boolean;
}

/** The titles of the fired rules that ask for a clinician's review, from the decision as stored. */
const REVIEW_REASONS = `coalesce((select jsonb_agg(fr ->> 'title') from jsonb_array_elements(coalesce(d.decision -> 'firedRules', '[]'::jsonb)) fr
  where (fr ->> 'reviewRequired')::boolean), '[]'::jsonb) as review_reasons,
  exists (select 1 from referrals o
           where (o.referral -> 'patient' ->> 'nhsNumber') = (r.referral -> 'patient' ->> 'nhsNumber')
             and (o.referral -> 'complaint' ->> 'bodySite') = (r.referral -> 'complaint' ->> 'bodySite')
             and o.received_at between r.received_at - interval '30 days' and r.received_at + interval '30 days'
             and o.id <> r.id and o.synthetic = r.synthetic) as possible_duplicate`;

type QueueSelectRow = ReferralRow & { queue_rank: number; service: string | null; review_required: boolean | null; review_reasons: string[]; possible_duplicate: boolean };
const queueRowFrom = (row: QueueSelectRow): QueueRow => ({ rank: row.queue_rank, referral: referralFromRow(row), service: row.service, reviewRequired: row.review_required, reviewReasons: row.review_reasons, possibleDuplicate: row.possible_duplicate });

/** The review queue: most urgent first (no route before emergency), then oldest, then by id. */
export async function queuePage(db: Queryable, filter: QueueFilter): Promise<QueueRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  if (filter.statuses.length > 0) where.push(`r.status = any(${param(filter.statuses)}::text[])`);
  if (filter.pathway) where.push(`r.pathway = ${param(filter.pathway)}`);
  if (filter.urgency) where.push(`r.urgency = ${param(filter.urgency)}`);
  if (filter.practiceOds) where.push(`r.practice_ods = ${param(filter.practiceOds)}`);
  const synthetic = syntheticCondition(filter.synthetic, 'r');
  if (synthetic) where.push(synthetic);
  if (filter.after) {
    where.push(`(r.queue_rank, r.received_at, r.id) > (${param(filter.after.rank)}::smallint, ${param(filter.after.receivedAt)}::timestamptz, ${param(filter.after.id)}::uuid)`);
  }
  const rows = await db.query<QueueSelectRow>(
    `select r.*, r.queue_rank::int as queue_rank, d.service, d.review_required, ${REVIEW_REASONS}
       from referrals r left join decisions d on d.id = r.current_decision_id
      ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
      order by r.queue_rank, r.received_at, r.id
      limit ${param(filter.limit)}`,
    params,
  );
  return rows.map(queueRowFrom);
}

export interface IdempotencyRecord {
  requestSha256: string;
  responseStatus: number;
  responseBody: unknown;
}

export async function findIdempotencyRecord(db: Queryable, key: string): Promise<IdempotencyRecord | undefined> {
  const [row] = await db.query<{ request_sha256: string; response_status: number; response_body: unknown }>(
    'select request_sha256, response_status, response_body from idempotency_keys where key = $1',
    [key],
  );
  return row ? { requestSha256: row.request_sha256, responseStatus: row.response_status, responseBody: row.response_body } : undefined;
}

export async function insertIdempotencyRecord(tx: Queryable, key: string, record: IdempotencyRecord & { referralId: string; at: Date }): Promise<void> {
  await tx.query(
    'insert into idempotency_keys (key, request_sha256, response_status, response_body, referral_id, created_at) values ($1, $2, $3, $4, $5, $6)',
    [key, record.requestSha256, record.responseStatus, JSON.stringify(record.responseBody), record.referralId, record.at],
  );
}

/** Takes the key's transaction-scoped lock; false when another transaction holds it (in flight). */
export async function tryLockKey(tx: Queryable, key: string): Promise<boolean> {
  const [row] = await tx.query<{ locked: boolean }>('select pg_try_advisory_xact_lock(hashtextextended($1, 0)) as locked', [key]);
  return row?.locked === true;
}

export async function insertReview(
  tx: Queryable,
  review: {
    id: string; referralId: string; reviewedDecisionId: string; outcome: 'confirmed' | 'overridden'; newDecisionId: string | null; reason: string | null;
    reviewer: string; reviewerName: string | null; reviewerRole: string; at: Date;
  },
): Promise<void> {
  await tx.query(
    `insert into reviews (id, referral_id, reviewed_decision_id, outcome, new_decision_id, reason, reviewer, created_at, reviewer_name, reviewer_role)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [review.id, review.referralId, review.reviewedDecisionId, review.outcome, review.newDecisionId, review.reason, review.reviewer, review.at, review.reviewerName, review.reviewerRole],
  );
}

/** One practice's referrals, newest first (then by id), after `before` when given: a GP's own list. */
export async function practicePage(db: Queryable, filter: { practiceOds: string; statuses: readonly ReferralStatus[]; before?: { receivedAt: Date; id: string }; limit: number }): Promise<QueueRow[]> {
  const params: unknown[] = [filter.practiceOds, filter.limit];
  const param = (value: unknown) => `$${params.push(value)}`;
  const statuses = filter.statuses.length > 0 ? `and r.status = any(${param(filter.statuses)}::text[])` : '';
  const before = filter.before ? `and (r.received_at, r.id) < (${param(filter.before.receivedAt)}::timestamptz, ${param(filter.before.id)}::uuid)` : '';
  const rows = await db.query<QueueSelectRow>(
    `select r.*, r.queue_rank::int as queue_rank, d.service, d.review_required, ${REVIEW_REASONS}
       from referrals r left join decisions d on d.id = r.current_decision_id
      where r.practice_ods = $1 ${statuses} ${before}
      order by r.received_at desc, r.id desc
      limit $2`,
    params,
  );
  return rows.map(queueRowFrom);
}

/** Every referral of one NHS number, newest first: a clinician's search (the number is a parameter, never in the text). */
export async function referralsOfNhsNumber(db: Queryable, nhsNumber: string, limit: number): Promise<QueueRow[]> {
  const rows = await db.query<QueueSelectRow>(
    `select r.*, r.queue_rank::int as queue_rank, d.service, d.review_required, ${REVIEW_REASONS}
       from referrals r left join decisions d on d.id = r.current_decision_id
      where r.referral -> 'patient' ->> 'nhsNumber' = $1
      order by r.received_at desc, r.id desc
      limit $2`,
    [nhsNumber, limit],
  );
  return rows.map(queueRowFrom);
}
