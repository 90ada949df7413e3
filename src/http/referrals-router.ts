/**
 * Referrals: submission (idempotent), reading, the review queue, review, the audit trail and replay.
 * Thin adapters: each handler parses, asks the access policy, calls one use case, and sends.
 */
import { Router, type RequestHandler, type Response } from 'express';
import { decisionFor, ownPracticeCheck, principalOf, referralViewFor, type DenialSink } from '../auth/access-policy.js';
import { actorOf } from '../auth/principal.js';
import { referralAuditTrail } from '../audit/audit-trail.js';
import { practiceFilter, practiceReferrals } from '../referrals/practice-referrals.js';
import { referralQueue, queueFilter } from '../referrals/referral-queue.js';
import { recordQueueRead, recordReferralRead, visibleReferral } from '../referrals/referral-reads.js';
import { auditEventView } from '../auth/referral-view.js';
import { replayReferral } from '../referrals/replay-referral.js';
import { reviewReferral } from '../referrals/review-referral.js';
import { idempotencyScopeOf, submitReferral, type SubmissionDeps } from '../referrals/submit-referral.js';
import { decisionsOf, reviewsOf, type StoredReferral } from '../store/referral-store.js';
import type { Logger } from '../log/logger.js';
import { requestIdOf, requestLogger } from '../log/request-context.js';
import { jsonBody } from './json-body.js';
import type { RequestLogFields } from './request-logging.js';

// Never `synthetic`: only the synthetic data generator marks what it stores so; no request can.
export type ReferralsDeps = Omit<SubmissionDeps, 'actor' | 'idempotencyScope' | 'mayRefer' | 'synthetic'> & {
  bodyLimitBytes: number;
  guard: RequestHandler[];
  recordDenial: DenialSink;
  logger: Logger;
};

function logDecision(res: Response, fields: RequestLogFields & { referralId?: string }): void {
  res.locals.logFields = fields;
}

/** If-Match's entity tag, unquoted (`"id"` or `W/"id"`); `*` or absent: no precondition. */
export function ifMatchOf(header: string | undefined): string | undefined {
  const value = header?.trim();
  if (!value || value === '*') return undefined;
  return /^(?:W\/)?"([^"]*)"$/.exec(value)?.[1] ?? value;
}

export function referralsRouter(deps: ReferralsDeps): Router {
  const router = Router();
  const body = jsonBody(deps.bodyLimitBytes);

  /** The referral, if this caller may see it (referral-reads.ts); another practice's is "not found", and recorded. */
  async function visibleTo(req: { method: string }, res: Response, id: string): Promise<StoredReferral> {
    const referral = await visibleReferral(deps, { principal: principalOf(res), method: req.method, route: res.locals.route as string, requestId: requestIdOf(res) }, id);
    logDecision(res, { referralId: referral.id });
    return referral;
  }

  router
    .route('/referrals')
    .all(...deps.guard)
    .post(...body, async (req, res) => {
      const principal = principalOf(res);
      const answer = await submitReferral(
        {
          ...deps,
          logger: requestLogger(deps.logger, res),
          actor: actorOf(principal),
          synthetic: false,
          idempotencyScope: idempotencyScopeOf(principal),
          mayRefer: ownPracticeCheck(principal, deps.recordDenial, { method: req.method, route: res.locals.route as string, requestId: requestIdOf(res) }),
        },
        req.body,
        req.get('idempotency-key'),
      );
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
      res
        .status(answer.status)
        .location(answer.location)
        .json({ ...answer.body, decision: decision ? decisionFor(principal.role, decision) : null });
    })
    .get(async (req, res) => {
      const principal = principalOf(res);
      // A GP lists their own practice's referrals, newest first; the practice is the token's, never the query's.
      if (principal.role === 'gp') {
        const filter = practiceFilter(req.query);
        const page = await practiceReferrals(deps.db, principal.practice as string, filter);
        await recordQueueRead(deps, actorOf(principal), { list: 'practice', status: filter.statuses.join(',') || null, page: filter.before ? 'next' : 'first' }, page.items.length);
        res.json(page);
        return;
      }
      const filter = queueFilter(req.query);
      const page = await referralQueue(deps.db, filter);
      const filters = {
        status: filter.statuses.join(',') || null, pathway: filter.pathway ?? null, urgency: filter.urgency ?? null, practice: filter.practiceOds ?? null,
        synthetic: filter.synthetic, page: filter.after ? 'next' : 'first',
      };
      await recordQueueRead(deps, actorOf(principal), filters, page.items.length);
      res.json(page);
    });

  router
    .route('/referrals/:id')
    .all(...deps.guard)
    .get(async (req, res) => {
      const referral = await visibleTo(req, res, req.params.id);
      const role = principalOf(res).role;
      const decisions = await decisionsOf(deps.db, referral.id);
      // who reviewed is the clinicians' to see: a GP's view leaves it out
      const reviews = role === 'gp' ? [] : await reviewsOf(deps.db, referral.id);
      await recordReferralRead(deps, actorOf(principalOf(res)), referral.id, 'referral');
      res.json(referralViewFor(role, referral, decisions, reviews));
    });

  router
    .route('/referrals/:id/review')
    .all(...deps.guard)
    .post(...body, async (req, res) => {
      const answer = await reviewReferral({ ...deps, actor: actorOf(principalOf(res)) }, req.params.id, req.body, ifMatchOf(req.get('if-match')));
      logDecision(res, { referralId: answer.referralId, outcome: answer.outcome });
      res.status(201).json(answer);
    });

  router
    .route('/referrals/:id/audit')
    .all(...deps.guard)
    .get(async (req, res) => {
      const referral = await visibleTo(req, res, req.params.id);
      const events = (await referralAuditTrail(deps.db, referral.id)).map(auditEventView);
      // Recorded before the answer is sent; the trail answered is the one up to this read.
      await recordReferralRead(deps, actorOf(principalOf(res)), referral.id, 'audit-trail');
      res.json({ referralId: referral.id, events });
    });

  router
    .route('/referrals/:id/replay')
    .all(...deps.guard)
    .post(async (req, res) => {
      res.json(await replayReferral({ ...deps, actor: actorOf(principalOf(res)) }, req.params.id));
    });

  return router;
}
