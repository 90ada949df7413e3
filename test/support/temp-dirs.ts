/** Temporary folders for tests, all removed when the run ends (by the root hook). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// On globalThis: mocha loads the root hook file through another loader than the tests, which can
// give this module two instances; the list must be one.
const shared = globalThis as typeof globalThis & { __mskTempDirs?: string[] };
const created = (shared.__mskTempDirs ??= []);

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}
