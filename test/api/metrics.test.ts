/**
 * GET /metrics: the Prometheus text to an operator's token and to no one else; counts that move
 * with the work (requests, decisions, evaluation failures, the review queue, the audit chain); and
 * nothing of a patient in it. Then the service itself: its metrics listener (METRICS_PORT), open
 * and serving nothing else, with Node's process metrics, the activations and the database pool.
 */
import { expect } from 'chai';
import type { Express } from 'express';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { startService, type RunningService } from '../../src/service.js';
import type { Database } from '../../src/store/database.js';
import { caller, callersFor, tokenFor, type Caller, type Callers } from '../support/callers.js';
import { CanaryScanner, canaryPatients, canaryReferral } from '../support/canary-patients.js';
import { expectError } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { activeVersion, capturingLogger, GENEROUS_LIMITS, registry, tickingClock } from '../support/test-app.js';
import { tempDir } from '../support/temp-dirs.js';
import { freshDatabase } from '../support/test-database.js';
import { runAuditKey } from '../support/audit-key.js';

type Labels = Record<string, string>;

/** The samples of one metric in Prometheus text, each with its labels. */
function samples(text: string, name: string): Array<{ labels: Labels; value: number }> {
  const found: Array<{ labels: Labels; value: number }> = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1] as string, m[2] as string]));
    found.push({ labels, value: Number(match[3]) });
  }
  return found;
}

/** The sum of a metric's samples whose labels include `labels` (0 when there are none). */
const valueOf = (text: string, name: string, labels: Labels = {}) =>
  samples(text, name)
    .filter((s) => Object.entries(labels).every(([key, value]) => s.labels[key] === value))
    .reduce((sum, s) => sum + s.value, 0);

const NAMES = [
  'msk_triage_http_requests_total',
  'msk_triage_http_request_duration_seconds',
  'msk_triage_decisions_total',
  'msk_triage_evaluation_failures_total',
  'msk_triage_review_queue_depth',
  'msk_triage_review_queue_oldest_age_seconds',
  'msk_triage_audit_chain_head_seq',
  'msk_triage_ruleset_activations_total',
  'msk_triage_ruleset_active',
  'msk_triage_database_up',
];

/** The labels a metric of ours may carry: coded values only. */
const LABELS = new Set(['method', 'route', 'status', 'ruleset', 'version', 'pathway', 'urgency', 'outcome', 'state', 'le']);

class ThrowingRuleSet extends CompiledRuleSet {
  override evaluate(): never {
    throw new TypeError('a bug in evaluation');
  }
}

describe('GET /metrics', function () {
  this.timeout(60_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let app: Express;
  let callers: Callers;
  let operator: Caller;
  let gp: Caller;
  const scrape = async () => {
    const res = await operator.get('/metrics');
    expect(res.status, res.text).to.equal(200);
    return res.text;
  };

  before(async () => {
    ({ db, dispose } = await freshDatabase());
    app = createApp({ config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536 }, registry, db, logger: capturingLogger().logger, clock: tickingClock(), rateLimits: GENEROUS_LIMITS });
    callers = await callersFor(app, db);
    operator = caller(app, await tokenFor(db, 'operator'));
    gp = await callers.gpOf('J82001');
  });
  after(() => dispose());

  it("answers an operator's token with every metric of the service, in Prometheus text", async () => {
    const res = await operator.get('/metrics');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    expect(res.headers['cache-control']).to.equal('no-store');
    for (const name of NAMES) expect(res.text, name).to.contain(`# TYPE ${name} `);
    expect(valueOf(res.text, 'msk_triage_ruleset_active', { ruleset: 'msk-triage', version: activeVersion.compiled.version })).to.equal(1);
    expect(valueOf(res.text, 'msk_triage_database_up')).to.equal(1);
  });

  it('refuses everyone else: no token is 401, any other role 403 (and recorded), and an operator may read nothing but the metrics', async () => {
    expectError(await callers.anonymous.get('/metrics'), 401, 'AUTHENTICATION_REQUIRED');
    expectError(await caller(app, 'msk_not-a-token').get('/metrics'), 401, 'TOKEN_INVALID');
    for (const other of [gp, callers.clinician, callers.lead]) expectError(await other.get('/metrics'), 403, 'FORBIDDEN');
    const [denied] = await db.query<{ n: number }>("select count(*)::int as n from audit_events where event_type = 'access.denied' and details ->> 'route' = '/metrics'");
    expect(denied?.n).to.equal(3);
    expectError(await operator.post('/metrics'), 405, 'METHOD_NOT_ALLOWED');
    expectError(await operator.post('/api/v1/triage').send(aReferral()), 403, 'FORBIDDEN');
    expectError(await operator.get('/api/v1/referrals'), 403, 'FORBIDDEN');
    expectError(await operator.get('/api/v1/rulesets'), 403, 'FORBIDDEN');
  });

  it('counts a triage: the request by route template and status, its latency, and the decision by rule set, version, pathway, urgency and outcome', async () => {
    const before = await scrape();
    const res = await callers.clinician.post('/api/v1/triage').send(aReferral());
    expect(res.status).to.equal(200);
    const after = await scrape();
    const request = { method: 'POST', route: '/api/v1/triage', status: '200' };
    expect(valueOf(after, 'msk_triage_http_requests_total', request) - valueOf(before, 'msk_triage_http_requests_total', request)).to.equal(1);
    expect(valueOf(after, 'msk_triage_http_request_duration_seconds_count', request) - valueOf(before, 'msk_triage_http_request_duration_seconds_count', request)).to.equal(1);
    const decision = { route: '/api/v1/triage', ruleset: 'msk-triage', version: res.body.ruleset.version, pathway: res.body.pathway, urgency: res.body.urgency, outcome: res.body.outcome };
    expect(valueOf(after, 'msk_triage_decisions_total', decision) - valueOf(before, 'msk_triage_decisions_total', decision)).to.equal(1);
    expect(valueOf(after, 'msk_triage_http_requests_total', { route: '/metrics', status: '200' })).to.be.at.least(1);
  });

  it('counts a submission once, however often it is retried with its Idempotency-Key, and sees it in the review queue and the audit chain', async () => {
    const before = await scrape();
    // Immunosuppressed: routed, and waiting for a clinician's review (MSK-V01).
    const reviewable = aReferral({ referrer: { odsCode: 'J82001' }, redFlags: { immunosuppressed: true } });
    const first = await gp.post('/api/v1/referrals').set('Idempotency-Key', 'metrics-once').send(reviewable);
    expect(first.status).to.equal(201);
    expect(first.body.status).to.equal('awaiting-review');
    expect((await gp.post('/api/v1/referrals').set('Idempotency-Key', 'metrics-once').send(reviewable)).headers['idempotency-replayed']).to.equal('true');
    const after = await scrape();
    const stored = { route: '/api/v1/referrals', outcome: first.body.decision.outcome, pathway: first.body.decision.pathway, urgency: first.body.decision.urgency };
    expect(valueOf(after, 'msk_triage_decisions_total', stored) - valueOf(before, 'msk_triage_decisions_total', stored)).to.equal(1);
    expect(valueOf(after, 'msk_triage_http_requests_total', { route: '/api/v1/referrals', status: '201' }) - valueOf(before, 'msk_triage_http_requests_total', { route: '/api/v1/referrals', status: '201' })).to.equal(2);
    expect(valueOf(after, 'msk_triage_review_queue_depth', { status: 'awaiting-review' }) - valueOf(before, 'msk_triage_review_queue_depth', { status: 'awaiting-review' })).to.equal(1);
    expect(valueOf(after, 'msk_triage_review_queue_oldest_age_seconds', { status: 'awaiting-review' })).to.be.above(0);
    const [head] = await db.query<{ seq: number }>('select max(seq)::int as seq from audit_events');
    expect(valueOf(after, 'msk_triage_audit_chain_head_seq')).to.equal(head?.seq).and.be.above(valueOf(before, 'msk_triage_audit_chain_head_seq'));
  });

  it('counts evaluation failures, on the evaluation endpoint and for a submission kept for manual triage', async () => {
    const failing = createApp({
      config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536 },
      registry: new RuleSetRegistry([{ ...activeVersion, compiled: new ThrowingRuleSet(activeVersion.compiled.document) }]),
      db,
      logger: capturingLogger().logger,
      clock: tickingClock(),
      rateLimits: GENEROUS_LIMITS,
    });
    const gpHere = caller(failing, gp.token);
    expectError(await gpHere.post('/api/v1/triage').send(aReferral()), 500, 'EVALUATION_FAILED');
    expect((await gpHere.post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: 'J82001' } }))).status).to.equal(202);
    const text = (await caller(failing, operator.token).get('/metrics')).text;
    expect(valueOf(text, 'msk_triage_evaluation_failures_total', { route: '/api/v1/triage' })).to.equal(1);
    expect(valueOf(text, 'msk_triage_evaluation_failures_total', { route: '/api/v1/referrals' })).to.equal(1);
    expect(valueOf(text, 'msk_triage_decisions_total', { route: '/api/v1/referrals', outcome: 'manual-triage', pathway: 'none', urgency: 'none' })).to.equal(1);
    expect(valueOf(text, 'msk_triage_review_queue_depth', { status: 'awaiting-manual-triage' })).to.be.at.least(1);
  });

  it("carries no patient data: after canary patients' referrals, none of their values, no id, and only coded labels", async () => {
    const canaries = canaryPatients(20);
    for (const canary of canaries) {
      const referral = canaryReferral(canary, { referrer: { odsCode: 'J82001' } });
      expect((await gp.post('/api/v1/referrals').send(referral)).status).to.be.oneOf([201, 202]);
      expect((await gp.post('/api/v1/triage').send(referral)).status).to.equal(200);
      // an error path too: the referral's values in a body the contract refuses
      expect((await gp.post('/api/v1/triage').send({ ...referral, extra: canary.nhsNumber })).status).to.equal(400);
    }
    const text = await scrape();
    expect(new CanaryScanner(canaries).scan(text)).to.deep.equal([]);
    expect(text).to.not.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/);
    for (const line of text.split('\n').filter((l) => l.startsWith('msk_triage_'))) {
      for (const [, label] of line.matchAll(/(\w+)="/g)) expect(LABELS.has(label as string), line).to.equal(true);
      const route = /route="([^"]*)"/.exec(line)?.[1];
      if (route !== undefined) expect(route, line).to.match(/^(\/[a-z0-9./:-]*|unmatched)$/);
    }
  });
});

describe('the service’s metrics listener (METRICS_PORT)', function () {
  this.timeout(60_000);
  let service: RunningService;
  let lines: string[];
  const at = (port: number, path: string, token?: string) => fetch(`http://127.0.0.1:${port}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  before(async () => {
    const captured = capturingLogger();
    lines = captured.lines;
    // The embedded database served on its socket, as npm start serves it: a pool of pg connections.
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', METRICS_PORT: '0', DATA_DIR: tempDir('msk-metrics-'), ...runAuditKey() });
    service = await startService(config, { logger: captured.logger, notice: () => undefined, app: { rateLimits: GENEROUS_LIMITS, checkerSearchSize: 300 } });
  });
  after(async () => service?.stop('test'));

  it('serves /metrics to anyone who reaches it, with Node’s process metrics, the activations and the database pool', async () => {
    expect(service.metricsPort).to.be.a('number').and.not.equal(service.port);
    const res = await at(service.metricsPort as number, '/metrics');
    expect(res.status).to.equal(200);
    const text = await res.text();
    for (const name of [...NAMES, 'process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) expect(text, name).to.contain(`# TYPE ${name} `);
    // The first start records the active version as the first activation.
    expect(valueOf(text, 'msk_triage_ruleset_activations_total', { ruleset: 'msk-triage' })).to.equal(1);
    expect(valueOf(text, 'msk_triage_ruleset_active', { ruleset: 'msk-triage', version: activeVersion.compiled.version })).to.equal(1);
    expect(valueOf(text, 'msk_triage_db_pool_max_connections')).to.be.above(0);
    expect(valueOf(text, 'msk_triage_db_pool_connections')).to.be.at.least(1);
    expect(samples(text, 'msk_triage_db_pool_waiting_queries')).to.have.length(1);
  });

  it('serves nothing else, and the service’s own port still wants an operator’s token', async () => {
    const port = service.metricsPort as number;
    for (const path of ['/', '/healthz', '/api/v1/referrals', '/openapi.json']) expect((await at(port, path)).status, path).to.equal(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).to.equal(405);
    expect((await at(service.port, '/metrics')).status).to.equal(401);
  });

  it('says at start-up where to open it, the rule set, the embedded database with where its data lives, and where the metrics are', () => {
    const ready = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'startup.ready');
    expect(ready).to.deep.include({
      url: `http://127.0.0.1:${service.port}/`,
      rulesetId: 'msk-triage',
      rulesetVersion: activeVersion.compiled.version,
      database: 'embedded',
      socketPath: service.socketPath,
      metricsUrl: `http://127.0.0.1:${service.metricsPort}/metrics`,
    });
    expect(ready?.dataDir).to.match(/msk-metrics-.*\/pglite$/);
    expect(ready?.message).to.equal(
      `ready: open http://127.0.0.1:${service.port}/ · rule set msk-triage ${activeVersion.compiled.version} · database embedded, in ${String(ready?.dataDir)} · metrics at http://127.0.0.1:${service.metricsPort}/metrics`,
    );
  });
});

describe('the service’s start-up line on PostgreSQL', function () {
  this.timeout(60_000);

  it('names the server by host, port and database, and never writes its password', async () => {
    const own = await freshDatabase();
    const { logger, lines } = capturingLogger();
    // The database is the test's; the configuration names a server with a password, as DATABASE_URL would.
    const config = loadConfig({ PORT: '0', HOST: '0.0.0.0', DATABASE_URL: 'postgresql://msk:s3cret-Pa55@db.example:5432/msk_triage?password=s3cret-Pa55' });
    const service = await startService(config, { logger, notice: () => undefined, db: own.db, app: { rateLimits: GENEROUS_LIMITS, checkerSearchSize: 300 } });
    try {
      const ready = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'startup.ready');
      expect(ready).to.deep.include({ url: `http://127.0.0.1:${service.port}/`, database: 'postgresql', server: 'db.example:5432/msk_triage' });
      expect(ready?.message).to.contain('database PostgreSQL at db.example:5432/msk_triage');
      expect(lines.join('\n')).to.not.contain('s3cret');
    } finally {
      await service.stop('test');
      await own.dispose();
    }
  });
});
