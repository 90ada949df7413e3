/** The loaded rule sets: GET /api/v1/rulesets and one version's full content. */
import { Router } from 'express';
import { VERSION_PATTERN, type RuleSetRegistry } from '../rules/rule-set-registry.js';
import { simulateImpact, storedReferrals } from '../referrals/simulate-impact.js';
import type { Queryable } from '../store/database.js';
import { jsonBody } from './json-body.js';
import { ApiError } from './error-catalogue.js';
import { methodNotAllowed } from './error-handler.js';
import { routeTemplate } from './request-logging.js';

export interface RulesetsDeps {
  registry: RuleSetRegistry;
  db: Queryable;
  rulesDir: string;
  clock: () => Date;
  bodyLimitBytes: number;
}

export function rulesetsRouter(deps: RulesetsDeps): Router {
  const { registry } = deps;
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
  router
    .route('/rulesets/:id/versions/:version/simulate')
    .all(routeTemplate)
    .post(...jsonBody(deps.bodyLimitBytes), async (req, res) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const from = body.from as string | undefined;
      const unknown = Object.keys(body).filter((key) => key !== 'from');
      if (unknown.length > 0 || (from !== undefined && (typeof from !== 'string' || !new RegExp(VERSION_PATTERN).test(from)))) {
        throw new ApiError('QUERY_INVALID', [{ path: '/from', message: 'send { "from": "X.Y.Z" } or nothing: the version to compare with (default: the active one)' }]);
      }
      const items = await storedReferrals(deps.db);
      // De-identified aggregates only: who may see which referrals is decided once access control exists.
      res.json(await simulateImpact(deps, { ruleset: req.params.id, from, to: req.params.version, items, withIds: false }));
    })
    .all(methodNotAllowed(['POST']));
  return router;
}
