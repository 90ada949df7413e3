/**
 * How a stored referral, its decisions and its audit events are answered over the API, in full: the
 * access policy (access-policy.ts) answers each role its part of them, so they live beside it.
 */
import type { AuditEvent } from '../domain/audit-event-types.js';
import type { StoredDecision, StoredReferral, StoredReview } from '../store/referral-store.js';

export function decisionView(d: StoredDecision) {
  return {
    id: d.id,
    source: d.source,
    pathway: d.pathway,
    urgency: d.urgency,
    service: d.service,
    reviewRequired: d.reviewRequired,
    ruleset: d.ruleset,
    evaluationDate: d.evaluationDate,
    replacesDecisionId: d.replacesDecisionId,
    reason: d.reason,
    decidedBy: d.decidedBy,
    // who, by name and role, when a person decided (an override); null for the rules
    decidedByName: d.decidedByName ?? null,
    decidedByRole: d.decidedByRole ?? null,
    createdAt: d.createdAt.toISOString(),
    ...(d.decision ? { explanation: d.decision } : {}),
  };
}

/** A review as a clinician sees it: the outcome, and who reviewed by person id, name and role. */
export function reviewView(r: StoredReview) {
  return {
    id: r.id,
    outcome: r.outcome,
    reviewedDecisionId: r.reviewedDecisionId,
    newDecisionId: r.newDecisionId,
    reason: r.reason,
    reviewedBy: { id: r.reviewer, name: r.reviewerName, role: r.reviewerRole },
    reviewedAt: r.createdAt.toISOString(),
  };
}

export function referralView(referral: StoredReferral, decisions: readonly StoredDecision[], reviews: readonly StoredReview[] = []) {
  const current = decisions.find((d) => d.id === referral.currentDecisionId);
  return {
    id: referral.id,
    status: referral.status,
    receivedAt: referral.receivedAt.toISOString(),
    updatedAt: referral.updatedAt.toISOString(),
    // Made by the synthetic data generator (msk-triage referrals generate), not a real patient's.
    synthetic: referral.synthetic,
    referral: referral.referral,
    decision: current ? decisionView(current) : null,
    decisions: decisions.map(decisionView),
    reviews: reviews.map(reviewView),
  };
}

export function auditEventView(event: AuditEvent) {
  return {
    seq: event.seq,
    id: event.id,
    type: event.type,
    actor: event.actor,
    actorRole: event.actorRole,
    occurredAt: event.occurredAt.toISOString(),
    ruleset: event.ruleset,
    details: event.details,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}
