/** POST /api/v1/triage: evaluate a referral against the active (or a named) rule-set version. */
import { Router, type RequestHandler } from 'express';
import { decisionFor, principalOf } from '../auth/access-policy.js';
import { triageReferral, type TriageDeps } from '../referrals/triage-referral.js';
import { ApiError } from '../domain/error-catalogue.js';
import type { Logger } from '../log/logger.js';
import { requestLogger } from '../log/request-context.js';
import { isVersion } from '../domain/version.js';
import { jsonBody } from './json-body.js';
import type { RequestLogFields } from './request-logging.js';


export function versionQuery(query: unknown): string | undefined {
  const version = (query as Record<string, unknown>).version;
  if (version === undefined) return undefined;
  if (typeof version === 'string' && isVersion(version)) return version;
  throw new ApiError('QUERY_INVALID', [{ path: '/version', message: 'must be one rule-set version such as 1.0.0' }]);
}

export function triageRouter(deps: TriageDeps & { logger: Logger; bodyLimitBytes: number; guard: RequestHandler[] }): Router {
  const router = Router();
  router
    .route('/triage')
    .all(...deps.guard)
    .post(...jsonBody(deps.bodyLimitBytes), async (req, res) => {
      const decision = await triageReferral({ ...deps, logger: requestLogger(deps.logger, res) }, req.body, versionQuery(req.query));
      res.locals.logFields = {
        rulesetId: decision.ruleset.id,
        rulesetVersion: decision.ruleset.version,
        pathway: decision.pathway,
        urgency: decision.urgency,
        reviewRequired: decision.reviewRequired,
        outcome: decision.outcome,
      } satisfies RequestLogFields;
      res.json(decisionFor(principalOf(res).role, decision));
    });
  return router;
}
