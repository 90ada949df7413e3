/**
 * Least privilege in the database. Migrations run as the owner of the tables; every query of the
 * service and of the commands runs as `msk_runtime` (migration 014-runtime-role), which may read and
 * insert on the clinical and audit tables and nothing more, and changes a referral only through
 * msk_apply_review. Two ways to get there:
 *
 * - DATABASE_MIGRATION_URL set (PostgreSQL): migrations connect with it, and DATABASE_URL's login is
 *   a member of msk_runtime only; the owner's password is not in the running service at all.
 * - otherwise (the embedded database, or one PostgreSQL login): the owner migrates, then every
 *   connection drops to msk_runtime (SET ROLE) before its first query. A fault in the service is held
 *   to the runtime role's rights; SQL that can run RESET ROLE, or someone holding the login, is not.
 */
import { openPostgres, type Database } from './database.js';
import { migrate } from './migrations.js';

export const RUNTIME_ROLE = 'msk_runtime';

export interface PreparedDatabase {
  /** the migrations applied now */
  applied: string[];
  /** what an operator should know about the roles in use (none when all is as it should be) */
  warning?: string;
}

/** Migrates `db` (or the database of `migrationUrl`, DATABASE_MIGRATION_URL), and leaves `db` running as the runtime role. */
export async function prepareDatabase(db: Database, migrationUrl?: string): Promise<PreparedDatabase> {
  if (!migrationUrl) {
    const applied = await migrate(db);
    await db.actAs(RUNTIME_ROLE);
    return {
      applied,
      ...(db.kind === 'postgres'
        ? { warning: 'DATABASE_MIGRATION_URL is not set: the service connects as the owner of its tables and drops to msk_runtime on each connection; give migrations a login of their own and DATABASE_URL a login that is a member of msk_runtime only' }
        : {}),
    };
  }
  const owner = openPostgres(migrationUrl);
  let applied: string[];
  try {
    applied = await migrate(owner);
  } finally {
    await owner.close();
  }
  const [rights] = await db.query<{ runtime: boolean; changes: boolean }>(
    `select pg_has_role(current_user, $1, 'USAGE') as runtime, has_table_privilege('referrals', 'UPDATE') or has_table_privilege('decisions', 'UPDATE') as changes`,
    [RUNTIME_ROLE],
  );
  if (!rights?.runtime) throw new Error(`DATABASE_URL's login is not a member of ${RUNTIME_ROLE} (grant ${RUNTIME_ROLE} to it)`);
  return {
    applied,
    ...(rights.changes ? { warning: 'DATABASE_URL\'s login may change referrals or decisions in place: give it membership of msk_runtime only' } : {}),
  };
}
