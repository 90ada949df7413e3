/**
 * The SQL for the audit trail: the chain's lock and head, inserting events, reading them back, and
 * the cross-check of the trail against the rows it records. Insert-only: the database refuses
 * updates and deletes. The chain itself (hashes, order) is built in src/audit/.
 */
import type { AuditEvent } from '../domain/audit-event-types.js';
import type { Queryable } from './database.js';

const CHAIN_LOCK = 7_240_002;

interface AuditRow {
  seq: number;
  id: string;
  referral_id: string | null;
  event_type: AuditEvent['type'];
  actor: string;
  actor_role: string | null;
  occurred_at: Date;
  ruleset_id: string | null;
  ruleset_version: string | null;
  ruleset_sha256: string | null;
  details: AuditEvent['details'];
  prev_hash: string;
  hash: string;
  key_id: string | null;
  mac: string | null;
}

const COLUMNS = 'seq::int as seq, id, referral_id, event_type, actor, actor_role, occurred_at, ruleset_id, ruleset_version, ruleset_sha256, details, prev_hash, hash, key_id, mac';

function fromRow(row: AuditRow): AuditEvent {
  return {
    seq: row.seq,
    id: row.id,
    referralId: row.referral_id,
    type: row.event_type,
    actor: row.actor,
    actorRole: row.actor_role,
    occurredAt: row.occurred_at,
    ruleset: row.ruleset_id && row.ruleset_version && row.ruleset_sha256 ? { id: row.ruleset_id, version: row.ruleset_version, sha256: row.ruleset_sha256 } : null,
    details: row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
    keyId: row.key_id,
    mac: row.mac,
  };
}

/**
 * Takes the chain's transaction-scoped advisory lock (so that concurrent transactions, and
 * instances, append one at a time) and returns the chain's last event, if any.
 */
export async function lockAuditChainHead(tx: Queryable): Promise<{ seq: number; hash: string } | undefined> {
  await tx.query('select pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
  const [last] = await tx.query<{ seq: number; hash: string }>('select seq::int as seq, hash from audit_events order by seq desc limit 1');
  return last;
}

/** Inserts chained events, in one statement. */
export async function insertAuditEvents(tx: Queryable, events: readonly AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  const params: unknown[] = [];
  const rows = events.map((event) => {
    const values = [event.seq, event.id, event.referralId, event.type, event.actor, event.actorRole, event.occurredAt, event.ruleset?.id ?? null, event.ruleset?.version ?? null, event.ruleset?.sha256 ?? null, JSON.stringify(event.details), event.prevHash, event.hash, event.keyId, event.mac];
    return `(${values.map((value) => `$${params.push(value)}`).join(', ')})`;
  });
  await tx.query(
    `insert into audit_events (seq, id, referral_id, event_type, actor, actor_role, occurred_at, ruleset_id, ruleset_version, ruleset_sha256, details, prev_hash, hash, key_id, mac) values ${rows.join(', ')}`,
    params,
  );
}

export async function auditEventsOfReferral(db: Queryable, referralId: string): Promise<AuditEvent[]> {
  const rows = await db.query<AuditRow>(`select ${COLUMNS} from audit_events where referral_id = $1 order by seq`, [referralId]);
  return rows.map(fromRow);
}

/** The `ruleset.approved` events of one version, oldest first (what vouches for its approvals). */
export async function approvalEventsOf(db: Queryable, rulesetId: string, version: string): Promise<AuditEvent[]> {
  const rows = await db.query<AuditRow>(
    `select ${COLUMNS} from audit_events where event_type = 'ruleset.approved' and ruleset_id = $1 and ruleset_version = $2 order by seq`, [rulesetId, version]);
  return rows.map(fromRow);
}

/** Up to `limit` events after `seq`, oldest first. */
export async function auditEventsAfter(db: Queryable, seq: number, limit: number): Promise<AuditEvent[]> {
  const rows = await db.query<AuditRow>(`select ${COLUMNS} from audit_events where seq > $1 order by seq limit ${limit}`, [seq]);
  return rows.map(fromRow);
}

/** The hash of the event numbered `seq`, if there is one. */
/** The chain's last row, without taking the chain's lock (a checkpoint's reading of it). */
export async function auditChainHead(db: Queryable): Promise<{ seq: number; hash: string } | undefined> {
  const [last] = await db.query<{ seq: number; hash: string }>('select seq::int as seq, hash from audit_events order by seq desc limit 1');
  return last;
}

export async function auditEventHash(db: Queryable, seq: number): Promise<string | undefined> {
  const [row] = await db.query<{ hash: string }>('select hash from audit_events where seq = $1', [seq]);
  return row?.hash;
}

/**
 * What the trail is missing, at most 20 problems: a referral without its submitted event, a
 * decision or a review without the event that announced it.
 */
export async function missingAuditEvents(db: Queryable): Promise<string[]> {
  const missing = await db.query<{ problem: string }>(`
    select 'referral ' || r.id || ' has no referral.submitted event' as problem from referrals r
     where not exists (select 1 from audit_events a where a.referral_id = r.id and a.event_type = 'referral.submitted')
    union all
    select 'decision ' || d.id || ' has no audit event' from decisions d
     where not exists (select 1 from audit_events a where a.details ->> 'decisionId' = d.id::text)
    union all
    select 'review ' || v.id || ' has no audit event' from reviews v
     where not exists (select 1 from audit_events a where a.details ->> 'reviewId' = v.id::text)
    union all
    select 'token ' || t.id || ' has no token.created event' from api_tokens t
     where not exists (select 1 from audit_events a where a.event_type = 'token.created' and a.details ->> 'tokenId' = t.id::text)
    union all
    select 'approval ' || p.id || ' has no ruleset.approved event' from ruleset_approvals p
     where not exists (select 1 from audit_events a where a.event_type = 'ruleset.approved' and a.details ->> 'approvalId' = p.id::text)
    union all
    select 'schedule ' || s.id || ' has no ruleset.activation-scheduled event' from ruleset_schedules s
     where not exists (select 1 from audit_events a where a.event_type = 'ruleset.activation-scheduled' and a.details ->> 'scheduleId' = s.id::text)
    union all
    select 'activations of ' || x.ruleset_id || ' ' || x.version || ': ' || x.n || ' rows, ' || coalesce(e.n, 0) || ' ruleset.activated events'
      from (select ruleset_id, version, sha256, count(*) as n from ruleset_activations group by 1, 2, 3) x
      left join (select ruleset_id, ruleset_version, ruleset_sha256, count(*) as n from audit_events where event_type = 'ruleset.activated' group by 1, 2, 3) e
        on e.ruleset_id = x.ruleset_id and e.ruleset_version = x.version and e.ruleset_sha256 = x.sha256
     where x.n > coalesce(e.n, 0)
    limit 20`);
  return missing.map((row) => row.problem);
}

/**
 * Referrals whose changeable columns (status, current decision, pathway, urgency, queue rank) are not
 * what their append-only decisions and reviews say: an edit behind the service's back. The current
 * decision is the one no other replaces; the status is `reviewed` once any review exists, else what
 * the first decision asked for (none: manual triage; review required: awaiting review; else routed).
 * `urgencies` is the queue's order, most urgent first (queue rank = position, 0 for no route).
 */
export async function referralStateMismatches(db: Queryable, urgencies: readonly string[]): Promise<string[]> {
  const rows = await db.query<{ problem: string }>(`
    with heads as (
      select d.referral_id, d.id, d.pathway, d.urgency from decisions d
       where not exists (select 1 from decisions n where n.replaces_decision_id = d.id)
    ), firsts as (
      select distinct on (referral_id) referral_id, source, review_required from decisions
       where replaces_decision_id is null order by referral_id, created_at, id
    ), derived as (
      select r.id,
             case when exists (select 1 from reviews v where v.referral_id = r.id) then 'reviewed'
                  when f.source = 'evaluation-failed' then 'awaiting-manual-triage'
                  when f.review_required then 'awaiting-review'
                  else 'routed' end as status,
             h.id as current_decision_id, h.pathway, h.urgency,
             coalesce(array_position($1::text[], h.urgency), 0) as queue_rank
        from referrals r
        left join firsts f on f.referral_id = r.id
        left join heads h on h.referral_id = r.id
    )
    select 'referral ' || r.id || ' says ' || concat_ws(', ',
             case when r.status is distinct from x.status then 'status ' || r.status || ' (its decisions and reviews: ' || x.status || ')' end,
             case when r.current_decision_id is distinct from x.current_decision_id then 'current decision ' || coalesce(r.current_decision_id::text, 'none') || ' (its decisions: ' || coalesce(x.current_decision_id::text, 'none') || ')' end,
             case when r.pathway is distinct from x.pathway or r.urgency is distinct from x.urgency
                  then 'route ' || coalesce(r.pathway, '-') || ' / ' || coalesce(r.urgency, '-') || ' (its current decision: ' || coalesce(x.pathway, '-') || ' / ' || coalesce(x.urgency, '-') || ')' end,
             case when r.queue_rank <> x.queue_rank then 'queue rank ' || r.queue_rank || ' (its urgency: ' || x.queue_rank || ')' end
           ) as problem
      from referrals r join derived x on x.id = r.id
     where r.status is distinct from x.status or r.current_decision_id is distinct from x.current_decision_id
        or r.pathway is distinct from x.pathway or r.urgency is distinct from x.urgency or r.queue_rank <> x.queue_rank
     order by r.received_at, r.id
     limit 20`, [urgencies]);
  return rows.map((row) => row.problem);
}

/** Which clinical record an audit event's record hash covers. */
export type RecordKind = 'referral' | 'decision' | 'review';

/** A timestamp as UTC text with microseconds, whatever the session's time zone. */
const utc = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * What a record hash covers, as JSON text built by the database: every column of a decision or a
 * review (both insert-only), and of a referral every column but those its decisions and reviews
 * change (status, current decision, route, queue rank, updated_at: referralStateMismatches checks those).
 */
const RECORD_CONTENT: Record<RecordKind, string> = {
  referral: `select id::text as id, json_build_object('id', id, 'practice_ods', practice_ods, 'referral', referral, 'received_at', ${utc('received_at')}, 'synthetic', synthetic)::text as content
               from referrals where id = any($1::uuid[])`,
  decision: `select id::text as id, json_build_object('id', id, 'referral_id', referral_id, 'source', source, 'replaces_decision_id', replaces_decision_id,
               'pathway', pathway, 'urgency', urgency, 'service', service, 'review_required', review_required, 'ruleset_id', ruleset_id,
               'ruleset_version', ruleset_version, 'ruleset_sha256', ruleset_sha256, 'evaluation_date', to_char(evaluation_date, 'YYYY-MM-DD'),
               'decision', decision, 'reason', reason, 'decided_by', decided_by, 'decided_by_name', decided_by_name, 'decided_by_role', decided_by_role,
               'created_at', ${utc('created_at')})::text as content
               from decisions where id = any($1::uuid[])`,
  review: `select id::text as id, json_build_object('id', id, 'referral_id', referral_id, 'reviewed_decision_id', reviewed_decision_id, 'outcome', outcome,
               'new_decision_id', new_decision_id, 'reason', reason, 'reviewer', reviewer, 'reviewer_name', reviewer_name, 'reviewer_role', reviewer_role,
               'created_at', ${utc('created_at')})::text as content
               from reviews where id = any($1::uuid[])`,
};

/** The content of each record of `kind` named by `ids` that exists, by id. */
export async function recordContents(db: Queryable, kind: RecordKind, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.query<{ id: string; content: string }>(RECORD_CONTENT[kind], [ids]);
  return new Map(rows.map((row) => [row.id, row.content]));
}

/** Audit events that carry a record hash, after `seq`, oldest first: their seq, referral and details. */
export async function eventsWithRecordHashes(db: Queryable, afterSeq: number, limit: number): Promise<Array<{ seq: number; referralId: string | null; details: AuditEvent['details'] }>> {
  return db.query<{ seq: number; referralId: string | null; details: AuditEvent['details'] }>(
    `select seq::int as seq, referral_id::text as "referralId", details from audit_events
      where seq > $1 and (details ? 'referralSha256' or details ? 'decisionSha256' or details ? 'reviewSha256')
      order by seq limit $2`,
    [afterSeq, limit],
  );
}
