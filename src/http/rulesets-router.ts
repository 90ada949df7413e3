/** The loaded rule sets: GET /api/v1/rulesets and one version's full content. */
import { Router } from 'express';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import { ApiError } from './error-catalogue.js';
import { methodNotAllowed } from './error-handler.js';
import { routeTemplate } from './request-logging.js';

export function rulesetsRouter(registry: RuleSetRegistry): Router {
  const router = Router();
  router
    .route('/rulesets')
    .all(routeTemplate)
    .get((_req, res) => {
      res.json({ rulesets: registry.summaries() });
    })
    .all(methodNotAllowed(['GET']));
  router
    .route('/rulesets/:id/versions/:version')
    .all(routeTemplate)
    .get((req, res) => {
      const { id, version } = req.params;
      if (!registry.has(id)) throw new ApiError('RULESET_NOT_FOUND');
      const loaded = registry.loaded(id, version);
      if (!loaded) throw new ApiError('RULESET_VERSION_NOT_FOUND');
      const { compiled, cases } = loaded;
      res.json({
        id,
        version,
        sha256: compiled.sha256,
        active: registry.active(id) === compiled,
        ruleset: compiled.document,
        cases,
      });
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
