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
    'insert into ruleset_activations (id, ruleset_id, version, sha256, activated_by, activated_by_id, reason, activated_at) values ($1, $2, $3, $4, $5, $6, $7, $8)',
    [a.id, a.rulesetId, a.version, a.sha256, a.activatedBy, a.activatedById, a.reason, a.activatedAt],
  );
}

export async function insertApproval(tx: Queryable, a: Approval): Promise<void> {
  await tx.query(
    'insert into ruleset_approvals (id, ruleset_id, version, sha256, approver, approver_id, role, note, approved_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
    [a.id, a.rulesetId, a.version, a.sha256, a.approver, a.approverId, a.role, a.note, a.approvedAt],
  );
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
