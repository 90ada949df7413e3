/**
 * createApp(deps): middleware, then one line per router, then the error handler.
 *
 * Open to anyone: /healthz, /readyz and /openapi.json. /metrics passes the rate limits and
 * authentication as below, for an operator's token only. Everything under /api/v1 passes, in order,
 * admission (at most so many requests at once, 503 beyond: http/admission.ts), a rate limit per client address, authentication (401 without a valid bearer token), a rate limit
 * per caller, and, at each route, the access policy (src/auth/access-policy.ts): deny by default.
 */
import express, { type Express } from 'express';
import { accessDenialRecorder } from './auth/access-denials.js';
import { authorise } from './auth/access-policy.js';
import { authenticate } from './auth/authenticate.js';
import type { OidcVerifier } from './auth/oidc.js';
import type { OidcSignIn } from './auth/oidc-sign-in.js';
import { VerifiedTokens } from './auth/verified-tokens.js';
import { errorHandler, methodNotAllowed, notFound } from './http/error-handler.js';
import { addressRateLimit, callerRateLimit, securityHeaders, type RateLimits } from './http/hardening.js';
import { Admission, closeWhileDraining } from './http/admission.js';
import { healthRouter, type Readiness } from './http/health-router.js';
import { metricsRouter } from './http/metrics-router.js';
import { openApiDocument } from './http/openapi.js';
import { knownQueryOnly, strictQuery } from './http/query-parameters.js';
import { requestLogging, routeTemplate } from './http/request-logging.js';
import { rulesetsRouter } from './http/rulesets-router.js';
import { triageRouter } from './http/triage-router.js';
import { referralsRouter } from './http/referrals-router.js';
import { serviceMetrics, type ServiceMetrics } from './http/service-metrics.js';
import { webRouter } from './web/web-router.js';
import { loadConfig, type Config } from './config.js';
import type { Logger } from './log/logger.js';
import type { RuleSetRegistry } from './rules/rule-set-registry.js';
import type { Database } from './store/database.js';

export interface AppDeps {
  config: Pick<Config, 'rulesetId' | 'bodyLimitBytes'> & Partial<Pick<Config, 'rulesDir' | 'trustProxyHops' | 'sessionIdleMs' | 'sessionMaxMs'>>;
  registry: RuleSetRegistry;
  db: Database;
  logger: Logger;
  clock?: () => Date;
  readiness?: Readiness;
  /** JWT bearer tokens from an identity provider; without it, only command-line tokens are accepted. */
  oidc?: OidcVerifier;
  /** sign-in on the web pages with the identity provider; without it, the pages take a personal token */
  oidcSignIn?: OidcSignIn;
  rateLimits?: RateLimits;
  /** command-line tokens read in the last second (a test gives one with its own clock) */
  verifiedTokens?: VerifiedTokens;
  /** the checker's search size on approval and activation: its full size unless a test asks for less */
  checkerSearchSize?: number;
  /** the service's metrics (its metrics listener serves the same); without them the app counts its own, without process metrics */
  metrics?: ServiceMetrics;
  /** how much work under /api/v1 is admitted at once (default: the configuration's defaults) */
  admission?: Admission;
}

export const API_VERSION = '1.0.0';

const defaults = loadConfig({});
/** The configuration's defaults (RATE_LIMIT_*), for an app made without them. */
export const DEFAULT_RATE_LIMITS: RateLimits = { perAddress: defaults.rateLimitPerAddress, perCaller: defaults.rateLimitPerCaller, windowMs: defaults.rateLimitWindowMs };
/** MAX_IN_FLIGHT, MAX_QUEUED and ADMISSION_WAIT_MS as configured. */
export const admissionFrom = (config: Pick<Config, 'maxInFlight' | 'maxQueued' | 'admissionWaitMs'>) =>
  new Admission({ maxInFlight: config.maxInFlight, maxQueued: config.maxQueued, maxWaitMs: config.admissionWaitMs });

export function createApp(deps: AppDeps): Express {
  const { config, registry, db, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const readiness = deps.readiness ?? { shuttingDown: false };
  const limits = deps.rateLimits ?? DEFAULT_RATE_LIMITS;
  const openApi = openApiDocument(API_VERSION);
  const metrics = deps.metrics ?? serviceMetrics({ db, registry, clock });

  const recordDenial = accessDenialRecorder({ db, logger, clock });
  const verifiedTokens = deps.verifiedTokens ?? new VerifiedTokens();
  // One set for the API and the pages: a key in flight on either is in flight on both.
  const keysInFlight = new Set<string>();
  const guard = [routeTemplate, authorise(recordDenial), knownQueryOnly];

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxyHops ?? 0);
  app.set('query parser', strictQuery);
  app.use(requestLogging(logger));
  app.use(metrics.middleware);
  app.use(closeWhileDraining(readiness));
  app.use(securityHeaders());
  app.use(healthRouter(registry, config.rulesetId, readiness, db));
  app
    .route('/openapi.json')
    .all(routeTemplate, knownQueryOnly)
    .get((_req, res) => {
      res.json(openApi);
    })
    .all(methodNotAllowed(['GET']));
  // Answers under /api/v1 hold patient data: never kept by any cache.
  app.use('/api/v1', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use('/api/v1', (deps.admission ?? admissionFrom(defaults)).middleware(), addressRateLimit(limits), authenticate({ db, clock, logger, verifiedTokens, ...(deps.oidc ? { oidc: deps.oidc } : {}) }), callerRateLimit(limits));
  const triage = { registry, rulesetId: config.rulesetId, clock, logger, bodyLimitBytes: config.bodyLimitBytes, guard };
  app.use('/api/v1', triageRouter(triage));
  app.use('/api/v1', rulesetsRouter({ ...triage, db, rulesDir: config.rulesDir ?? 'rules', ...(deps.checkerSearchSize ? { checkerSearchSize: deps.checkerSearchSize } : {}) }));
  app.use('/api/v1', referralsRouter({ ...triage, db, keysInFlight, recordDenial }));
  app.use('/metrics', addressRateLimit(limits), authenticate({ db, clock, logger, verifiedTokens: deps.verifiedTokens ?? new VerifiedTokens(), ...(deps.oidc ? { oidc: deps.oidc } : {}) }), callerRateLimit(limits));
  app.use(metricsRouter(metrics, guard));
  const sessions = { idleMs: config.sessionIdleMs ?? defaults.sessionIdleMs, maxMs: config.sessionMaxMs ?? defaults.sessionMaxMs };
  app.use(webRouter({ ...triage, db, sessions, rateLimits: limits, keysInFlight, recordDenial, verifiedTokens, ...(deps.oidcSignIn ? { oidcSignIn: deps.oidcSignIn } : {}), rulesDir: config.rulesDir ?? 'rules', ...(deps.checkerSearchSize ? { checkerSearchSize: deps.checkerSearchSize } : {}) }));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
