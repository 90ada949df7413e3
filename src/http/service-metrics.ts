/**
 * The service's Prometheus metrics, in a registry of its own (never prom-client's global one, so
 * that two apps in one process, as in the tests, count apart). Every label is a coded value: a route
 * template, a method, a status, a rule-set id and version, a pathway, an urgency, an outcome, a
 * queue status. Nothing from a referral's content, no id, no URL's values.
 *
 * Counted as requests finish: requests and their latency, decisions, evaluation failures. Read when
 * scraped: the review queue, the audit chain's head and the activations (from the database, the
 * same on every instance), the active rule-set versions (this instance's), the database pool.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestHandler, Response } from 'express';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import type { Database } from '../store/database.js';
import { activationCounts, auditHeadSeq, queueDepths } from '../store/metrics-queries.js';
import type { RequestLogFields } from './request-logging.js';

export interface MetricsDeps {
  db: Database;
  registry: RuleSetRegistry;
  clock: () => Date;
  /** Node's default process metrics (CPU, memory, event loop, GC): the service's, not each test app's */
  processMetrics?: boolean;
}

export interface ServiceMetrics {
  /** the Prometheus text exposition, after reading what is read at scrape time */
  scrape(): Promise<{ contentType: string; text: string }>;
  /** counts each request as it finishes: mount first, beside the request log */
  middleware: RequestHandler;
}

const PREFIX = 'msk_triage_';
/** Seconds: a triage takes about a millisecond, a submission a few, an activation seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** The methods Node parses are a fixed set, but a label needs none but these. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** The routes whose answer is a routing decision. */
const DECIDING_ROUTES = new Set(['/api/v1/triage', '/api/v1/referrals']);
const SCRAPE_QUERY_MS = 2000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error('timed out')), ms)));
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function serviceMetrics(deps: MetricsDeps): ServiceMetrics {
  const register = new Registry();
  const registers = [register];
  if (deps.processMetrics) collectDefaultMetrics({ register });

  const requests = new Counter({ name: `${PREFIX}http_requests_total`, help: 'HTTP requests answered, by method, route template and status', labelNames: ['method', 'route', 'status'], registers });
  const latency = new Histogram({ name: `${PREFIX}http_request_duration_seconds`, help: 'Time to answer an HTTP request, by method, route template and status', labelNames: ['method', 'route', 'status'], buckets: LATENCY_BUCKETS, registers });
  const decisions = new Counter({
    name: `${PREFIX}decisions_total`,
    help: 'Routing decisions answered (POST /api/v1/triage) or stored (POST /api/v1/referrals), by rule set, version, pathway, urgency and outcome (rule, default, manual-triage); "none" where there is no route',
    labelNames: ['route', 'ruleset', 'version', 'pathway', 'urgency', 'outcome'],
    registers,
  });
  const failures = new Counter({ name: `${PREFIX}evaluation_failures_total`, help: 'Referrals that could not be evaluated (no route given; a stored one waits for manual triage), by route', labelNames: ['route'], registers });
  const queueDepth = new Gauge({ name: `${PREFIX}review_queue_depth`, help: 'Referrals waiting for a clinician, by status', labelNames: ['status'], registers });
  const queueAge = new Gauge({ name: `${PREFIX}review_queue_oldest_age_seconds`, help: 'How long the longest-waiting referral of each status has waited since it arrived (0 when none waits)', labelNames: ['status'], registers });
  const auditHead = new Gauge({ name: `${PREFIX}audit_chain_head_seq`, help: "The sequence number of the audit chain's last event", registers });
  const activations = new Counter({ name: `${PREFIX}ruleset_activations_total`, help: 'Rule-set activations recorded in the database, by rule set', labelNames: ['ruleset'], registers });
  const activeVersion = new Gauge({ name: `${PREFIX}ruleset_active`, help: 'Each loaded rule-set version: 1 for the version this instance evaluates with, 0 for the others', labelNames: ['ruleset', 'version'], registers });
  const databaseUp = new Gauge({ name: `${PREFIX}database_up`, help: "1 when the database answered this scrape's queries, 0 when it did not", registers });
  const poolConnections = new Gauge({ name: `${PREFIX}db_pool_connections`, help: "The database pool's open connections, by state (busy, idle)", labelNames: ['state'], registers });
  const poolWaiting = new Gauge({ name: `${PREFIX}db_pool_waiting_queries`, help: 'Queries waiting for a connection of the database pool', registers });
  const poolMax = new Gauge({ name: `${PREFIX}db_pool_max_connections`, help: 'The most connections the database pool opens', registers });

  async function readDatabase(): Promise<void> {
    const now = deps.clock().getTime();
    try {
      const [queue, head, counts] = await withTimeout(Promise.all([queueDepths(deps.db), auditHeadSeq(deps.db), activationCounts(deps.db)]), SCRAPE_QUERY_MS);
      for (const { status, depth, oldestReceivedAt } of queue) {
        queueDepth.set({ status }, depth);
        queueAge.set({ status }, oldestReceivedAt ? Math.max(0, (now - oldestReceivedAt.getTime()) / 1000) : 0);
      }
      auditHead.set(head);
      // A count kept by the database: set, not added to (the table only grows, so it stays a counter).
      activations.reset();
      for (const [ruleset, n] of counts) activations.inc({ ruleset }, n);
      databaseUp.set(1);
    } catch {
      // The last values read stay; database_up says they are stale.
      databaseUp.set(0);
    }
  }

  function readProcess(): void {
    activeVersion.reset();
    for (const summary of deps.registry.summaries()) {
      for (const version of summary.versions) activeVersion.set({ ruleset: summary.id, version: version.version }, version.active ? 1 : 0);
    }
    const stats = deps.db.poolStats?.();
    if (stats) {
      poolConnections.set({ state: 'busy' }, stats.total - stats.idle);
      poolConnections.set({ state: 'idle' }, stats.idle);
      poolWaiting.set(stats.waiting);
      poolMax.set(stats.max);
    }
  }

  function countDecision(route: string, res: Response): void {
    const fields = res.locals.logFields as RequestLogFields | undefined;
    // An Idempotency-Key's earlier answer again is not a new decision.
    if (!fields?.outcome || res.getHeader('Idempotency-Replayed') === 'true') return;
    decisions.inc({ route, ruleset: fields.rulesetId ?? 'none', version: fields.rulesetVersion ?? 'none', pathway: fields.pathway ?? 'none', urgency: fields.urgency ?? 'none', outcome: fields.outcome });
    if (fields.outcome === 'manual-triage') failures.inc({ route });
  }

  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (res.locals.route as string | undefined) ?? 'unmatched';
      const labels = { method: METHODS.has(req.method) ? req.method : 'other', route, status: String(res.statusCode) };
      requests.inc(labels);
      latency.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      if (res.statusCode < 300 && req.method === 'POST' && DECIDING_ROUTES.has(route)) countDecision(route, res);
      else if (res.locals.errorCode === 'EVALUATION_FAILED') failures.inc({ route });
    });
    next();
  };

  return {
    middleware,
    async scrape() {
      readProcess();
      await readDatabase();
      return { contentType: register.contentType, text: await register.metrics() };
    },
  };
}
