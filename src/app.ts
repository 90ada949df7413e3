/** createApp(deps): middleware, then one line per router, then the error handler. */
import express, { type Express } from 'express';
import { errorHandler, methodNotAllowed, notFound } from './http/error-handler.js';
import { healthRouter, type Readiness } from './http/health-router.js';
import { openApiDocument } from './http/openapi.js';
import { requestLogging, routeTemplate } from './http/request-logging.js';
import { rulesetsRouter } from './http/rulesets-router.js';
import { triageRouter } from './http/triage-router.js';
import { referralsRouter } from './http/referrals-router.js';
import type { Config } from './config.js';
import type { Logger } from './log/logger.js';
import type { RuleSetRegistry } from './rules/rule-set-registry.js';
import type { Database } from './store/database.js';

export interface AppDeps {
  config: Pick<Config, 'rulesetId' | 'bodyLimitBytes'> & Partial<Pick<Config, 'rulesDir'>>;
  registry: RuleSetRegistry;
  db: Database;
  logger: Logger;
  clock?: () => Date;
  readiness?: Readiness;
}

export const API_VERSION = '1.0.0';

/** Who the audit trail names until access control identifies callers. */
export const UNAUTHENTICATED_ACTOR = 'unauthenticated';

export function createApp(deps: AppDeps): Express {
  const { config, registry, db, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const readiness = deps.readiness ?? { shuttingDown: false };
  const openApi = openApiDocument(API_VERSION);

  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogging(logger));
  app.use(healthRouter(registry, config.rulesetId, readiness, db));
  app
    .route('/openapi.json')
    .all(routeTemplate)
    .get((_req, res) => {
      res.json(openApi);
    })
    .all(methodNotAllowed(['GET']));
  const triage = { registry, rulesetId: config.rulesetId, clock, bodyLimitBytes: config.bodyLimitBytes };
  app.use('/api/v1', triageRouter(triage));
  app.use('/api/v1', rulesetsRouter({ registry, db, rulesDir: config.rulesDir ?? 'rules', clock, bodyLimitBytes: config.bodyLimitBytes }));
  app.use('/api/v1', referralsRouter({ ...triage, db, keysInFlight: new Set(), actor: UNAUTHENTICATED_ACTOR }));
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
