/**
 * The app as tests use it: the real rule sets from rules/, loaded once per run, and a logger whose
 * every output line is captured so that tests can read exactly what would have been written.
 */
import { Writable } from 'node:stream';
import winston from 'winston';
import type { Express } from 'express';
import { createApp, type AppDeps } from '../../src/app.js';
import { Admission } from '../../src/http/admission.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { loadRuleSets, type LoadedVersion } from '../../src/rules/rule-set-loader.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { RUNTIME_ROLE } from '../../src/store/runtime-role.js';
import { testDatabase } from './test-database.js';
import { version1RulesFolder } from './rule-set-copies.js';
import { callersFor, type Callers } from './callers.js';

export const loadedVersions = await loadRuleSets('rules');
export const registry = new RuleSetRegistry(loadedVersions);
/** The shipped version that is active: the default rule set, as a service starts with it. */
export const activeVersion = ((): LoadedVersion => {
  const found = loadedVersions.find((v) => v.compiled.id === 'msk-triage' && v.compiled.document.status === 'active');
  if (!found) throw new Error('no active msk-triage version under rules/');
  return found;
})();

/** 1.0.0 active with the 1.1.0 draft beside it, for tests of mechanisms written against them. */
export const version1RulesDir = await version1RulesFolder();
export const version1Versions = await loadRuleSets(version1RulesDir);
export const version1Registry = new RuleSetRegistry(version1Versions);
export const db = await testDatabase();

export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8').trimEnd());
      done();
    },
  });
  const logger = createLogger({ level: 'debug', silent: true });
  logger.add(new winston.transports.Stream({ stream }));
  return { logger, lines };
}

export interface TestApp extends Callers {
  app: Express;
  logLines: string[];
}

/** 2026-11-22 at noon in London, one millisecond later at each reading, so that order is real. */
export function tickingClock(start = '2026-11-22T12:00:00Z'): () => Date {
  let now = Date.parse(start);
  return () => new Date((now += 1));
}

/** Rate limits far above what any test sends, but for the tests of rate limiting. */
export const GENEROUS_LIMITS = { perAddress: 1_000_000, perCaller: 1_000_000, windowMs: 60_000 };

/**
 * The app on the run's database (or the one given), with its callers: real tokens for each role.
 * Async, because the tokens are issued in the database: `const t = await testApp()`.
 */
export async function testApp(overrides: Partial<AppDeps> = {}): Promise<TestApp> {
  const { logger, lines } = capturingLogger();
  const deps: AppDeps = {
    config: { rulesetId: 'msk-triage', bodyLimitBytes: 64 * 1024 },
    registry,
    db,
    logger,
    clock: tickingClock(),
    rateLimits: GENEROUS_LIMITS,
    // The checker's own tests search at full size; approval and activation here need only run it.
    checkerSearchSize: 300,
    // Admission out of the way, but for the tests of it: some tests send hundreds of requests at once.
    admission: new Admission({ maxInFlight: 100_000, maxQueued: 0, maxWaitMs: 0 }),
    ...overrides,
  };
  const app = createApp(deps);
  await deps.db.actAs(RUNTIME_ROLE); // as the service runs (src/store/runtime-role.ts): a query it may not make fails here too
  return { app, logLines: lines, ...(await callersFor(app, deps.db)) };
}
