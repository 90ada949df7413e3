/**
 * Referrals: submission (idempotent), reading, the review queue, review, the audit trail and replay.
 * Thin adapters: each handler parses, calls one use case, and sends.
 */
import { Router, type Response } from 'express';
import { referralAuditTrail } from '../audit/audit-trail.js';
import { referralQueue, queueFilter } from '../referrals/referral-queue.js';
import { auditEventView, referralView } from '../referrals/referral-view.js';
import { replayReferral } from '../referrals/replay-referral.js';
import { reviewReferral } from '../referrals/review-referral.js';
import { submitReferral, type SubmissionDeps } from '../referrals/submit-referral.js';
import { decisionsOf, findReferral, type StoredReferral } from '../store/referral-store.js';
import type { Queryable } from '../store/database.js';
import { ApiError } from './error-catalogue.js';
import { methodNotAllowed } from './error-handler.js';
import { jsonBody } from './json-body.js';
import { routeTemplate, type RequestLogFields } from './request-logging.js';

export type ReferralsDeps = SubmissionDeps & { bodyLimitBytes: number };

async function referralOr404(db: Queryable, id: string): Promise<StoredReferral> {
  const referral = await findReferral(db, id);
  if (!referral) throw new ApiError('REFERRAL_NOT_FOUND');
  return referral;
}

function logDecision(res: Response, fields: RequestLogFields & { referralId?: string }): void {
  res.locals.logFields = fields;
}

export function referralsRouter(deps: ReferralsDeps): Router {
  const router = Router();
  const body = jsonBody(deps.bodyLimitBytes);

  router
    .route('/referrals')
    .all(routeTemplate)
    .post(...body, async (req, res) => {
      const answer = await submitReferral(deps, req.body, req.get('idempotency-key'));
      const decision = answer.body.decision;
      logDecision(res, {
        referralId: answer.body.id,
        rulesetId: decision?.ruleset.id,
        rulesetVersion: decision?.ruleset.version,
        pathway: decision?.pathway,
        urgency: decision?.urgency,
        reviewRequired: decision?.reviewRequired,
        outcome: decision?.outcome ?? 'manual-triage',
      });
      if (answer.replayed) res.set('Idempotency-Replayed', 'true');
      res.status(answer.status).location(answer.location).json(answer.body);
    })
    .get(async (req, res) => {
      res.json(await referralQueue(deps.db, queueFilter(req.query)));
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/referrals/:id')
    .all(routeTemplate)
    .get(async (req, res) => {
      const referral = await referralOr404(deps.db, req.params.id);
      res.json(referralView(referral, await decisionsOf(deps.db, referral.id)));
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/referrals/:id/review')
    .all(routeTemplate)
    .post(...body, async (req, res) => {
      const answer = await reviewReferral(deps, req.params.id, req.body);
      logDecision(res, { referralId: answer.referralId, outcome: answer.outcome });
      res.status(201).json(answer);
    })
    .all(methodNotAllowed(['POST']));

  router
    .route('/referrals/:id/audit')
    .all(routeTemplate)
    .get(async (req, res) => {
      const referral = await referralOr404(deps.db, req.params.id);
      res.json({ referralId: referral.id, events: (await referralAuditTrail(deps.db, referral.id)).map(auditEventView) });
    })
    .all(methodNotAllowed(['GET']));

  router
    .route('/referrals/:id/replay')
    .all(routeTemplate)
    .post(async (req, res) => {
      res.json(await replayReferral(deps, req.params.id));
    })
    .all(methodNotAllowed(['POST']));

  return router;
}
