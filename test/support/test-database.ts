/**
 * The database of a test run: an in-memory PGlite by default, or, when TEST_DATABASE_URL names a
 * PostgreSQL server, a new database created on it for this run and dropped afterwards. Opened once,
 * on first use, and migrated like the service's own.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { IN_MEMORY, openPglite, openPostgres, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';

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
 * Creating an embedded database is most of the cost of a new one (PGlite's initdb: 2–10 s here);
 * starting from a dump of one already created and migrated takes a second. The first database of a
 * run is created, migrated and dumped; every later one starts from that dump.
 */
async function freshPglite(): Promise<Database> {
  if (state.__mskPgliteTemplate) {
    const db = await openPglite(IN_MEMORY, { from: await state.__mskPgliteTemplate });
    await migrate(db); // nothing to apply: the template is migrated; a migration added since would be applied here
    return db;
  }
  const db = await openPglite(IN_MEMORY);
  await migrate(db);
  if (!db.dumpDataDir) throw new Error('PGlite gave no dump of its data');
  state.__mskPgliteTemplate = db.dumpDataDir();
  await state.__mskPgliteTemplate;
  return db;
}

/** A new, migrated, empty database that the caller owns and must close with `dispose`. */
export async function freshDatabase(): Promise<{ db: Database; dispose: () => Promise<void>; url?: string }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const db = await freshPglite();
    return { db, dispose: () => db.close() };
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
    db,
    url: url.toString(),
    dispose: async () => {
      await db.close();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}


/** The run's shared database. Tests never assume it is empty: other tests write to it too. */
export async function testDatabase(): Promise<Database> {
  state.__mskTestDatabase ??= freshDatabase();
  return (await state.__mskTestDatabase).db;
}
