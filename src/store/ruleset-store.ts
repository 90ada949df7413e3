/** The SQL for rule-set activations and approvals: insert-only, like every record of who did what. */
import type { Queryable } from './database.js';

export interface Activation {
  id: string;
  rulesetId: string;
  version: string;
  sha256: string;
  activatedBy: string;
  /** the authenticated identity (null from the command line) */
  activatedById: string | null;
  reason: string;
  activatedAt: Date;
  /** the schedule this activation carries out, when it switched on by itself on its effectiveFrom */
  scheduleId?: string | null;
  /** why it was activated before its effectiveFrom, when it was */
  effectiveFromOverride?: string | null;
}

export interface Approval {
  id: string;
  rulesetId: string;
  version: string;
  sha256: string;
  approver: string;
  /** the authenticated identity (null from the command line) */
  approverId: string | null;
  role: string;
  note: string | null;
  approvedAt: Date;
}

/** The PostgreSQL NOTIFY channel on which an activation is announced to every instance listening. */
export const ACTIVATION_CHANNEL = 'msk_ruleset_activated';

/** Announces an activation; delivered at the commit of `tx` (src/rulesets/activation-watch.ts listens). */
export async function notifyActivation(tx: Queryable, activation: { rulesetId: string; version: string }): Promise<void> {
  await tx.query('select pg_notify($1, $2)', [ACTIVATION_CHANNEL, JSON.stringify({ rulesetId: activation.rulesetId, version: activation.version })]);
}

export async function insertActivation(tx: Queryable, a: Activation): Promise<void> {
  await tx.query(
    'insert into ruleset_activations (id, ruleset_id, version, sha256, activated_by, activated_by_id, reason, activated_at, schedule_id, effective_from_override) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
    [a.id, a.rulesetId, a.version, a.sha256, a.activatedBy, a.activatedById, a.reason, a.activatedAt, a.scheduleId ?? null, a.effectiveFromOverride ?? null],
  );
}

export async function insertApproval(tx: Queryable, a: Approval): Promise<void> {
  await tx.query(
    'insert into ruleset_approvals (id, ruleset_id, version, sha256, approver, approver_id, role, note, approved_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    [a.id, a.rulesetId, a.version, a.sha256, a.approver, a.approverId, a.role, a.note, a.approvedAt],
  );
}

/** Takes the version's approvals lock for the transaction: one person's two approvals at once are seen one after the other. */
export async function lockApprovals(tx: Queryable, rulesetId: string, version: string): Promise<void> {
  await tx.query("select pg_advisory_xact_lock(hashtextextended('msk-approvals:' || $1 || '/' || $2, 0))", [rulesetId, version]);
}

/** The latest activation of each rule set (by the database's own order, not clocks): the versions that are active. */
export async function currentActivations(db: Queryable): Promise<Map<string, { version: string; sha256: string }>> {
  const rows = await db.query<{ ruleset_id: string; version: string; sha256: string }>(
    `select distinct on (ruleset_id) ruleset_id, version, sha256 from ruleset_activations order by ruleset_id, seq desc`,
  );
  return new Map(rows.map((row) => [row.ruleset_id, { version: row.version, sha256: row.sha256 }]));
}

/** Every version that was ever activated (released), with the content hash it was activated with. */
export async function releasedVersions(db: Queryable): Promise<Array<{ rulesetId: string; version: string; sha256: string; activatedAt: Date }>> {
  const rows = await db.query<{ ruleset_id: string; version: string; sha256: string; activated_at: Date }>(
    'select distinct on (ruleset_id, version) ruleset_id, version, sha256, activated_at from ruleset_activations order by ruleset_id, version, seq',
  );
  return rows.map((row) => ({ rulesetId: row.ruleset_id, version: row.version, sha256: row.sha256, activatedAt: row.activated_at }));
}

export async function approvalsOf(db: Queryable, rulesetId: string, version: string): Promise<Approval[]> {
  const rows = await db.query<{ id: string; ruleset_id: string; version: string; sha256: string; approver: string; approver_id: string | null; role: string; note: string | null; approved_at: Date }>(
    'select * from ruleset_approvals where ruleset_id = $1 and version = $2 order by approved_at',
    [rulesetId, version],
  );
  return rows.map((r) => ({ id: r.id, rulesetId: r.ruleset_id, version: r.version, sha256: r.sha256, approver: r.approver, approverId: r.approver_id, role: r.role, note: r.note, approvedAt: r.approved_at }));
}

/** An activation to be made on a version's effectiveFrom, at the start of that day in Europe/London. */
export interface Schedule {
  id: string;
  rulesetId: string;
  version: string;
  sha256: string;
  /** YYYY-MM-DD */
  effectiveFrom: string;
  scheduledBy: string;
  /** the pseudonymous id of who scheduled it (`token:<uuid>`, `oidc:<hash>`, `cli:<pseudonym>`) */
  scheduledById: string;
  /** their role: clinical-lead, or operator at the command line */
  scheduledByRole: string;
  reason: string;
  scheduledAt: Date;
}

export interface ScheduleCancellation {
  scheduleId: string;
  cancelledBy: string;
  cancelledById: string;
  reason: string;
  cancelledAt: Date;
}

const SCHEDULE_LOCK = 7_240_003;

/**
 * Schedules are made, cancelled and carried out one at a time, by every instance (a transaction-scoped
 * advisory lock, taken before the audit chain's): a schedule is never both cancelled and carried out.
 */
export async function lockSchedules(tx: Queryable): Promise<void> {
  await tx.query('select pg_advisory_xact_lock($1)', [SCHEDULE_LOCK]);
}

export async function insertSchedule(tx: Queryable, s: Schedule): Promise<void> {
  await tx.query(
    'insert into ruleset_schedules (id, ruleset_id, version, sha256, effective_from, scheduled_by, scheduled_by_id, scheduled_by_role, reason, scheduled_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
    [s.id, s.rulesetId, s.version, s.sha256, s.effectiveFrom, s.scheduledBy, s.scheduledById, s.scheduledByRole, s.reason, s.scheduledAt],
  );
}

export async function insertScheduleCancellation(tx: Queryable, c: ScheduleCancellation): Promise<void> {
  await tx.query(
    'insert into ruleset_schedule_cancellations (schedule_id, cancelled_by, cancelled_by_id, reason, cancelled_at) values ($1, $2, $3, $4, $5)',
    [c.scheduleId, c.cancelledBy, c.cancelledById, c.reason, c.cancelledAt],
  );
}

/** Schedules neither cancelled nor carried out, soonest first (of one rule set, or of all). */
export async function pendingSchedules(db: Queryable, rulesetId?: string): Promise<Schedule[]> {
  const rows = await db.query<{ id: string; ruleset_id: string; version: string; sha256: string; effective_from: string; scheduled_by: string; scheduled_by_id: string; scheduled_by_role: string; reason: string; scheduled_at: Date }>(
    `select s.id::text as id, s.ruleset_id, s.version, s.sha256, s.effective_from::text as effective_from, s.scheduled_by, s.scheduled_by_id, s.scheduled_by_role, s.reason, s.scheduled_at
       from ruleset_schedules s
      where ($1::text is null or s.ruleset_id = $1)
        and not exists (select 1 from ruleset_schedule_cancellations c where c.schedule_id = s.id)
        and not exists (select 1 from ruleset_activations a where a.schedule_id = s.id)
      order by s.effective_from, s.seq`,
    [rulesetId ?? null],
  );
  return rows.map((r) => ({
    id: r.id, rulesetId: r.ruleset_id, version: r.version, sha256: r.sha256, effectiveFrom: r.effective_from,
    scheduledBy: r.scheduled_by, scheduledById: r.scheduled_by_id, scheduledByRole: r.scheduled_by_role, reason: r.reason, scheduledAt: r.scheduled_at,
  }));
}

/** The PostgreSQL NOTIFY channel on which a reload request is announced (the watch also polls for one). */
export const RELOAD_CHANNEL = 'msk_ruleset_reload';

/** Records a request that every running instance read the rules folder again; announced at commit. Returns its number. */
export async function insertReloadRequest(tx: Queryable, request: { requestedBy: string; requestedAt: Date }): Promise<number> {
  const [row] = await tx.query<{ seq: number }>('insert into ruleset_reload_requests (requested_by, requested_at) values ($1, $2) returning seq::int as seq', [request.requestedBy, request.requestedAt]);
  await tx.query('select pg_notify($1, $2)', [RELOAD_CHANNEL, String(row?.seq ?? 0)]);
  return row?.seq ?? 0;
}

/** The number of the latest reload request, 0 if none was ever made. */
export async function latestReloadRequest(db: Queryable): Promise<number> {
  const [row] = await db.query<{ seq: number }>('select coalesce(max(seq), 0)::int as seq from ruleset_reload_requests');
  return row?.seq ?? 0;
}

/** Every activation of a rule set, newest first: who, when, why, and any schedule or early activation it records. */
export async function activationsOf(db: Queryable, rulesetId: string): Promise<Activation[]> {
  const rows = await db.query<{ id: string; ruleset_id: string; version: string; sha256: string; activated_by: string; activated_by_id: string | null; reason: string; activated_at: Date; schedule_id: string | null; effective_from_override: string | null }>(
    'select * from ruleset_activations where ruleset_id = $1 order by seq desc',
    [rulesetId],
  );
  return rows.map((r) => ({
    id: r.id, rulesetId: r.ruleset_id, version: r.version, sha256: r.sha256, activatedBy: r.activated_by, activatedById: r.activated_by_id,
    reason: r.reason, activatedAt: new Date(r.activated_at), scheduleId: r.schedule_id, effectiveFromOverride: r.effective_from_override,
  }));
}
