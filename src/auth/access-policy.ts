/**
 * The access policy, in one place: which role may call which endpoint, and which may use which web
 * page (deny by default: an endpoint, page or method not in these tables is refused), which referrals a principal may see (a GP only their own
 * practice's: any other is "not found", never "forbidden"), and which fields each role is answered.
 * Routers do not decide access; they ask this module.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Decision } from '../generated/decision.js';
import { ApiError } from '../domain/error-catalogue.js';
import { referralView } from './referral-view.js';
import type { StoredDecision, StoredReferral, StoredReview } from '../store/referral-store.js';
import type { Role } from '../domain/roles.js';
import type { Principal } from './principal.js';
import { requestIdOf } from '../log/request-context.js';

const ANY: readonly Role[] = ['gp', 'triage-clinician', 'clinical-lead'];

/** route template → method → the roles allowed. Everything else is denied. */
export const POLICY: Readonly<Record<string, Readonly<Record<string, readonly Role[]>>>> = {
  '/api/v1/triage': { POST: ANY },
  // GET: a triage clinician's review queue; a GP's own practice's referrals, newest first.
  '/api/v1/referrals': { POST: ['gp'], GET: ['triage-clinician', 'gp'] },
  '/api/v1/referrals/:id': { GET: ['gp', 'triage-clinician'] },
  '/api/v1/referrals/:id/review': { POST: ['triage-clinician'] },
  '/api/v1/referrals/:id/audit': { GET: ['triage-clinician'] },
  '/api/v1/referrals/:id/replay': { POST: ['triage-clinician'] },
  '/api/v1/rulesets': { GET: ['clinical-lead', 'triage-clinician'] },
  '/api/v1/rulesets/:id/versions/:version': { GET: ['clinical-lead', 'triage-clinician'] },
  '/api/v1/rulesets/:id/versions/:version/approvals': { POST: ['clinical-lead'] },
  '/api/v1/rulesets/:id/versions/:version/activate': { POST: ['clinical-lead'] },
  '/api/v1/rulesets/:id/versions/:version/cancel-schedule': { POST: ['clinical-lead'] },
  '/api/v1/rulesets/:id/versions/:version/simulate': { POST: ['clinical-lead'] },
  // The service's counters and gauges: coded values only, no patient data; for whoever runs it.
  '/metrics': { GET: ['operator'] },
};

const GP: readonly Role[] = ['gp'];
const CLINICIAN: readonly Role[] = ['triage-clinician'];
const LEAD: readonly Role[] = ['clinical-lead'];

/**
 * The web pages that need a session: route template → method → the roles allowed, as POLICY is for
 * the API. The start page and signing in and out are for anyone, and are not here.
 */
export const PAGE_POLICY: Readonly<Record<string, Readonly<Record<string, readonly Role[]>>>> = {
  '/referrals': { GET: GP },
  '/referrals/new': { GET: GP, POST: GP },
  '/referrals/:id': { GET: GP },
  '/queue': { GET: CLINICIAN },
  '/queue/search': { GET: CLINICIAN, POST: CLINICIAN },
  '/queue/referrals/:id': { GET: CLINICIAN },
  '/queue/referrals/:id/review': { POST: CLINICIAN },
  '/rulesets': { GET: LEAD },
  '/rulesets/:id/versions/:version': { GET: LEAD },
  '/rulesets/:id/versions/:version/approve': { POST: LEAD },
  '/rulesets/:id/versions/:version/activate': { POST: LEAD },
  '/rulesets/:id/versions/:version/try': { GET: LEAD, POST: LEAD },
  '/rulesets/:id/versions/:version/impact': { POST: LEAD },
  '/rulesets/:id/versions/:version/impact/referrals/:referralId': { GET: LEAD },
  '/rulesets/:id/compare': { GET: LEAD },
};

/** The roles that may use a page with this method (HEAD as GET), or undefined: no one. */
export function pageRoles(route: string, method: string): readonly Role[] | undefined {
  const methods = Object.hasOwn(PAGE_POLICY, route) ? PAGE_POLICY[route] : undefined;
  const asked = method === 'HEAD' ? 'GET' : method;
  return methods && Object.hasOwn(methods, asked) ? methods[asked] : undefined;
}

/** What a refusal records: no patient data, only who, where and why. */
export interface AccessDenial {
  principal: Principal;
  method: string;
  route: string;
  /**
   * `no-such-referral`: an id that names no referral, recorded as another practice's is, so that both take the same time;
   * `not-named-by-simulation`: a clinical lead opening a referral that the simulation of that version does not name
   */
  reason: 'role' | 'other-practice' | 'no-such-referral' | 'not-named-by-simulation';
  referralId?: string;
  /** for the log line only: the request it was refused in */
  requestId?: string;
}

export type DenialSink = (denial: AccessDenial) => Promise<void>;

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  // Unreachable behind `authenticate`; if a route is ever mounted outside it, refuse rather than serve.
  if (!principal) throw new ApiError('AUTHENTICATION_REQUIRED');
  return principal;
}

/**
 * Per route, after `routeTemplate`: the method must be in the table (else 405, so no handler outside
 * the table is ever reached) and the caller's role must be allowed for it (else 403).
 */
export function authorise(onDenied: DenialSink): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const route = res.locals.route as string;
    const methods = POLICY[route] ?? {};
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const roles = Object.hasOwn(methods, method) ? methods[method] : undefined;
    if (!roles) throw new ApiError('METHOD_NOT_ALLOWED', [], { Allow: Object.keys(methods).join(', ') });
    const principal = principalOf(res);
    if (!roles.includes(principal.role)) {
      await onDenied({ principal, method, route, reason: 'role', requestId: requestIdOf(res) });
      throw new ApiError('FORBIDDEN');
    }
    next();
  };
}

/** A GP may see only their own practice's referrals; a triage clinician sees all. */
export function maySeeReferral(principal: Principal, practiceOds: string): boolean {
  if (principal.role === 'triage-clinician') return true;
  if (principal.role === 'gp') return principal.practice === practiceOds;
  return false;
}

/** A GP refers for their own practice only. */
export function referringPracticeIssue(principal: Principal, practiceOds: string): { path: string; message: string } | undefined {
  if (principal.role !== 'gp' || principal.practice === practiceOds) return undefined;
  return { path: '/referrer/odsCode', message: 'must be the ODS code of your own practice' };
}

/**
 * The submission's check that the caller refers for their own practice: a GP's referral for another
 * practice is refused (403, naming /referrer/odsCode) and recorded. For `submitReferral`'s `mayRefer`.
 */
export function ownPracticeCheck(principal: Principal, onDenied: DenialSink, at: { method: string; route: string; requestId?: string }) {
  return async (referral: { referrer: { odsCode: string } }): Promise<void> => {
    const issue = referringPracticeIssue(principal, referral.referrer.odsCode);
    if (!issue) return;
    await onDenied({ principal, method: at.method, route: at.route, reason: 'other-practice', ...(at.requestId ? { requestId: at.requestId } : {}) });
    throw new ApiError('FORBIDDEN', [issue]);
  };
}

/** What a GP is told of a decision: the route, the reasons and their evidence, not the rules' condition trees. */
export function decisionForGp(decision: Decision) {
  return {
    outcome: decision.outcome,
    pathway: decision.pathway,
    urgency: decision.urgency,
    service: decision.service,
    reviewRequired: decision.reviewRequired,
    ruleset: decision.ruleset,
    evaluationDate: decision.evaluationDate,
    winningRule: decision.winningRule,
    firedRules: decision.firedRules.map(({ conditions: _conditions, ...rule }) => rule),
    advice: decision.advice,
    explanation: decision.explanation,
  };
}

export const decisionFor = (role: Role, decision: Decision) => (role === 'gp' ? decisionForGp(decision) : decision);

/** A stored referral as the role may see it: a GP gets the referral, its status and its current route, not the history or who decided. */
export function referralViewFor(role: Role, referral: StoredReferral, decisions: readonly StoredDecision[], reviews: readonly StoredReview[] = []) {
  const full = referralView(referral, decisions, reviews);
  if (role !== 'gp') return full;
  const current = decisions.find((d) => d.id === referral.currentDecisionId);
  return {
    id: full.id,
    status: full.status,
    receivedAt: full.receivedAt,
    updatedAt: full.updatedAt,
    referral: full.referral,
    decision: current
      ? {
          source: current.source,
          pathway: current.pathway,
          urgency: current.urgency,
          service: current.service,
          reviewRequired: current.reviewRequired,
          ruleset: current.ruleset,
          evaluationDate: current.evaluationDate,
          reason: current.reason,
          createdAt: current.createdAt.toISOString(),
          ...(current.decision ? { explanation: decisionForGp(current.decision) } : {}),
        }
      : null,
  };
}
