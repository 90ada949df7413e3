/**
 * A triage clinician's review: confirm the current decision, or override it with a new route and a
 * reason. An override is a new decision linked to the one it replaces, never an update. A second
 * review, or one of two at once, is 409 (the referral row is locked for the transaction, and the
 * database allows one confirmation and one override of any decision).
 *
 * A review may be corrected: an override of a reviewed referral that names the current decision
 * (If-Match) and the latest review (`correctsReviewId`) is a new decision replacing the current one,
 * with a review of its own; the referral stays reviewed. Both names are needed because a
 * confirmation leaves the decision as it was: an override written against the referral before
 * another clinician confirmed it names the same decision, and must not pass for a correction of that
 * confirmation. Anything less on a reviewed referral is refused: no If-Match or no review named is
 * 409 ALREADY_REVIEWED (a client that read the referral before its review must not overwrite it),
 * another review named is 409 DECISION_CHANGED, and a confirmation is 409 ALREADY_REVIEWED (a review
 * stands until corrected; a second confirmation would add nothing).
 */
import { randomUUID } from 'node:crypto';
import { appendAuditEvents } from '../audit/audit-trail.js';
import type { Review } from '../generated/review.js';
import { ApiError } from '../domain/error-catalogue.js';
import type { Actor } from '../auth/principal.js';
import { issuesFrom } from '../schemas/schema-issues.js';
import { validateReview } from '../schemas/schema-registry.js';
import type { Database, Queryable } from '../store/database.js';
import { applyReview, findDecision, findReferral, insertDecision, insertReview, lockReferral, reviewsOf, type StoredDecision, type StoredReferral } from '../store/referral-store.js';

export interface ReviewDeps {
  db: Database;
  clock: () => Date;
  actor: Actor;
}

export interface ReviewAnswer {
  referralId: string;
  reviewId: string;
  outcome: Review['outcome'];
  status: 'reviewed';
  decisionId: string;
  /** who reviewed: their pseudonymous id, their name and their role */
  reviewedBy: { id: string; name: string | null; role: string };
  /** the review this one corrects, when it is a correction */
  correctsReviewId?: string;
}

const UNIQUE_VIOLATION = '23505';

/** The review a correction corrects (the latest), or undefined for a first review; refuses anything else (see above). */
async function correctedReview(tx: Queryable, referral: StoredReferral, review: Review, expectedDecisionId: string | undefined): Promise<string | undefined> {
  if (referral.status !== 'reviewed') {
    // A review named where there is none: the client read another referral, or another state of it.
    if (review.correctsReviewId !== undefined) throw new ApiError('DECISION_CHANGED');
    return undefined;
  }
  if (expectedDecisionId === undefined || review.outcome !== 'overridden' || review.correctsReviewId === undefined) throw new ApiError('ALREADY_REVIEWED');
  const latest = (await reviewsOf(tx, referral.id)).at(-1);
  if (latest?.id !== review.correctsReviewId) throw new ApiError('DECISION_CHANGED');
  return latest.id;
}

/**
 * `expectedDecisionId` (the API's If-Match, the page's hidden field) names the decision the clinician
 * read: the review is made only while it is still the current one, else 409 DECISION_CHANGED.
 */
export async function reviewReferral(deps: ReviewDeps, referralId: string, body: unknown, expectedDecisionId?: string): Promise<ReviewAnswer> {
  if (!validateReview(body)) throw new ApiError('REVIEW_INVALID', issuesFrom(validateReview.errors));
  const review: Review = body;
  const now = deps.clock();
  try {
    return await deps.db.transaction(async (tx) => {
      await lockReferral(tx, referralId); // one review of a referral at a time: the second sees the first's
      const referral = await findReferral(tx, referralId);
      if (!referral || !referral.currentDecisionId) throw new ApiError('REFERRAL_NOT_FOUND');
      if (expectedDecisionId !== undefined && expectedDecisionId !== referral.currentDecisionId) throw new ApiError('DECISION_CHANGED');
      const corrects = await correctedReview(tx, referral, review, expectedDecisionId);
      const current = await findDecision(tx, referral.currentDecisionId);
      if (!current) throw new ApiError('REFERRAL_NOT_FOUND');
      if (review.outcome === 'confirmed' && current.source === 'evaluation-failed') throw new ApiError('NOTHING_TO_CONFIRM');

      const reviewId = randomUUID();
      let newDecision: StoredDecision | null = null;
      if (review.outcome === 'overridden') {
        newDecision = {
          id: randomUUID(), referralId, source: 'override', replacesDecisionId: current.id,
          pathway: review.pathway ?? null, urgency: review.urgency ?? null, service: review.service ?? null, reviewRequired: false,
          ruleset: null, evaluationDate: null, decision: null, reason: review.reason ?? null, decidedBy: deps.actor.id, decidedByName: deps.actor.name ?? null, decidedByRole: deps.actor.role, createdAt: now,
        };
        await insertDecision(tx, newDecision);
      }
      await insertReview(tx, {
        id: reviewId, referralId, reviewedDecisionId: current.id, outcome: review.outcome, newDecisionId: newDecision?.id ?? null,
        reason: review.reason ?? null, reviewer: deps.actor.id, reviewerName: deps.actor.name ?? null, reviewerRole: deps.actor.role, at: now,
      });
      await applyReview(tx, reviewId);
      await appendAuditEvents(tx, [{
        id: randomUUID(), referralId, type: newDecision ? 'referral.overridden' : 'referral.reviewed', actor: deps.actor.id, actorRole: deps.actor.role, occurredAt: now,
        ruleset: current.ruleset,
        details: {
          reviewId, reviewedDecisionId: current.id, outcome: review.outcome, decisionId: newDecision?.id ?? current.id, ...(corrects ? { correctsReviewId: corrects } : {}),
          ...(newDecision ? { fromPathway: current.pathway, fromUrgency: current.urgency, pathway: newDecision.pathway, urgency: newDecision.urgency, service: newDecision.service } : {}),
        },
      }]);
      return {
        referralId, reviewId, outcome: review.outcome, status: 'reviewed', decisionId: newDecision?.id ?? current.id,
        reviewedBy: { id: deps.actor.id, name: deps.actor.name ?? null, role: deps.actor.role }, ...(corrects ? { correctsReviewId: corrects } : {}),
      };
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) throw new ApiError('ALREADY_REVIEWED');
    throw error;
  }
}
