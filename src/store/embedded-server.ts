/**
 * The embedded database beside a running service. PGlite is one process's database, so the service
 * runs it in a thread of its own and serves it on a PostgreSQL wire-protocol endpoint, a Unix socket
 * in DATA_DIR that only the service's user can open (pglite-socket); the service itself speaks pg to
 * that socket, like any PostgreSQL, so that no query runs on its main thread and there is one driver
 * for the embedded and the server case. Every command of the command line connects to the same
 * socket while the service runs, and opens the data folder itself when it does not.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { DataDirInUseError, dataDirOwner, IN_MEMORY, lockDataDir, openPglite, openPostgres, pgliteLocation, poolDatabase, type Database } from './database.js';
import { threadExecArgv } from '../domain/threads.js';
import { startingFrom, startingTemplate } from './pglite-template.js';

/** The socket's "port": pg and psql find `<dir>/.s.PGSQL.<port>`. */
const SOCKET_PORT = 5432;
/** A Unix socket's path has at most 107 bytes on Linux. */
const MAX_SOCKET_PATH = 107;
/** Connections the service keeps to its embedded database; the thread runs one query at a time. */
const SERVICE_CONNECTIONS = 8;

/** The data folders this process serves (a service started in-process, as tests do). */
const servedHere = new Set<string>();

const socketPath = (location: string) => path.join(location, `.s.PGSQL.${SOCKET_PORT}`);
const overSocket = (location: string, max: number): Database =>
  poolDatabase({ host: location, port: SOCKET_PORT, user: 'postgres', database: 'postgres', max }, 'pglite');

export interface EmbeddedServer {
  /** the service's own connections to it */
  readonly db: Database;
  /** where the commands beside the service connect */
  readonly socketPath: string;
}

/** Opens the embedded database in DATA_DIR in a thread of its own and serves it on its socket. */
export async function serveEmbeddedDatabase(dataDir: string): Promise<EmbeddedServer> {
  const location = pgliteLocation(dataDir);
  const socket = socketPath(location);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw new Error(`DATA_DIR is too deep for the embedded database's socket (${socket}: a socket's path has at most ${MAX_SOCKET_PATH} bytes): choose a shorter DATA_DIR`);
  }
  const unlock = lockDataDir(location);
  rmSync(socket, { force: true }); // left by a service that was killed: the lock is ours now
  const worker = new Worker(new URL('./embedded-server-worker.js', import.meta.url), {
    execArgv: threadExecArgv(),
    workerData: { location, socketPath: socket, maxConnections: SERVICE_CONNECTIONS + 4, template: startingTemplate(location).folder },
  });
  const started = await new Promise<{ ready?: true; failed?: string }>((resolve) => {
    worker.once('message', resolve);
    worker.once('error', (error) => resolve({ failed: error.message }));
  });
  if (!started.ready) {
    await worker.terminate();
    unlock();
    throw new Error(`the embedded database could not be opened: ${started.failed ?? 'unknown'}`);
  }
  servedHere.add(location);
  const pool = overSocket(location, SERVICE_CONNECTIONS);
  const db: Database = {
    ...pool,
    close: async () => {
      try {
        await pool.close();
        const stopped = new Promise((resolve) => worker.once('message', resolve));
        worker.postMessage('stop');
        await stopped;
        await worker.terminate();
      } finally {
        servedHere.delete(location);
        rmSync(socket, { force: true });
        unlock();
      }
    },
  };
  return { db, socketPath: socket };
}

/**
 * The database the configuration names, for a command: PostgreSQL when DATABASE_URL is set; the
 * running service's socket when a service holds DATA_DIR; otherwise the data folder itself.
 */
export async function openDatabase(options: { databaseUrl?: string; dataDir: string }): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl);
  const location = pgliteLocation(options.dataDir);
  const owner = servedHere.has(location) ? process.pid : dataDirOwner(location);
  if (owner !== undefined) {
    if (!existsSync(socketPath(location))) {
      throw new DataDirInUseError(`the embedded database in ${location} is in use by process ${owner}, which serves no socket for commands (is it starting?): try again in a moment`);
    }
    const db = overSocket(location, 2);
    await db.query('select 1'); // fails here, with pg's reason, if the socket does not answer
    return db;
  }
  return openPglite(options.dataDir, startingFrom(location));
}

/**
 * The service's database: PostgreSQL when `databaseUrl` is set; otherwise the embedded database in
 * `dataDir`, served on its socket from a thread of its own, so that the commands can run beside the
 * service (in memory: in this thread, for no one else). `npm start` calls it first (src/main.ts),
 * so that the thread opens the database while the main thread loads the rest of the service.
 */
export async function openServiceDatabase(where: { databaseUrl: string | undefined; dataDir: string }): Promise<{ db: Database; socketPath?: string }> {
  if (where.databaseUrl) return { db: openPostgres(where.databaseUrl) };
  if (where.dataDir === IN_MEMORY) return { db: await openPglite(IN_MEMORY, startingFrom(IN_MEMORY)) };
  return serveEmbeddedDatabase(where.dataDir);
}
