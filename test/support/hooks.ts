// The test environment. Logs are captured by the tests that read them, never printed. The files run
// in parallel worker processes (.mocharc.json), each with its own database for the run (opened on
// first use; mocha ends the workers, and with them their embedded databases, at the end); the
// databases a run made on a PostgreSQL server, and its temporary folders, are removed once, by mocha's
// own process, at the end.
// (The ten slowest tests are printed by the reporter, test/support/slowest-reporter.cjs.)
import { dropRunDatabases, startTestRun } from './test-database.js';
import { removeTempDirs } from './temp-dirs.js';

process.env.NODE_ENV = 'test';

export function mochaGlobalSetup(): void {
  startTestRun();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await dropRunDatabases();
  removeTempDirs();
}
