/**
 * Temporary folders for tests, all in one folder of the run, removed when the run ends (by mocha's
 * global teardown, in its own process: a worker's files may still use a folder another file made,
 * such as the copies of the rule sets made once per worker).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The run's folder (MSK_TEST_RUN is set by the global setup, before the workers start). */
export const runFolder = (): string => path.join(tmpdir(), `msk-test-${process.env.MSK_TEST_RUN ?? 'solo'}`);

export function tempDir(prefix: string): string {
  const parent = runFolder();
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  return mkdtempSync(path.join(parent, prefix));
}

export function removeTempDirs(): void {
  rmSync(runFolder(), { recursive: true, force: true });
}
