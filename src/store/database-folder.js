/**
 * A new embedded database's folder made as a copy of a closed one (pglite-template.ts): in its own
 * module, so that the embedded database's thread (embedded-server-worker.js) copies it there, beside
 * the main thread's start-up, without loading the rest of the store. Plain JavaScript, as that thread
 * is (its types are in database-folder.d.ts).
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';

/** The files a database folder keeps for the process that holds it, never copied: its lock and socket. */
const HELD_FILES = /^(msk-triage\.pid|\.s\.PGSQL\..*)$/;

/**
 * Copies the closed embedded database in `folder` (pglite-template.ts) into `location`, a new
 * database's folder, unless `location` holds a database already (its PG_VERSION). The files are
 * copied side by side (a database is a thousand small files: 0.1 s this way, 0.5 s one by one), and
 * PG_VERSION last, so that a copy cut short is no database and the next start copies again.
 */
export async function copyDatabaseFolder(folder, location) {
  if (existsSync(path.join(location, 'PG_VERSION'))) return false;
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const inside = (entry) => path.relative(folder, path.join(entry.parentPath, entry.name));
  for (const dir of entries.filter((entry) => entry.isDirectory()).map(inside).sort()) {
    await mkdir(path.join(location, dir), { recursive: true, mode: 0o700 });
  }
  const files = entries.filter((entry) => entry.isFile() && !HELD_FILES.test(entry.name)).map(inside);
  const copy = (file) => copyFile(path.join(folder, file), path.join(location, file));
  await Promise.all(files.filter((file) => file !== 'PG_VERSION').map(copy));
  await copy('PG_VERSION');
  return true;
}
