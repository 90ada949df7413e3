/**
 * The database of a test run: an in-memory PGlite by default, or, when TEST_DATABASE_URL names a
 * PostgreSQL server, a new database created on it for this run and dropped afterwards. Opened once,
 * on first use, and migrated like the service's own.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { IN_MEMORY, openPglite, openPostgres, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';
import { makeTemplate, startingFrom } from '../../src/store/pglite-template.js';

// On globalThis: mocha loads the root hook file through another loader than the tests, which can
// give this module two instances; the run's database must be one, so that the hook closes it.
const state = globalThis as typeof globalThis & {
  __mskTestDatabase?: Promise<{ db: Database; dispose: () => Promise<void> }>;
  __mskPgliteTemplate?: Promise<Blob>;
};

/** The names of this run's databases on a PostgreSQL server: each worker process makes its own. */
const runDatabasePrefix = () => `msk_test_${process.env.MSK_TEST_RUN ?? 'solo'}_`;

/** The run's id, for the names of its databases; set once, before mocha's worker processes start. */
export function startTestRun(): void {
  process.env.MSK_TEST_RUN ??= randomBytes(4).toString('hex');
}

/**
 * Drops every database this run made on the PostgreSQL server, the workers' shared ones included
 * (they close theirs only when their process ends; `with (force)` ends what is still connected).
 */
export async function dropRunDatabases(): Promise<void> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl || !process.env.MSK_TEST_RUN) return;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const rows = await admin.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [runDatabasePrefix()]);
    for (const { datname } of rows.rows) await admin.query(`drop database if exists ${datname} with (force)`);
  } finally {
    await admin.end();
  }
}

export const usingPostgres = (): boolean => Boolean(process.env.TEST_DATABASE_URL);

/**
 * Creating an embedded database is most of the cost of a new one (PGlite's initdb: 4–10 s here); a
 * test's starts from the product's migrated template (src/store/pglite-template.ts), made by the build
 * and kept for later runs, in a second. A service or command a test starts in a new DATA_DIR starts
 * from it too, as on a new machine.
 */
async function freshPglite(): Promise<Database> {
  state.__mskPgliteTemplate ??= makeTemplate().then(() => {
    const { from } = startingFrom(IN_MEMORY);
    if (!from) throw new Error('the embedded database\'s template could not be made');
    return from;
  });
  const db = await openPglite(IN_MEMORY, { from: await state.__mskPgliteTemplate });
  await migrate(db); // nothing to apply: the template is migrated; a migration added since would be applied here
  return db;
}

type Fresh = { db: Database; dispose: () => Promise<void>; url?: string; /** given out before, and emptied since */ reused?: boolean };

/**
 * The shape of a database's schema: its tables, triggers, functions, migrations and the runtime role's grants. A database a
 * test gives back with another shape than a new one's (a migration test's) is closed, not reused.
 */
async function schemaShape(db: Database): Promise<string> {
  const [row] = await db.query<{ shape: string }>(`select concat_ws('|',
    (select string_agg(relname || ':' || relkind::text, ',' order by relname) from pg_class where relnamespace = 'public'::regnamespace),
    (select string_agg(tgname, ',' order by tgname) from pg_trigger where not tgisinternal),
    (select string_agg(proname, ',' order by proname) from pg_proc where pronamespace = 'public'::regnamespace),
    (select string_agg(id, ',' order by id) from schema_migrations),
    (select string_agg(table_name || ':' || privilege_type, ',' order by table_name, privilege_type) from information_schema.role_table_grants where grantee = 'msk_runtime')) as shape`);
  return row?.shape ?? '';
}

/**
 * Empties a database for its next test: every table but schema_migrations truncated, its sequences
 * restarted, with triggers off for the one statement (the append-only tables refuse a truncate).
 * False if it could not be (a connection of an earlier test still holding a lock; closed by the
 * test itself): then it is closed and another is given out.
 */
async function emptied(db: Database): Promise<boolean> {
  try {
    await db.actAs(undefined); // a service the last test started runs it as the runtime role
    await db.transaction(async (tx) => {
      await tx.exec("set local lock_timeout = '2s'; set local session_replication_role = replica");
      const tables = await tx.query<{ name: string }>("select quote_ident(tablename) as name from pg_tables where schemaname = 'public' and tablename <> 'schema_migrations'");
      await tx.exec(`truncate ${tables.map((t) => t.name).join(', ')} restart identity cascade`);
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * The databases this process's tests have given back, emptied, to be given out again: emptying one
 * takes a tenth of a second, a new one (PGlite's start, or a server's create database and
 * migrations) a second or more.
 */
const givenBack: Array<{ fresh: Omit<Fresh, 'dispose' | 'reused'>; close: () => Promise<void>; shape: string }> = [];

async function newDatabase(): Promise<{ fresh: Omit<Fresh, 'dispose' | 'reused'>; close: () => Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const db = await freshPglite();
    return { fresh: { db }, close: () => db.close() };
  }
  const name = `${runDatabasePrefix()}${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString());
  await migrate(db);
  return {
    fresh: { db, url: url.toString() },
    close: async () => {
      await db.close();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

/**
 * A migrated, empty database that the caller owns until it calls `dispose`: a new one, or one an
 * earlier test gave back, emptied. After `dispose` the caller must not use it; a test that wants it
 * closed (to see the service without its database) calls `db.close()` and not `dispose`.
 */
export async function freshDatabase(): Promise<Fresh> {
  let reused = givenBack.pop();
  // Emptied as it is given out, not as it was given back: whatever wrote to it since is gone too.
  while (reused && !(await emptied(reused.fresh.db))) {
    await reused.close().catch(() => undefined); // closed already, perhaps
    reused = givenBack.pop();
  }
  const { fresh, close } = reused ?? (await newDatabase());
  const shape = reused?.shape ?? (await schemaShape(fresh.db));
  let disposed = false;
  return {
    ...fresh,
    // A new object each time it is given out: what a test keeps by the database (its tokens, test/support/callers.ts) is not found by the next.
    db: { ...fresh.db },
    reused: Boolean(reused),
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      if ((await schemaShape(fresh.db).catch(() => '')) === shape) givenBack.push({ fresh, close, shape });
      else await close();
    },
  };
}

/** The run's shared database. Tests never assume it is empty: other tests write to it too. */
export async function testDatabase(): Promise<Database> {
  state.__mskTestDatabase ??= freshDatabase();
  return (await state.__mskTestDatabase).db;
}
