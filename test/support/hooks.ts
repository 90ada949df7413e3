// Root hooks: the test environment. Logs are captured by the tests that read them, never printed.
import { closeTestDatabase } from './test-database.js';
import { removeTempDirs } from './temp-dirs.js';

process.env.NODE_ENV = 'test';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await closeTestDatabase();
    removeTempDirs();
  },
};
