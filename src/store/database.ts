/**
 * The database behind the service: embedded PostgreSQL (PGlite) in DATA_DIR by default, or a real
 * PostgreSQL server through `pg` when DATABASE_URL is set. One small interface over both, so that
 * the same SQL (kept to what PostgreSQL 15 accepts) runs unchanged on either.
 *
 * Differences handled here, not in callers: pg returns int8 as a string (cast counts to int in SQL),
 * and pg turns JS arrays into PostgreSQL arrays (always pass jsonb parameters through JSON.stringify).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { copyDatabaseFolder } from './database-folder.js';

export interface Queryable {
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements, without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** PostgreSQL LISTEN on a dedicated connection (postgres only); returns a function that stops it. */
  listen?(channel: string, onNotice: (payload: string) => void): Promise<() => Promise<void>>;
  /** The whole embedded database as a tar file (PGlite only): a template that a new one can start from. */
  dumpDataDir?(): Promise<Blob>;
  /** Runs `work` in one transaction; inside it, use only `tx` (PGlite has a single connection). */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Every query from now on runs as `role` (SET ROLE on each connection; src/store/runtime-role.ts),
   * or, with undefined, as the user connected again (RESET ROLE).
   */
  actAs(role: string | undefined): Promise<void>;
  /** The connection pool's use now (pg pools only: PGlite opened in this process has no pool). */
  poolStats?(): PoolStats;
  close(): Promise<void>;
}

export interface PoolStats {
  /** connections open, busy or idle */
  total: number;
  idle: number;
  /** queries waiting for a connection */
  waiting: number;
  /** the most connections the pool opens */
  max: number;
}

/** Whether the database answers a query at all (readiness). */
export async function ping(db: Queryable): Promise<boolean> {
  return db.query('select 1').then(
    () => true,
    () => false,
  );
}

/** A DATA_DIR value that keeps the embedded database in memory (tests only). */
export const IN_MEMORY = 'memory://';

/**
 * PGlite is one process's database: a second process opening the same folder would not see the
 * first one's writes, and could overwrite them. A lock file holding the owner's pid keeps a second
 * process (the command line while the service runs, say) out, with a message that says why; a lock
 * left by a process that has died (SIGKILL) is taken over.
 */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of the live process (not this one) that holds the embedded database in `location`, if any. */
export function dataDirOwner(location: string): number | undefined {
  try {
    const owner = Number(readFileSync(path.join(location, 'msk-triage.pid'), 'utf8'));
    return Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner) ? owner : undefined;
  } catch {
    return undefined;
  }
}

export function lockDataDir(location: string): () => void {
  const lockFile = path.join(location, 'msk-triage.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lockFile, 'utf8'));
      // Our own pid in the lock is a previous process's that had it (a container's service is often pid 1 each time).
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new DataDirInUseError(
          `the embedded database in ${location} is in use by process ${owner} (the service?): stop it first, or use a PostgreSQL server (DATABASE_URL), which many processes can share`,
        );
      }
      rmSync(lockFile, { force: true }); // left by a process that is gone
    }
  }
  throw new DataDirInUseError(`could not lock ${lockFile}`);
}

/** Where in DATA_DIR the embedded database keeps its files (made, owner only, if it is not there). */
export function pgliteLocation(dataDir: string): string {
  const location = path.resolve(dataDir, 'pglite');
  mkdirSync(location, { recursive: true, mode: 0o700 });
  return location;
}

/** SET ROLE or RESET ROLE; a role's name is one of ours, never a caller's, but is checked anyway. */
function roleStatement(role: string | undefined): string {
  if (role === undefined) return 'reset role';
  if (!/^[a-z_][a-z0-9_]*$/.test(role)) throw new Error(`not a role name: ${role}`);
  return `set role ${role}`;
}

/**
 * How a new embedded database starts (pglite-template.ts): `from`, a dump of another to load (in
 * memory); `copyOf`, the folder of a closed one to copy into a new data folder (copyDatabaseFolder).
 */
export interface StartingPoint {
  from?: Blob;
  copyOf?: string;
}

export async function openPglite(dataDir: string, options: StartingPoint = {}): Promise<Database> {
  let location = dataDir;
  let unlock = () => undefined as void;
  if (dataDir !== IN_MEMORY) {
    location = pgliteLocation(dataDir);
    unlock = lockDataDir(location);
  }
  let db: PGlite;
  try {
    if (options.copyOf && location !== IN_MEMORY) await copyDatabaseFolder(options.copyOf, location);
    db = await PGlite.create(location === IN_MEMORY ? undefined : location, options.from ? { loadDataDir: options.from } : {});
  } catch (error) {
    unlock();
    throw error;
  }
  return {
    kind: 'pglite',
    query: async <T>(sql: string, params: readonly unknown[] = []) => (await db.query<T>(sql, [...params])).rows,
    exec: async (sql: string) => void (await db.exec(sql)),
    dumpDataDir: () => db.dumpDataDir('none'),
    actAs: async (role) => void (await db.exec(roleStatement(role))),
    transaction: <T>(work: (tx: Queryable) => Promise<T>) =>
      db.transaction((tx) =>
        work({
          query: async <R>(sql: string, params: readonly unknown[] = []) => (await tx.query<R>(sql, [...params])).rows,
          exec: async (sql: string) => void (await tx.exec(sql)),
        }),
      ),
    close: async () => {
      try {
        await db.close();
      } finally {
        unlock();
      }
    },
  };
}

export function openPostgres(url: string): Database {
  return poolDatabase({ connectionString: url, max: 10 }, 'postgres');
}

/**
 * A database reached through pg: a PostgreSQL server, or the embedded database served on its socket
 * (`kind` 'pglite': no LISTEN there; the service's activation watch polls instead).
 */
export function poolDatabase(settings: pg.PoolConfig, kind: Database['kind']): Database {
  const pool = new pg.Pool(settings);
  // An idle client's error (the server restarted, say) must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const run = async <T>(client: pg.PoolClient, sql: string, params: readonly unknown[] = []) =>
    (await client.query(sql, [...params])).rows as T[];
  // The role every query runs as (actAs), set on a connection as it is next taken from the pool.
  let role: string | undefined;
  const roleOf = new WeakMap<pg.PoolClient, string | undefined>();
  const connection = async (): Promise<pg.PoolClient> => {
    const client = await pool.connect();
    if (roleOf.get(client) !== role) {
      try {
        await client.query(roleStatement(role));
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
      roleOf.set(client, role);
    }
    return client;
  };
  const once = async <T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await connection();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  };
  const listen: Database['listen'] = async (channel, onNotice) => {
    const client = new pg.Client(settings);
    client.on('error', () => undefined); // a lost listener only delays the switch: the periodic check remains
    await client.connect();
    client.on('notification', (message) => {
      if (message.channel === channel) onNotice(message.payload ?? '');
    });
    await client.query(`listen ${channel}`);
    return () => client.end();
  };
  return {
    kind,
    ...(kind === 'postgres' ? { listen } : {}),
    query: (sql, params) => once((client) => run(client, sql, params)),
    exec: (sql) => once(async (client) => void (await client.query(sql))),
    async actAs(next) {
      roleStatement(next);
      role = next;
      // A connection of the embedded database's socket shares its one session: set it there now.
      if (kind === 'pglite') await once(() => Promise.resolve());
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount, max: pool.options.max }),
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await connection();
      try {
        await client.query('begin');
        const result = await work({ query: (sql, params) => run(client, sql, params), exec: async (sql) => void (await client.query(sql)) });
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

