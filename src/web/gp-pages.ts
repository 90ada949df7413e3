/**
 * A GP's pages: New referral (the contract's form, submitted through the same use case as
 * POST /api/v1/referrals, with an idempotency key in the form so that a double submit stores one
 * referral), the decision on each referral, and the practice's referrals, newest first.
 *
 * The form's key is in its address too (`/referrals/new?form=<key>`, a random id and nothing of the
 * patient): the browser's Back button returns to that address, and a form whose key has been sent
 * already opens the referral it made, saying so, instead of a fresh form that would store it twice. A GP sees
 * only their own practice's referrals: any other is "not found", and recorded, as on the API.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as wait } from 'node:timers/promises';
import { Router, type Response } from 'express';
import { ownPracticeCheck, referralViewFor, type DenialSink } from '../auth/access-policy.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { todayInLondon } from '../domain/calendar.js';
import { ApiError } from '../domain/error-catalogue.js';
import { routeTemplate } from '../http/request-logging.js';
import type { Logger } from '../log/logger.js';
import { requestIdOf, requestLogger } from '../log/request-context.js';
import { practiceFilter, practiceReferralRows } from '../referrals/practice-referrals.js';
import { idempotencyScopeOf, referralSubmittedWith, submitReferral, type SubmissionAnswer, type SubmissionDeps } from '../referrals/submit-referral.js';
import type { TriageDeps } from '../referrals/triage-referral.js';
import type { Referral } from '../generated/referral.js';
import { ageOf } from '../rules/derived-facts.js';
import type { Database } from '../store/database.js';
import { decisionsOf } from '../store/referral-store.js';
import { nhsNumberText, routeWords, STATUS_TEXT } from './decision-text.js';
import { render } from './pages.js';
import { answerText, fieldErrors, readReferralForm, referralFormGroups, type FormField, type FormValues } from './referral-form.js';
import { firedRuleRows } from './rule-prose.js';
import { pageGuard } from './web-guards.js';
import type { Views } from './views.js';
import { recordQueueRead, recordReferralRead, visibleReferral } from '../referrals/referral-reads.js';

export interface GpPagesDeps extends TriageDeps {
  db: Database;
  views: Views;
  logger: Logger;
  keysInFlight: Set<string>;
  recordDenial: DenialSink;
}

/** How long a second submit of the same form waits for the first to be stored before it shows its answer. */
const IN_FLIGHT_WAIT_MS = 100;
const IN_FLIGHT_TRIES = 100;
/** A form's key, as this page makes them (a UUID). */
const FORM_KEY = /^[0-9a-f-]{36}$/;

const principalOf = (res: Response): Principal => res.locals.principal as Principal;

export function gpPages(deps: GpPagesDeps): Router {
  const router = Router();
  const groups = referralFormGroups();
  const BODY_SITE = groups.flatMap((g) => g.fields).find((f) => f.name === 'complaint.bodySite') as FormField;
  const guard = pageGuard(deps.views, deps.recordDenial);

  const formPage = (res: Response, values: FormValues, idempotencyKey: string, errors?: ReturnType<typeof fieldErrors>) =>
    render(deps.views, res, 'referral-form.njk', { title: 'New referral', groups, values, idempotencyKey, errors: errors?.summary ?? [], fieldErrors: errors?.byField ?? {} });

  async function submit(res: Response, referral: unknown, key: string): Promise<SubmissionAnswer> {
    const principal = principalOf(res);
    const submission: SubmissionDeps = {
      ...deps,
      logger: requestLogger(deps.logger, res),
      actor: actorOf(principal),
      synthetic: false,
      idempotencyScope: idempotencyScopeOf(principal),
      mayRefer: ownPracticeCheck(principal, deps.recordDenial, { method: 'POST', route: res.locals.route as string, requestId: requestIdOf(res) }),
    };
    // A second submit of the same form (a double click) while the first is stored waits for it, then gets its answer.
    for (let tries = 0; ; tries += 1) {
      try {
        return await submitReferral(submission, referral, key);
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 'IDEMPOTENCY_IN_FLIGHT') || tries >= IN_FLIGHT_TRIES) throw error;
        await wait(IN_FLIGHT_WAIT_MS);
      }
    }
  }

  /** The referral an earlier submit of this form's key stored, if any. */
  const sentAlready = (res: Response, key: string): Promise<string | undefined> => referralSubmittedWith(deps.db, idempotencyScopeOf(principalOf(res)), key);

  router
    .route('/referrals/new')
    .all(routeTemplate, guard)
    .get(async (req, res) => {
      const key = typeof req.query.form === 'string' && FORM_KEY.test(req.query.form) ? req.query.form : undefined;
      if (!key) return res.redirect(303, `/referrals/new?form=${randomUUID()}`);
      const sent = await sentAlready(res, key);
      if (sent) return res.redirect(303, `/referrals/${sent}?sent=already`);
      formPage(res, { 'referrer.odsCode': principalOf(res).practice }, key);
    })
    .post(async (req, res) => {
      const body = (req.body ?? {}) as FormValues;
      const key = typeof body._idempotencyKey === 'string' && FORM_KEY.test(body._idempotencyKey) ? body._idempotencyKey : randomUUID();
      // This form was sent already (resubmitted after Back, from an answer the browser cannot show again): its referral stands, and is shown.
      const earlier = await sentAlready(res, key);
      if (earlier) return res.redirect(303, `/referrals/${earlier}?sent=already`);
      // The contract's issues, and every red flag asked here, the contract's optional one too: the form comes back, nothing sent.
      const form = readReferralForm(groups, body);
      if (!form.ok) {
        res.locals.errorCode = 'REFERRAL_INVALID';
        return formPage(res, body, key, fieldErrors(groups, form.problems));
      }
      try {
        const answer = await submit(res, form.referral, key);
        res.locals.logFields = { referralId: answer.body.id, outcome: answer.body.decision?.outcome ?? 'manual-triage', pathway: answer.body.decision?.pathway, urgency: answer.body.decision?.urgency };
        res.redirect(303, `/referrals/${answer.body.id}`);
      } catch (error) {
        // This form's key was sent already with other answers (changed after Back): the referral it made stands, and is shown.
        const sent = error instanceof ApiError && error.code === 'IDEMPOTENCY_KEY_REUSED' ? await sentAlready(res, key) : undefined;
        if (sent) return res.redirect(303, `/referrals/${sent}?sent=already`);
        if (!(error instanceof ApiError) || !['REFERRAL_INVALID', 'FORBIDDEN'].includes(error.code)) throw error;
        res.locals.errorCode = error.code;
        // The form again with its errors, answered 200 as the design system's services do (a browser reports a 4xx page as an error).
        formPage(res, body, key, fieldErrors(groups, error.issues));
      }
    });

  router
    .route('/referrals')
    .all(routeTemplate, guard)
    .get(async (req, res) => {
      const principal = principalOf(res);
      const filter = practiceFilter(req.query);
      const page = await practiceReferralRows(deps.db, principal.practice as string, filter);
      // A read of patient data (the list shows whose each referral is), recorded as the API records its list.
      await recordQueueRead({ db: deps.db, clock: deps.clock }, actorOf(principal), { list: 'practice', status: filter.statuses.join(',') || null, page: filter.before ? 'next' : 'first' }, page.rows.length);
      const now = deps.clock();
      const rows = page.rows.map(({ referral: r, service }) => ({
        id: r.id,
        bodySite: r.referral.complaint.bodySite,
        urgency: r.urgency,
        // Whose referral it is, so that two of one kind can be told apart: the NHS number as it is written (943 476 5919) and the age.
        nhsNumber: nhsNumberText(r.referral.patient.nhsNumber),
        age: ageOf(r.referral, todayInLondon(now)),
        route: routeWords({ pathway: r.pathway, urgency: r.urgency, service }),
        statusText: STATUS_TEXT[r.status],
        received: londonTime(r.receivedAt),
      }));
      render(deps.views, res, 'practice-referrals.njk', { title: "My practice's referrals", practice: principal.practice, rows, nextCursor: page.nextCursor });
    });

  router
    .route('/referrals/:id')
    .all(routeTemplate, guard)
    .get(async (req, res) => {
      const principal = principalOf(res);
      // As the API does (referral-reads.ts): both not-found answers do the same work, so their timing tells nothing.
      const referral = await visibleReferral(deps, { principal, method: 'GET', route: res.locals.route as string, requestId: requestIdOf(res) }, req.params.id);
      res.locals.logFields = { referralId: referral.id };
      await recordReferralRead({ db: deps.db, clock: deps.clock }, actorOf(principal), referral.id, 'referral');
      const decisions = await decisionsOf(deps.db, referral.id);
      const view = referralViewFor('gp', referral, decisions) as unknown as { referral: Referral; status: string; decision: GpDecisionView | null };
      const decision = view.decision;
      // What each fired rule looked at, in words: the GP's own referral's answers (the API's GP view leaves the condition trees out for brevity).
      const explained = decisions.find((d) => d.id === referral.currentDecisionId)?.decision;
      render(deps.views, res, 'referral-decision.njk', {
        title: 'The decision',
        referral: view.referral,
        status: view.status,
        statusText: STATUS_TEXT[view.status],
        received: londonTime(referral.receivedAt),
        decision,
        route: decision ? routeWords(decision) : routeWords({ pathway: null, urgency: null }),
        emergency: decision?.urgency === 'emergency',
        // Back to a form already sent: this is the referral it made, and nothing was stored again.
        sentAlready: req.query.sent === 'already',
        decidedAt: decision?.createdAt ? londonTime(new Date(decision.createdAt)) : undefined,
        // Whose referral this is, at the top, beside where they go: the NHS number as written, the age, the problem's site.
        patientText: `NHS number ${nhsNumberText(view.referral.patient.nhsNumber)}, aged ${ageOf(view.referral, todayInLondon(deps.clock()))}; ${answerText(BODY_SITE, view.referral.complaint.bodySite).toLowerCase()}`,
        firedRules: firedRuleRows(explained?.firedRules, explained?.winningRule),
        groups,
      });
    });

  return router;
}

interface GpDecisionView {
  source: string;
  pathway: 'physio' | 'gp' | 'community' | 'secondary' | null;
  urgency: 'emergency' | 'very-urgent' | 'urgent' | 'soon' | 'routine' | null;
  service: string | null;
  reason: string | null;
  createdAt: string;
  explanation?: { winningRule: string | null; firedRules: Array<{ id: string; title: string; advice: string; route: { pathway: 'physio' | 'gp' | 'community' | 'secondary'; urgency: 'emergency' | 'very-urgent' | 'urgent' | 'soon' | 'routine'; service: string }; evidence: Array<{ citation: string; url?: string }> }>; advice: string[]; explanation: string[] };
}

const LONDON = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit' });
export const londonTime = (at: Date): string => LONDON.format(at);
