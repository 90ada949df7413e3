/** The loaded rule sets: GET /api/v1/rulesets and one version's full content. */
import { Router } from 'express';
import { VERSION_PATTERN, type RuleSetRegistry } from '../rules/rule-set-registry.js';
import { simulateImpact, storedReferrals } from '../referrals/simulate-impact.js';
import { jsonBody } from './json-body.js';
import { activateVersion, approveVersion } from '../rules/rule-set-activation.js';
import type { Issue } from '../schemas/schema-issues.js';
import type { Database } from '../store/database.js';
import { ApiError } from './error-catalogue.js';
import { methodNotAllowed } from './error-handler.js';
import { routeTemplate } from './request-logging.js';

/** Short text fields, required or optional, and nothing else: 400 REQUEST_INVALID listing each problem. */
function textFields(body: unknown, fields: Record<string, boolean>): Record<string, string | undefined> {
  const issues: Issue[] = [];
  const object = (body ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(object)) if (!(key in fields)) issues.push({ path: '/(unnamed)', message: `is not a field here: send ${Object.keys(fields).join(', ')}` });
  const out: Record<string, string | undefined> = {};
  for (const [key, required] of Object.entries(fields)) {
    const value = object[key];
    if (value === undefined && !required) continue;
    if (typeof value !== 'string' || value.trim().length === 0 || value.length > 1000) issues.push({ path: `/${key}`, message: required ? 'is required: text of 1 to 1000 characters' : 'must be text of 1 to 1000 characters' });
    else out[key] = value.trim();
  }
  if (issues.length > 0) throw new ApiError('REQUEST_INVALID', issues);
  return out;
}

export interface RulesetsDeps {
  registry: RuleSetRegistry;
  db: Database;
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
    .route('/rulesets/:id/versions/:version/approvals')
    .all(routeTemplate)
    .post(...jsonBody(deps.bodyLimitBytes), async (req, res) => {
      const body = textFields(req.body, { approver: true, role: true, note: false });
      const approval = await approveVersion(deps, { rulesetId: req.params.id, version: req.params.version, approver: body.approver as string, role: body.role as string, ...(body.note ? { note: body.note } : {}) });
      res.status(201).json({ ...approval, approvedAt: approval.approvedAt.toISOString() });
    })
    .all(methodNotAllowed(['POST']));
  router
    .route('/rulesets/:id/versions/:version/activate')
    .all(routeTemplate)
    .post(...jsonBody(deps.bodyLimitBytes), async (req, res) => {
      const body = textFields(req.body, { activatedBy: true, reason: true });
      const result = await activateVersion(deps, { rulesetId: req.params.id, version: req.params.version, activatedBy: body.activatedBy as string, reason: body.reason as string });
      res.locals.logFields = { rulesetId: result.rulesetId, rulesetVersion: result.version };
      res.json(result);
    })
    .all(methodNotAllowed(['POST']));
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
