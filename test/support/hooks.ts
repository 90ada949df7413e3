// Root hooks: the test environment. Logs are captured by the tests that read them, never printed.
process.env.NODE_ENV = 'test';

export const mochaHooks = {};
