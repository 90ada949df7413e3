/**
 * A new embedded database's first start, without PGlite's initdb (4–10 s on these machines): an
 * empty database already created and migrated, kept as a closed data folder (copied into a new
 * DATA_DIR) and as a dump of it (loaded into a database in memory), made once by the build (`npm ci`
 * builds through `prepare`) in node_modules/.cache/msk-triage/ under a key of the migrations and the
 * PGlite version, so that another migration or another PGlite makes a new one. A data folder started
 * from it is the same as one that ran every migration itself; migrate() applies any added since.
 * Without it (a build that could not make it), a new database is created as before.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IN_MEMORY, openPglite, type StartingPoint } from './database.js';
import { MIGRATIONS, migrate } from './migrations.js';

/** The package's folder: this module is in src/store/ or dist/store/. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function templateKey(): string {
  const pglite = JSON.parse(readFileSync(path.join(ROOT, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string };
  return createHash('sha256').update(JSON.stringify([pglite.version, MIGRATIONS.map((m) => [m.id, m.sql])])).digest('hex').slice(0, 16);
}

/** Where the dump for these migrations and this PGlite is kept (for a database in memory). */
export function templateFile(): string {
  return path.join(ROOT, 'node_modules', '.cache', 'msk-triage', `pglite-${templateKey()}.tar`);
}

/** Where the same database is kept as a closed data folder (for a new DATA_DIR: copied, not loaded). */
export function templateFolder(): string {
  return path.join(ROOT, 'node_modules', '.cache', 'msk-triage', `pglite-${templateKey()}`);
}

const madeFolder = (folder: string) => existsSync(path.join(folder, 'PG_VERSION'));

/**
 * Where a new embedded database at `location` (a data folder's pglite/, or IN_MEMORY) starts: the
 * template's dump in memory, its folder on disk, when the build made them and the database holds
 * nothing yet; else nowhere (PGlite's initdb). Loading the dump into a data folder takes PGlite 2 s
 * of writes through its file system; copying the folder takes 0.1 s (database.ts, copyDatabaseFolder).
 */
export function startingTemplate(location: string): { file?: string; folder?: string } {
  if (location === IN_MEMORY) return existsSync(templateFile()) ? { file: templateFile() } : {};
  if (madeFolder(location)) return {};
  return madeFolder(templateFolder()) ? { folder: templateFolder() } : {};
}

/** openPglite's options for the database at `location`: from the template when it is new (startingTemplate). */
export function startingFrom(location: string): StartingPoint {
  const { file, folder } = startingTemplate(location);
  if (file) return { from: new Blob([readFileSync(file)]) };
  return folder ? { copyOf: folder } : {};
}

/**
 * Makes the template unless it is there: an empty database in a new folder, migrated, dumped whole
 * to its file, closed, and its folder renamed into place (a reader never sees half of either).
 */
export async function makeTemplate(): Promise<boolean> {
  const file = templateFile();
  const folder = templateFolder();
  if (existsSync(file) && madeFolder(folder)) return false;
  const work = `${folder}.${process.pid}.tmp`;
  rmSync(work, { recursive: true, force: true });
  try {
    const db = await openPglite(work);
    try {
      await migrate(db);
      if (!db.dumpDataDir) throw new Error('PGlite gave no dump of its data');
      const next = `${file}.${process.pid}.tmp`;
      writeFileSync(next, Buffer.from(await (await db.dumpDataDir()).arrayBuffer()));
      renameSync(next, file);
    } finally {
      await db.close();
    }
    rmSync(folder, { recursive: true, force: true });
    renameSync(path.join(work, 'pglite'), folder);
    return true;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
