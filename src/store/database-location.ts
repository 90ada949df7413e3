/**
 * Where the service's data lives, said for the operator at start-up (the `startup.ready` event):
 * the embedded database's folder and its socket, or the PostgreSQL server's host, port and database.
 * Never the user, the password or the URL's query (which may hold a password too).
 */
import path from 'node:path';
import { IN_MEMORY } from './database.js';

export interface DatabaseLocation {
  database: 'embedded' | 'postgresql';
  /** the embedded database's folder (absolute), or `memory` */
  dataDir?: string;
  /** where the commands beside the service connect to the embedded database */
  socketPath?: string;
  /** host:port/database of the PostgreSQL server */
  server?: string;
  /** the same, for a person: "embedded, in /srv/msk/data/pglite" */
  text: string;
}

/** host:port/database from a postgres:// URL: nothing of its credentials or its query. */
export function postgresServer(databaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return '(an unreadable DATABASE_URL)';
  }
  // A host in the query (a socket's folder) is no secret; every other parameter may be.
  const host = url.hostname || url.searchParams.get('host') || 'localhost';
  const database = url.pathname.slice(1) || '(default database)';
  return `${host}:${url.port || '5432'}/${database}`;
}

export function databaseLocation(settings: { databaseUrl: string | undefined; dataDir: string }, socketPath?: string): DatabaseLocation {
  if (settings.databaseUrl) {
    const server = postgresServer(settings.databaseUrl);
    return { database: 'postgresql', server, text: `PostgreSQL at ${server}` };
  }
  if (settings.dataDir === IN_MEMORY) return { database: 'embedded', dataDir: 'memory', text: 'embedded, in memory (nothing is kept)' };
  const dataDir = path.resolve(settings.dataDir, 'pglite');
  return { database: 'embedded', dataDir, ...(socketPath ? { socketPath } : {}), text: `embedded, in ${dataDir}` };
}
