/**
 * Liveness and readiness, open to anyone. Readiness needs a valid active rule set and no shutdown;
 * its body also lists the drafts left out because they fail their checks (they never make it 503).
 */
import { Router } from 'express';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import { leftOutViews } from '../rulesets/rule-set-listing.js';
import { ping, type Queryable } from '../store/database.js';
import { ApiError } from '../domain/error-catalogue.js';
import { methodNotAllowed } from './error-handler.js';
import { knownQueryOnly } from './query-parameters.js';
import { routeTemplate } from './request-logging.js';

export interface Readiness {
  shuttingDown: boolean;
}

const DATABASE_CHECK_MS = 2000;

async function databaseAnswers(db: Queryable): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), DATABASE_CHECK_MS)));
  try {
    return await Promise.race([ping(db), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRouter(registry: RuleSetRegistry, rulesetId: string, readiness: Readiness, db: Queryable): Router {
  const router = Router();
  router
    .route('/healthz')
    .all(routeTemplate, knownQueryOnly)
    .get((_req, res) => {
      res.json({ status: 'ok' });
    })
    .all(methodNotAllowed(['GET']));
  router
    .route('/readyz')
    .all(routeTemplate, knownQueryOnly)
    .get(async (_req, res) => {
      const active = registry.active(rulesetId);
      if (!active || readiness.shuttingDown || !(await databaseAnswers(db))) throw new ApiError('NOT_READY');
      res.json({ status: 'ready', ruleset: { id: active.id, version: active.version, sha256: active.sha256 }, leftOut: leftOutViews(registry) });
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
