/** The loaded rule sets: GET /api/v1/rulesets and one version's full content. */
import { Router, type RequestHandler, type Response } from 'express';
import { principalOf } from '../auth/access-policy.js';
import { isVersion } from '../domain/version.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import { simulateImpact, storedReferrals } from '../referrals/simulate-impact.js';
import { jsonBody } from './json-body.js';
import { activateVersion, approveVersion, type Signatory } from '../rulesets/rule-set-activation.js';
import { safePointerSegment } from '../schemas/schema-issues.js';
import type { Database } from '../store/database.js';
import { ApiError, type Issue } from '../domain/error-catalogue.js';

/** A JSON object, or no body at all (these bodies are all optional fields). */
const objectOrNothing = (body: unknown): body is Record<string, unknown> | undefined =>
  body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body));

/** Short text fields, required or optional, and nothing else: 400 REQUEST_INVALID listing each problem. */
function textFields(body: unknown, fields: Record<string, boolean>): Record<string, string | undefined> {
  const issues: Issue[] = [];
  if (!objectOrNothing(body)) throw new ApiError('REQUEST_INVALID', [{ path: '/', message: 'must be an object' }]);
  const object = body ?? {};
  for (const key of Object.keys(object)) if (!Object.hasOwn(fields, key)) issues.push({ path: safePointerSegment(key), message: `is not a field here: send ${Object.keys(fields).join(', ')}` });
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
  guard: RequestHandler[];
  checkerSearchSize?: number;
}

/** The authenticated clinical lead, as they sign. */
function signatory(res: Response): Signatory {
  const principal = principalOf(res);
  return { name: principal.name, id: principal.id, actorRole: 'clinical-lead', role: 'clinical lead' };
}

export function rulesetsRouter(deps: RulesetsDeps): Router {
  const { registry } = deps;
  const router = Router();
  let simulating = false;
  router
    .route('/rulesets')
    .all(...deps.guard)
    .get((_req, res) => {
      res.json({ rulesets: registry.summaries() });
    });
  router
    .route('/rulesets/:id/versions/:version')
    .all(...deps.guard)
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
    });
  router
    .route('/rulesets/:id/versions/:version/approvals')
    .all(...deps.guard)
    .post(...jsonBody(deps.bodyLimitBytes), async (req, res) => {
      const body = textFields(req.body, { note: false });
      const approval = await approveVersion(deps, { rulesetId: req.params.id, version: req.params.version, approver: signatory(res), ...(body.note ? { note: body.note } : {}) });
      res.status(201).json({ ...approval, approvedAt: approval.approvedAt.toISOString() });
    });
  router
    .route('/rulesets/:id/versions/:version/activate')
    .all(...deps.guard)
    .post(...jsonBody(deps.bodyLimitBytes), async (req, res) => {
      const body = textFields(req.body, { reason: true });
      const result = await activateVersion(deps, { rulesetId: req.params.id, version: req.params.version, activatedBy: signatory(res), reason: body.reason as string });
      res.locals.logFields = { rulesetId: result.rulesetId, rulesetVersion: result.version };
      res.json(result);
    });
  router
    .route('/rulesets/:id/versions/:version/simulate')
    .all(...deps.guard)
    .post(...jsonBody(deps.bodyLimitBytes), async (req, res) => {
      if (!objectOrNothing(req.body)) throw new ApiError('QUERY_INVALID', [{ path: '/', message: 'send { "from": "X.Y.Z" } or nothing' }]);
      const body = req.body ?? {};
      const from = body.from as string | undefined;
      const unknown = Object.keys(body).filter((key) => key !== 'from');
      if (unknown.length > 0 || (from !== undefined && (typeof from !== 'string' || !isVersion(from)))) {
        throw new ApiError('QUERY_INVALID', [{ path: '/from', message: 'send { "from": "X.Y.Z" } or nothing: the version to compare with (default: the active one)' }]);
      }
      // One simulation at a time per instance: each takes every core for a while.
      if (simulating) throw new ApiError('RATE_LIMITED', [], { 'Retry-After': '10' });
      simulating = true;
      try {
        const items = await storedReferrals(deps.db);
        // De-identified aggregates only: a clinical lead sees no referral.
        res.json(await simulateImpact(deps, { ruleset: req.params.id, from, to: req.params.version, items, withIds: false }));
      } finally {
        simulating = false;
      }
    });
  return router;
}
