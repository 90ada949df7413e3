/**
 * The audit trail in the database: appending events to the one chain (under a transaction-scoped
 * advisory lock, so that concurrent transactions, and instances, append one at a time), reading a
 * referral's events, and verifying the whole chain.
 */
import type { Database, Queryable } from '../store/database.js';
import { auditContent, chainEvent, chainHash, GENESIS_HASH, type AuditEvent, type AuditEventInput } from './audit-event.js';

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
}

const COLUMNS = 'seq::int as seq, id, referral_id, event_type, actor, actor_role, occurred_at, ruleset_id, ruleset_version, ruleset_sha256, details, prev_hash, hash';

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
  };
}

/** Appends events, in order, inside the caller's transaction. */
export async function appendAuditEvents(tx: Queryable, inputs: readonly AuditEventInput[]): Promise<AuditEvent[]> {
  await tx.query('select pg_advisory_xact_lock($1)', [CHAIN_LOCK]);
  const [last] = await tx.query<{ seq: number; hash: string }>('select seq::int as seq, hash from audit_events order by seq desc limit 1');
  const events: AuditEvent[] = [];
  for (const input of inputs) events.push(chainEvent(events.at(-1) ?? last ?? null, input));
  const params: unknown[] = [];
  const rows = events.map((event) => {
    const values = [event.seq, event.id, event.referralId, event.type, event.actor, event.actorRole, event.occurredAt, event.ruleset?.id ?? null, event.ruleset?.version ?? null, event.ruleset?.sha256 ?? null, JSON.stringify(event.details), event.prevHash, event.hash];
    return `(${values.map((value) => `$${params.push(value)}`).join(', ')})`;
  });
  if (rows.length > 0) {
    await tx.query(
      `insert into audit_events (seq, id, referral_id, event_type, actor, actor_role, occurred_at, ruleset_id, ruleset_version, ruleset_sha256, details, prev_hash, hash) values ${rows.join(', ')}`,
      params,
    );
  }
  return events;
}

export async function referralAuditTrail(db: Queryable, referralId: string): Promise<AuditEvent[]> {
  const rows = await db.query<AuditRow>(`select ${COLUMNS} from audit_events where referral_id = $1 order by seq`, [referralId]);
  return rows.map(fromRow);
}

export type ChainVerification =
  | { ok: true; rows: number; head: { seq: number; hash: string } | null }
  | { ok: false; rows: number; brokenAt: number; reason: string };

const PAGE = 2000;

/**
 * Recomputes the whole chain, oldest first, and reports the first broken row: a row whose content
 * no longer matches its hash, whose previous hash is not its predecessor's, or a gap in the numbering
 * (a deleted row). A deleted last row leaves no gap; verifyCoverage catches that case.
 */
export async function verifyAuditChain(db: Queryable): Promise<ChainVerification> {
  let previous = { seq: 0, hash: GENESIS_HASH };
  let rows = 0;
  for (;;) {
    const page = await db.query<AuditRow>(`select ${COLUMNS} from audit_events where seq > $1 order by seq limit ${PAGE}`, [previous.seq]);
    for (const row of page) {
      const event = fromRow(row);
      if (event.seq !== previous.seq + 1) return { ok: false, rows, brokenAt: previous.seq + 1, reason: `row ${previous.seq + 1} is missing` };
      if (event.prevHash !== previous.hash) return { ok: false, rows, brokenAt: event.seq, reason: `row ${event.seq} does not follow row ${previous.seq}` };
      if (chainHash(event.prevHash, auditContent(event)) !== event.hash) return { ok: false, rows, brokenAt: event.seq, reason: `row ${event.seq} was changed after it was written` };
      previous = event;
      rows += 1;
    }
    if (page.length < PAGE) return { ok: true, rows, head: previous.seq === 0 ? null : { seq: previous.seq, hash: previous.hash } };
  }
}

/**
 * Cross-checks the trail against the state it records: every referral has its submitted event, and
 * every decision and review has the event that announced it. Catches a deleted last row.
 */
export async function verifyCoverage(db: Database): Promise<string[]> {
  const missing = await db.query<{ problem: string }>(`
    select 'referral ' || r.id || ' has no referral.submitted event' as problem from referrals r
     where not exists (select 1 from audit_events a where a.referral_id = r.id and a.event_type = 'referral.submitted')
    union all
    select 'decision ' || d.id || ' has no audit event' from decisions d
     where not exists (select 1 from audit_events a where a.details ->> 'decisionId' = d.id::text)
    union all
    select 'review ' || v.id || ' has no audit event' from reviews v
     where not exists (select 1 from audit_events a where a.details ->> 'reviewId' = v.id::text)
    limit 20`);
  return missing.map((row) => row.problem);
}
