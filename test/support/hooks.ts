// Root hooks: the test environment. Logs are captured by the tests that read them, never printed.
// At the end of a run, the ten slowest tests are printed, so that a slow one is seen when it lands.
import type { Context } from 'mocha';
import { closeTestDatabase } from './test-database.js';
import { removeTempDirs } from './temp-dirs.js';

process.env.NODE_ENV = 'test';

const durations: Array<{ title: string; ms: number }> = [];
const SLOWEST = 10;

export const mochaHooks = {
  afterEach(this: Context): void {
    const test = this.currentTest;
    if (test?.duration !== undefined) durations.push({ title: test.fullTitle(), ms: test.duration });
  },
  async afterAll(): Promise<void> {
    await closeTestDatabase();
    removeTempDirs();
    const slowest = durations.sort((a, b) => b.ms - a.ms).slice(0, SLOWEST);
    if (slowest.length === 0) return;
    process.stdout.write(`\n  the ${slowest.length} slowest tests:\n${slowest.map((t) => `    ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.title}`).join('\n')}\n`);
  },
};
