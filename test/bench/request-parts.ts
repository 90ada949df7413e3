/**
 * What each part of a POST /api/v1/triage request costs, measured one part at a time in this
 * process on the same referral bodies the HTTP run sends: the token check (from the database, as
 * before the cache, and from the cache), the body's structure check and parse, the contract check,
 * the two channels' evaluation, the decision's own check, the answer, and the request's log line.
 * What the HTTP run's CPU time per request holds beyond their sum is Node's HTTP, Express, helmet,
 * the rate limiters and reading the body.
 *
 * The parts run in interleaved rounds of a fixed time each, so that a burst of load from elsewhere
 * falls on all of them alike, and are timed by this process's CPU time, as the service is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkToken, createToken } from '../../src/auth/api-tokens.js';
import { decisionFor } from '../../src/auth/access-policy.js';
import { VerifiedTokens } from '../../src/auth/verified-tokens.js';
import { todayInLondon } from '../../src/domain/calendar.js';
import type { Decision } from '../../src/generated/decision.js';
import type { Referral } from '../../src/generated/referral.js';
import { JSON_LIMITS } from '../../src/http/json-body.js';
import { checkJsonStructure } from '../../src/http/json-structure.js';
import { createLogger } from '../../src/log/logger.js';
import { loadRuleSets } from '../../src/rules/rule-set-loader.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { validateDecision, validateReferral } from '../../src/schemas/schema-registry.js';
import { openPglite } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';

export interface RequestPart {
  name: string;
  /** mean CPU time of one, in microseconds */
  micros: number;
  /** whether each request of the HTTP run pays for it (the service runs at LOG_LEVEL=error, with the token cache) */
  paidInRun: boolean;
}

interface Part {
  name: string;
  paidInRun: boolean;
  run: (i: number) => unknown;
}

const ROUNDS = 5;
const ROUND_MS = 100;

async function measure(parts: readonly Part[]): Promise<RequestPart[]> {
  const cpuMicros = parts.map(() => 0);
  const counts = parts.map(() => 0);
  for (let round = -1; round < ROUNDS; round++) {
    for (const [p, part] of parts.entries()) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      let n = 0;
      while (performance.now() - started < ROUND_MS) await part.run(n++);
      const used = process.cpuUsage(cpu);
      // Round -1 warms up the JIT and the caches, and is not counted.
      if (round >= 0) {
        cpuMicros[p] = (cpuMicros[p] ?? 0) + used.user + used.system;
        counts[p] = (counts[p] ?? 0) + n;
      }
    }
  }
  return parts.map(({ name, paidInRun }, p) => ({ name, paidInRun, micros: (cpuMicros[p] ?? 0) / (counts[p] ?? 1) }));
}

/** `bodies` as the HTTP run sends them (JSON of referrals from one GP practice); `practice` is that GP's. */
export async function measureRequestParts(rootDir: string, bodies: readonly string[], practice: string): Promise<RequestPart[]> {
  const registry = new RuleSetRegistry(await loadRuleSets(path.join(rootDir, 'rules')));
  const ruleSet = registry.active('msk-triage');
  if (!ruleSet) throw new Error('no active msk-triage rule set under rules/');
  const raw = bodies.slice(0, 2_000).map((body) => Buffer.from(body, 'utf8'));
  const referrals = raw.map((bytes) => JSON.parse(bytes.toString('utf8')) as Referral);
  const today = todayInLondon();
  const decisions: Decision[] = [];
  for (const referral of referrals.slice(0, 200)) decisions.push(await ruleSet.evaluate(referral, today));
  const at = <T>(list: readonly T[], i: number) => list[i % list.length] as T;

  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'msk-bench-parts-'));
  const db = await openPglite(dataDir);
  try {
    await migrate(db);
    const { token } = await createToken(db, { name: 'bench GP', role: 'gp', practice, expiresAt: null, now: new Date() });
    const verified = new VerifiedTokens();
    const infoLogger = createLogger({ level: 'info', silent: true });
    const errorLogger = createLogger({ level: 'error', silent: true });
    const requestLine = (i: number) => ({
      event: 'http.request', requestId: '6f1c2a4e-5b7d-4c8e-9f0a-1b2c3d4e5f60', method: 'POST', route: '/api/v1/triage', status: 200, durationMs: 1.25,
      errorCode: undefined, actor: 'token:0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70', role: 'gp', rulesetId: ruleSet.id, rulesetVersion: ruleSet.version,
      pathway: at(decisions, i).pathway, urgency: at(decisions, i).urgency, reviewRequired: at(decisions, i).reviewRequired, outcome: at(decisions, i).outcome,
    });
    return await measure([
      { name: 'token check: database look-up (PGlite), as before the cache', paidInRun: false, run: () => checkToken(db, token, new Date()) },
      { name: 'token check: from the verified-token cache', paidInRun: true, run: () => checkToken(db, token, new Date(), verified) },
      { name: 'JSON structure check (one pass over the bytes)', paidInRun: true, run: (i) => checkJsonStructure(at(raw, i), JSON_LIMITS) },
      { name: 'UTF-8 decode and JSON.parse of the body', paidInRun: true, run: (i) => JSON.parse(at(raw, i).toString('utf8')) as unknown },
      { name: 'validateReferral (ajv)', paidInRun: true, run: (i) => validateReferral(at(referrals, i)) },
      { name: 'evaluate: both channels, and their agreement', paidInRun: true, run: (i) => ruleSet.evaluate(at(referrals, i), today) },
      { name: 'validateDecision (ajv)', paidInRun: true, run: (i) => validateDecision(at(decisions, i)) },
      { name: "the GP's view of the decision, as JSON", paidInRun: true, run: (i) => JSON.stringify(decisionFor('gp', at(decisions, i))) },
      { name: 'the http.request log line at LOG_LEVEL=info (formatted)', paidInRun: false, run: (i) => infoLogger.info('request', requestLine(i)) },
      { name: 'the http.request log line at LOG_LEVEL=error (dropped)', paidInRun: true, run: (i) => errorLogger.info('request', requestLine(i)) },
    ]);
  } finally {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
