/** Liveness and readiness, open to anyone. Readiness needs a valid active rule set and no shutdown. */
import { Router } from 'express';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import { ApiError } from './error-catalogue.js';
import { methodNotAllowed } from './error-handler.js';
import { routeTemplate } from './request-logging.js';

export interface Readiness {
  shuttingDown: boolean;
}

export function healthRouter(registry: RuleSetRegistry, rulesetId: string, readiness: Readiness): Router {
  const router = Router();
  router
    .route('/healthz')
    .all(routeTemplate)
    .get((_req, res) => {
      res.json({ status: 'ok' });
    })
    .all(methodNotAllowed(['GET']));
  router
    .route('/readyz')
    .all(routeTemplate)
    .get((_req, res) => {
      const active = registry.active(rulesetId);
      if (!active || readiness.shuttingDown) throw new ApiError('NOT_READY');
      res.json({ status: 'ready', ruleset: { id: active.id, version: active.version, sha256: active.sha256 } });
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
