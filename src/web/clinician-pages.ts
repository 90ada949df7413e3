/**
 * A triage clinician's pages: the queue (the API's order, the open statuses by default, filters for
 * status, pathway, urgency and practice), a search by NHS number (POSTed, so the number is never in
 * an address), and a referral with its decision's full explanation, every decision it has had, its
 * audit trail, and the actions: confirm, or override with a reason; on a reviewed referral, correct
 * the review (an override naming the review it corrects). An action names the decision it acts on (a
 * hidden field, the API's If-Match): if another clinician acted first, nothing is saved and the page
 * says what changed (409). Who acted is shown by name and role, never as a token id.
 */
import { Router, type Request, type Response } from 'express';
import { referralViewFor, type DenialSink } from '../auth/access-policy.js';
import { actorNames } from '../auth/actor-names.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { referralAuditTrail } from '../audit/audit-trail.js';
import { todayInLondon } from '../domain/calendar.js';
import { isValidNhsNumber } from '../domain/nhs-number.js';
import { ApiError, type Issue } from '../domain/error-catalogue.js';
import { PATHWAYS, URGENCIES } from '../domain/route-order.js';
import { routeTemplate } from '../http/request-logging.js';
import { requestIdOf } from '../log/request-context.js';
import { queueFilter, referralQueueRows, STATUSES } from '../referrals/referral-queue.js';
import { reviewReferral } from '../referrals/review-referral.js';
import { ageOf } from '../rules/derived-facts.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import type { Database } from '../store/database.js';
import { searchByNhsNumber } from '../referrals/search-referrals.js';
import { decisionsOf, reviewsOf, type QueueRow } from '../store/referral-store.js';
import { EVENT_TEXT, PATHWAY_TEXT, routeWords, serviceText, STATUS_TEXT, URGENCY_TEXT } from './decision-text.js';
import { londonTime } from './gp-pages.js';
import { render } from './pages.js';
import { referralFormGroups } from './referral-form.js';
import { firedRuleRows } from './rule-prose.js';
import { pageGuard } from './web-guards.js';
import type { Views } from './views.js';
import { recordQueueRead, recordReferralRead, visibleReferral } from '../referrals/referral-reads.js';

export interface ClinicianPagesDeps {
  db: Database;
  views: Views;
  clock: () => Date;
  recordDenial: DenialSink;
  registry: RuleSetRegistry;
}

const OPEN_STATUSES = ['awaiting-review', 'awaiting-manual-triage'];
const principalOf = (res: Response): Principal => res.locals.principal as Principal;

/** How long a referral has waited, in the largest whole unit. */
function waited(since: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 60_000));
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'}`;
  return `${Math.floor(hours / 24)} days`;
}

function queueRowView(row: QueueRow, now: Date) {
  const r = row.referral;
  return {
    id: r.id,
    age: ageOf(r.referral, todayInLondon(now)),
    bodySite: r.referral.complaint.bodySite,
    route: routeWords({ pathway: r.pathway, urgency: r.urgency, service: row.service }),
    urgency: r.urgency,
    waited: waited(r.receivedAt, now),
    why: r.status === 'awaiting-manual-triage' ? ['No route: the rules could not decide'] : row.reviewReasons,
    statusText: STATUS_TEXT[r.status],
    practice: r.practiceOds,
    synthetic: r.synthetic,
    possibleDuplicate: row.possibleDuplicate,
  };
}

export function clinicianPages(deps: ClinicianPagesDeps): Router {
  const router = Router();
  const guard = pageGuard(deps.views, deps.recordDenial);
  const groups = referralFormGroups();

  router
    .route('/queue')
    .all(routeTemplate, guard)
    .get(async (req, res) => {
      const query = { ...req.query } as Record<string, unknown>;
      // The page's form sends each ticked status on its own, and empty choices as empty: the API's filter takes them as one list.
      const ticked = query.status === undefined ? OPEN_STATUSES : Array.isArray(query.status) ? (query.status as string[]) : [query.status as string];
      query.status = ticked.join(',');
      // An ODS code as a person types it ("j82001 "): the code it names.
      if (typeof query.practice === 'string') query.practice = query.practice.trim().toUpperCase();
      for (const key of ['pathway', 'urgency', 'practice']) if (query[key] === '') delete query[key];
      const filter = queueFilter(query);
      const page = await referralQueueRows(deps.db, filter);
      await recordQueueRead({ db: deps.db, clock: deps.clock }, actorOf(principalOf(res)), {
        status: filter.statuses.join(',') || null, pathway: filter.pathway ?? null, urgency: filter.urgency ?? null, practice: filter.practiceOds ?? null,
        synthetic: filter.synthetic, page: filter.after ? 'next' : 'first',
      }, page.rows.length);
      const now = deps.clock();
      render(deps.views, res, 'queue.njk', {
        title: 'Review queue',
        rows: page.rows.map((row) => queueRowView(row, now)),
        nextCursor: page.nextCursor,
        filter: { statuses: ticked, pathway: filter.pathway, urgency: filter.urgency, practice: filter.practiceOds },
        // What the list shows, in words, and whether it is the default (the open referrals): the filter stays open when it is not.
        showing: [
          ticked.map((status) => STATUS_TEXT[status] ?? status).join(' or '),
          ...(filter.pathway ? [PATHWAY_TEXT[filter.pathway]] : []),
          ...(filter.urgency ? [URGENCY_TEXT[filter.urgency]] : []),
          ...(filter.practiceOds ? [`practice ${filter.practiceOds}`] : []),
        ].join('; '),
        filtered: ticked.join() !== OPEN_STATUSES.join() || Boolean(filter.pathway ?? filter.urgency ?? filter.practiceOds),
        choices: { statuses: STATUSES.map((s) => ({ value: s, text: STATUS_TEXT[s] })), pathways: PATHWAYS.map((p) => ({ value: p, text: PATHWAY_TEXT[p] })), urgencies: URGENCIES.map((u) => ({ value: u, text: URGENCY_TEXT[u] })) },
      });
    });

  router
    .route('/queue/search')
    .all(routeTemplate, guard)
    .get((_req, res) => {
      render(deps.views, res, 'search.njk', { title: 'Search by NHS number' });
    })
    .post(async (req, res) => {
      const given = (req.body as Record<string, unknown>).nhsNumber;
      const nhsNumber = typeof given === 'string' ? given.replace(/[\s-]/g, '') : '';
      if (!/^\d{10}$/.test(nhsNumber)) {
        return render(deps.views, res, 'search.njk', { title: 'Search by NHS number', errors: [{ text: 'Enter an NHS number of 10 digits', href: '#nhsNumber' }], nhsNumber });
      }
      // Ten digits whose check digit is wrong are a mistyped number, not a patient with no referral.
      if (!isValidNhsNumber(nhsNumber)) {
        return render(deps.views, res, 'search.njk', { title: 'Search by NHS number', errors: [{ text: 'Enter a valid NHS number: this one’s check digit is wrong, so it may be mistyped', href: '#nhsNumber' }], nhsNumber });
      }
      const now = deps.clock();
      const rows = (await searchByNhsNumber({ db: deps.db, clock: deps.clock, actor: actorOf(principalOf(res)) }, nhsNumber)).map((row) => ({ ...queueRowView(row, now), received: londonTime(row.referral.receivedAt) }));
      render(deps.views, res, 'search.njk', { title: 'Search by NHS number', rows, nhsNumber, searched: true });
    });

  async function referralPage(req: Request, res: Response, extra: { errors?: Array<{ text: string; href: string }>; conflict?: boolean; values?: Record<string, unknown> } = {}, status = 200): Promise<void> {
    // As the API looks a referral up (referral-reads.ts): a clinician sees every practice's, and an id that names none is recorded as the API records it.
    const referral = await visibleReferral(deps, { principal: principalOf(res), method: req.method, route: res.locals.route as string, requestId: requestIdOf(res) }, String(req.params.id));
    res.locals.logFields = { referralId: referral.id };
    const decisions = await decisionsOf(deps.db, referral.id);
    // A read of patient data, recorded as the API records it (referral-reads.ts).
    await recordReferralRead({ db: deps.db, clock: deps.clock }, actorOf(principalOf(res)), referral.id, 'referral');
    const view = referralViewFor('triage-clinician', referral, decisions) as unknown as { referral: Record<string, unknown>; decision: DecisionView | null; decisions: DecisionView[] };
    const events = await referralAuditTrail(deps.db, referral.id);
    const latestReview = referral.status === 'reviewed' ? (await reviewsOf(deps.db, referral.id)).at(-1) : undefined;
    const names = await actorNames(deps.db, [...new Set([...decisions.map((d) => d.decidedBy), ...events.map((e) => e.actor)])]);
    const decisionRows = (d: DecisionView) => ({
      ...d,
      route: routeWords(d),
      by: names.get(d.decidedBy) ?? d.decidedBy,
      at: londonTime(new Date(d.createdAt)),
      firedRules: firedRuleRows(d.explanation?.firedRules, d.explanation?.winningRule),
    });
    const current = view.decision ? decisionRows(view.decision) : null;
    render(deps.views, res, 'clinician-referral.njk', {
      title: 'Referral',
      id: referral.id,
      status: referral.status,
      statusText: STATUS_TEXT[referral.status],
      received: londonTime(referral.receivedAt),
      practice: referral.practiceOds,
      referral: view.referral,
      groups,
      current,
      emergency: current?.urgency === 'emergency',
      earlier: view.decisions.filter((d) => d.id !== view.decision?.id).map(decisionRows),
      events: events.map((e) => ({ at: londonTime(e.occurredAt), type: e.type, what: EVENT_TEXT[e.type] ?? e.type, by: names.get(e.actor) ?? e.actor })),
      canAct: referral.status === 'awaiting-review' || referral.status === 'awaiting-manual-triage' || referral.status === 'routed',
      // A review stands until corrected: the correction names it, and the decision it replaces.
      canCorrect: latestReview !== undefined,
      latestReview: latestReview && { id: latestReview.id, outcome: latestReview.outcome, by: names.get(latestReview.reviewer) ?? latestReview.reviewerName ?? latestReview.reviewer, at: londonTime(latestReview.createdAt) },
      noRoute: current?.source === 'evaluation-failed',
      choices: { pathways: PATHWAYS.map((p) => ({ value: p, text: PATHWAY_TEXT[p] })), urgencies: URGENCIES.map((u) => ({ value: u, text: URGENCY_TEXT[u] })) },
      errors: extra.errors ?? [],
      conflict: extra.conflict ?? false,
      values: extra.values ?? {},
      serviceText: serviceText(current?.service),
      // The services the rule set that decided it names (and the active one's): offered for an override, typed codes still taken.
      services: servicesOf(deps.registry, current?.ruleset ?? null),
    }, status);
  }

  router
    .route('/queue/referrals/:id')
    .all(routeTemplate, guard)
    .get(async (req, res) => referralPage(req, res));

  router
    .route('/queue/referrals/:id/review')
    .all(routeTemplate, guard)
    .post(async (req, res) => {
      const form = (req.body ?? {}) as Record<string, string | undefined>;
      const confirming = form.outcome === 'confirmed';
      const review = confirming
        ? { outcome: 'confirmed' }
        : { outcome: 'overridden', ...(form.pathway ? { pathway: form.pathway } : {}), ...(form.urgency ? { urgency: form.urgency } : {}), ...(form.service?.trim() ? { service: form.service.trim() } : {}), ...(form.reason?.trim() ? { reason: form.reason.trim() } : {}), ...(form.correctsReviewId ? { correctsReviewId: form.correctsReviewId } : {}) };
      try {
        await reviewReferral({ db: deps.db, clock: deps.clock, actor: actorOf(principalOf(res)) }, String(req.params.id), review, form.decisionId ?? '');
        res.locals.logFields = { referralId: req.params.id, outcome: review.outcome };
        res.redirect(303, `/queue/referrals/${String(req.params.id)}`);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        res.locals.errorCode = error.code;
        if (error.code === 'DECISION_CHANGED' || error.code === 'ALREADY_REVIEWED') return referralPage(req, res, { conflict: true }, 409);
        if (error.code === 'REVIEW_INVALID' || error.code === 'NOTHING_TO_CONFIRM') {
          return referralPage(req, res, { errors: reviewErrors(error.code, error.issues), values: form });
        }
        throw error;
      }
    });

  return router;
}

/** Every service the deciding version and the active version route to, as code and words, sorted by the words. */
function servicesOf(registry: RuleSetRegistry, decidedBy: { id: string; version: string } | null): Array<{ value: string; text: string }> {
  const documents = [decidedBy && registry.get(decidedBy.id, decidedBy.version), ...registry.summaries().map((s) => registry.active(s.id))].flatMap((v) => (v ? [v.document] : []));
  const codes = new Set(documents.flatMap((doc) => [...doc.rules.map((rule) => rule.route.service), doc.defaultRoute.service]));
  return [...codes].map((value) => ({ value, text: serviceText(value) })).sort((a, b) => a.text.localeCompare(b.text));
}

const REVIEW_FIELDS: Record<string, { label: string; href: string }> = {
  '/pathway': { label: 'Pathway', href: '#override-pathway' },
  '/urgency': { label: 'Urgency', href: '#override-urgency' },
  '/service': { label: 'Service', href: '#override-service' },
  '/reason': { label: 'Reason', href: '#override-reason' },
};

function reviewErrors(code: string, issues: readonly Issue[]): Array<{ text: string; href: string }> {
  if (code === 'NOTHING_TO_CONFIRM') return [{ text: 'This referral has no route to confirm: give it one with an override', href: '#override-pathway' }];
  return issues.map((issue) => {
    const field = REVIEW_FIELDS[issue.path];
    // A service the contract's pattern refuses: say what the pattern is, in words.
    const message = issue.path === '/service' && issue.message.includes('format') ? `${issue.message}: choose one from the list, or give its code in lowercase words joined by hyphens, for example orthopaedics-knee` : issue.message;
    return { text: `${field?.label ?? 'The review'}: ${message}`, href: field?.href ?? '#override-pathway' };
  });
}

interface DecisionView {
  id: string;
  source: string;
  pathway: 'physio' | 'gp' | 'community' | 'secondary' | null;
  urgency: 'emergency' | 'very-urgent' | 'urgent' | 'soon' | 'routine' | null;
  service: string | null;
  reviewRequired: boolean | null;
  reason: string | null;
  decidedBy: string;
  createdAt: string;
  ruleset: { id: string; version: string } | null;
  evaluationDate: string | null;
  explanation?: { winningRule: string | null; explanation: string[]; firedRules: Array<{ id: string; title: string; advice: string; reviewRequired: boolean; route: { pathway: 'physio' | 'gp' | 'community' | 'secondary'; urgency: 'emergency' | 'very-urgent' | 'urgent' | 'soon' | 'routine'; service: string }; evidence: Array<{ citation: string }>; conditions: unknown }> };
}
