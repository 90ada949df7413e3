// The test environment. Logs are captured by the tests that read them, never printed. The files run
// in parallel worker processes (.mocharc.json), each with its own database for the run (opened on
// first use; mocha ends the workers, and with them their embedded databases, at the end); the
// databases a run made on a PostgreSQL server, and its temporary folders, are removed once, by mocha's
// own process, at the end.
// (The ten slowest tests are printed by the reporter, test/support/slowest-reporter.cjs.)
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readAuditKeys, useAuditKeys, writeNewAuditKeyFile } from '../../src/audit/audit-keys.js';
import { build, buildIsCurrent } from '../../src/tools/build.js';
import { makeTemplate } from '../../src/store/pglite-template.js';
import { dropRunDatabases, startTestRun } from './test-database.js';
import { removeTempDirs, runFolder } from './temp-dirs.js';

process.env.NODE_ENV = 'test';
// The tests of mechanisms load hundreds of rule-set copies: each checks the two channels on 200
// generated referrals, not 2,000 (agreementSampleSize); the agreement's own tests ask for the full size.
process.env.MSK_TEST_AGREEMENT_SAMPLE ??= '200';

/**
 * One audit key for the run, in its folder: every event the tests write is signed with it, in this
 * process, in the service and commands started in-process, and in the processes they spawn (which
 * inherit AUDIT_KEY_FILE), so that every `audit verify` checks signatures.
 */
function useRunAuditKey(): void {
  process.env.AUDIT_KEY_FILE ??= path.join(runFolder(), 'audit-key');
  if (!existsSync(process.env.AUDIT_KEY_FILE)) writeNewAuditKeyFile(process.env.AUDIT_KEY_FILE);
  useAuditKeys(readAuditKeys(process.env.AUDIT_KEY_FILE));
}

// A worker: the global setup has named the run and written its key.
if (process.env.MSK_TEST_RUN) useRunAuditKey();

/**
 * Each file starts with the run's key ring: a service an earlier file started in-process, with a
 * DATA_DIR of its own, made the process sign with that folder's key (the ring is the process's), and
 * what a file signs must verify with the key its commands read (AUDIT_KEY_FILE).
 */
export const mochaHooks = {
  beforeAll(): void {
    if (process.env.AUDIT_KEY_FILE) useAuditKeys(readAuditKeys(process.env.AUDIT_KEY_FILE));
  },
};

export async function mochaGlobalSetup(): Promise<void> {
  startTestRun();
  useRunAuditKey();
  // The process tests run the service as `npm start` does: the compiled build, as current as src/.
  if (!buildIsCurrent()) await build();
  // The embedded database every new one starts from: made by the build, unless it was current (src/store/pglite-template.ts).
  await makeTemplate();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await dropRunDatabases();
  removeTempDirs();
}
