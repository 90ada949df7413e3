/**
 * The loaded rule sets: GET /api/v1/rulesets, one version's full content, and a version's approval,
 * activation (or its schedule, and the schedule's cancellation) and impact simulation.
 */
import { Router, type RequestHandler, type Response } from 'express';
import type { ValidateFunction } from 'ajv';
import { principalOf } from '../auth/access-policy.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import { simulateImpact, simulationSelection, storedReferralPages } from '../referrals/simulate-impact.js';
import { jsonBody } from './json-body.js';
import { activateVersion, approveVersion, isScheduled, type Signatory } from '../rulesets/rule-set-activation.js';
import { ruleSetListing } from '../rulesets/rule-set-listing.js';
import { cancelSchedule } from '../rulesets/scheduled-activation.js';
import { issuesFrom } from '../schemas/schema-issues.js';
import { validateActivationRequest, validateApprovalRequest, validateScheduleCancellationRequest, validateSimulationRequest } from '../schemas/schema-registry.js';
import type { Database } from '../store/database.js';
import { ApiError, type ErrorCode } from '../domain/error-catalogue.js';
import { inspectVersionInWorker } from '../rules/version-check.js';

/**
 * The body as its schema (schemas/*-request.schema.json) allows it, or `code` listing each problem.
 * No body at all is the same as {}: every field of these bodies but an activation's reason is optional.
 */
function bodyOf<T>(validate: ValidateFunction<T>, code: ErrorCode, body: unknown): T {
  const value = body ?? {};
  if (!validate(value)) throw new ApiError(code, issuesFrom(validate.errors));
  return value;
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
    .get(async (_req, res) => {
      res.json({ rulesets: await ruleSetListing(registry, deps.db) });
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
      const { note } = bodyOf(validateApprovalRequest, 'REQUEST_INVALID', req.body);
      const approval = await approveVersion(deps, { rulesetId: req.params.id, version: req.params.version, approver: signatory(res), ...(note === undefined ? {} : { note: note.trim() }) });
      res.status(201).json({ ...approval, approvedAt: approval.approvedAt.toISOString() });
    });
  router
    .route('/rulesets/:id/versions/:version/activate')
    .all(...deps.guard)
    .post(...jsonBody(deps.bodyLimitBytes), async (req, res) => {
      const { reason, overrideEffectiveFrom } = bodyOf(validateActivationRequest, 'REQUEST_INVALID', req.body);
      const result = await activateVersion(deps, {
        rulesetId: req.params.id, version: req.params.version, activatedBy: signatory(res), reason: reason.trim(),
        ...(overrideEffectiveFrom === undefined ? {} : { overrideEffectiveFrom: overrideEffectiveFrom.trim() }),
      });
      res.locals.logFields = { rulesetId: result.rulesetId, rulesetVersion: result.version };
      // Before its effectiveFrom: accepted, to be carried out at the start of that day.
      res.status(isScheduled(result) ? 202 : 200).json(result);
    });
  router
    .route('/rulesets/:id/versions/:version/cancel-schedule')
    .all(...deps.guard)
    .post(...jsonBody(deps.bodyLimitBytes), async (req, res) => {
      const { reason } = bodyOf(validateScheduleCancellationRequest, 'REQUEST_INVALID', req.body);
      const cancelled = await cancelSchedule(deps, { rulesetId: req.params.id, version: req.params.version, cancelledBy: signatory(res), reason: reason.trim() });
      res.locals.logFields = { rulesetId: cancelled.rulesetId, rulesetVersion: cancelled.version };
      res.json(cancelled);
    });
  router
    .route('/rulesets/:id/versions/:version/simulate')
    .all(...deps.guard)
    .post(...jsonBody(deps.bodyLimitBytes), async (req, res) => {
      // from is the simulation's one parameter: a bad one is QUERY_INVALID, like ?version= on triage.
      const { from } = bodyOf(validateSimulationRequest, 'QUERY_INVALID', req.body);
      const synthetic = simulationSelection(req.query);
      // One simulation at a time per instance: each takes every core for a while.
      if (simulating) throw new ApiError('RATE_LIMITED', [], { 'Retry-After': '10' });
      simulating = true;
      try {
        // Read a page at a time while the pages before are tallied: never every referral in memory at once.
        const items = storedReferralPages(deps.db, { synthetic });
        // De-identified aggregates only: a clinical lead sees no referral.
        res.json(await simulateImpact({ ...deps, inspect: inspectVersionInWorker }, { ruleset: req.params.id, from, to: req.params.version, items, withIds: false }));
      } finally {
        simulating = false;
      }
    });
  return router;
}
