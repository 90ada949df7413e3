/**
 * The databases the bench stores submissions in, each new for the run and removed after it:
 * - PGlite: a new temporary DATA_DIR (never the working copy's ./data, which `npm start` may be
 *   using: PGlite has no lock between processes);
 * - PostgreSQL: a new database `msk_bench_<random>` on the server that BENCH_DATABASE_URL (or else
 *   TEST_DATABASE_URL) names, dropped when the bench ends, after the service has stopped.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openPglite } from '../../src/store/database.js';

export interface BenchDatabase {
  /** for the table headings: `PGlite` or `PostgreSQL 15.x` */
  label: string;
  /** the environment the service is started with */
  env: Record<string, string>;
  /**
   * How many referrals the database holds. Call only after the service using it has stopped: the
   * bench then opens PGlite's directory itself, and must never share it with another process.
   */
  storedReferrals(): Promise<number>;
  /** Removes everything it made. Call only after the service using it has stopped; safe to call twice. */
  dispose(): Promise<void>;
}

const liveDirs = new Set<string>();
// A backstop for a crash that skips the `finally`: no temporary directory outlives the bench.
process.on('exit', () => {
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

export function pgliteDatabase(): BenchDatabase {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'msk-bench-'));
  liveDirs.add(dataDir);
  return {
    label: 'PGlite',
    // DATABASE_URL empty, so that one set in the caller's shell never sends the bench elsewhere.
    env: { DATA_DIR: dataDir, DATABASE_URL: '' },
    storedReferrals: async () => {
      const db = await openPglite(dataDir);
      try {
        const [row] = await db.query<{ n: number }>('select count(*)::int as n from referrals');
        return row?.n ?? 0;
      } finally {
        await db.close();
      }
    },
    dispose: () => {
      liveDirs.delete(dataDir);
      rmSync(dataDir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

/** The server to bench on, from the environment, or undefined when none is named. */
export function postgresServerUrl(): { url: string; variable: string } | undefined {
  for (const variable of ['BENCH_DATABASE_URL', 'TEST_DATABASE_URL']) {
    const url = process.env[variable];
    if (url) return { url, variable };
  }
  return undefined;
}

/** The URL with its password hidden, for printing. */
export function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

async function withClient<T>(connectionString: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function postgresDatabase(serverUrl: string): Promise<BenchDatabase> {
  // Lower-case letters and digits only: safe in SQL without quoting.
  const name = `msk_bench_${randomBytes(6).toString('hex')}`;
  const version = await withClient(serverUrl, async (admin) => {
    const [row] = (await admin.query<{ server_version: string }>('show server_version')).rows;
    // Last, so that nothing after it can fail and leave the database behind unregistered.
    await admin.query(`create database ${name}`);
    return row?.server_version ?? '';
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  let dropped: Promise<void> | undefined;
  return {
    label: `PostgreSQL ${version.split(' ')[0] ?? ''}`.trim(),
    env: { DATABASE_URL: databaseUrl },
    storedReferrals: () =>
      withClient(databaseUrl, async (client) => (await client.query<{ n: number }>('select count(*)::int as n from referrals')).rows[0]?.n ?? 0),
    dispose: () =>
      (dropped ??= withClient(serverUrl, async (admin) => void (await admin.query(`drop database if exists ${name} with (force)`)))),
  };
}
