/**
 * A new embedded database's first start, without PGlite's initdb (4–10 s on these machines): a dump
 * of an empty database already created and migrated, made once by the build (`npm ci` builds through
 * `prepare`) and kept in node_modules/.cache/msk-triage/ under a key of the migrations and the PGlite
 * version, so that another migration or another PGlite makes a new one. A data folder started from it
 * is the same as one that ran every migration itself; migrate() applies any added since. Without the
 * dump (a build that could not make it), a new database is created as before.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IN_MEMORY, openPglite } from './database.js';
import { MIGRATIONS, migrate } from './migrations.js';

/** The package's folder: this module is in src/store/ or dist/store/. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function templateKey(): string {
  const pglite = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string };
  return createHash('sha256').update(JSON.stringify([pglite.version, MIGRATIONS.map((m) => [m.id, m.sql])])).digest('hex').slice(0, 16);
}

/** Where the dump for these migrations and this PGlite is kept. */
export function templateFile(): string {
  return path.join(ROOT, 'node_modules', '.cache', 'msk-triage', `pglite-${templateKey()}.tar`);
}

/**
 * The dump a new embedded database starts from: the template's file when the database at `location`
 * (a data folder's pglite/, or IN_MEMORY) holds nothing yet and the build made one; else undefined.
 */
export function startingTemplate(location: string): string | undefined {
  const isNew = location === IN_MEMORY || !existsSync(path.join(location, 'PG_VERSION'));
  const file = templateFile();
  return isNew && existsSync(file) ? file : undefined;
}

/** openPglite's options for the database at `location`: from the template when it is new (startingTemplate). */
export function startingFrom(location: string): { from?: Blob } {
  const file = startingTemplate(location);
  return file ? { from: new Blob([readFileSync(file)]) } : {};
}

/** Makes the dump unless it is there: an empty database in memory, migrated, dumped, written whole. */
export async function makeTemplate(): Promise<boolean> {
  const file = templateFile();
  if (existsSync(file)) return false;
  const db = await openPglite(IN_MEMORY);
  try {
    await migrate(db);
    if (!db.dumpDataDir) throw new Error('PGlite gave no dump of its data');
    mkdirSync(path.dirname(file), { recursive: true });
    const next = `${file}.${process.pid}.tmp`;
    writeFileSync(next, Buffer.from(await (await db.dumpDataDir()).arrayBuffer()));
    renameSync(next, file);
    return true;
  } finally {
    await db.close();
  }
}
