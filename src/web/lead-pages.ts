/**
 * A clinical lead's pages: every rule set's versions (status, content hash, approvals, activation
 * history, the active one marked, the drafts left out and why); a version, each rule as sentences
 * with its rationale, evidence, advice and the bundled cases that fire it with their results; Try a
 * referral against any loaded version (the GP's form; nothing stored); Compare two versions; and
 * Approve and Activate, each refusal listing its problems. The same use cases as the API.
 */
import { Router, type Request, type Response } from 'express';
import type { DenialSink } from '../auth/access-policy.js';
import type { Principal } from '../auth/principal.js';
import { ApiError, type Issue } from '../domain/error-catalogue.js';
import { routeTemplate } from '../http/request-logging.js';
import { simulateImpact, storedReferralPages } from '../referrals/simulate-impact.js';
import { evaluateReferral, type TriageDeps } from '../referrals/triage-referral.js';
import type { SimulationReport } from '../rules/impact-simulation.js';
import { diffRuleSets } from '../rules/rule-set-diff.js';
import { activateVersion, approveVersion, isScheduled, type Signatory } from '../rulesets/rule-set-activation.js';
import { ruleSetListing } from '../rulesets/rule-set-listing.js';
import type { Database } from '../store/database.js';
import { activationsOf, approvalsOf } from '../store/ruleset-store.js';
import { routeKeyText, routeWords } from './decision-text.js';
import { londonTime } from './gp-pages.js';
import { impactReferralHref } from './impact-referral-page.js';
import { render } from './pages.js';
import { fieldErrors, readReferralForm, referralFormGroups, type FormValues } from './referral-form.js';
import { conditionSentence, DIFF_IN_PROSE, firedRuleRows, routeSentence, ruleOutline, type RuleCondition } from './rule-prose.js';
import { pageGuard } from './web-guards.js';
import type { Views } from './views.js';

export interface LeadPagesDeps extends TriageDeps {
  db: Database;
  views: Views;
  rulesDir: string;
  checkerSearchSize?: number;
  recordDenial: DenialSink;
}

const signatory = (res: Response): Signatory => {
  const principal = res.locals.principal as Principal;
  return { name: principal.name, id: principal.id, actorRole: 'clinical-lead', role: 'clinical lead' };
};

/** The transition matrix (from-routes as rows, to-routes as columns) and the chart's bars: one per route change, and the unchanged. */
function impactViews(report: SimulationReport) {
  const rows = [...new Set(report.transitions.map((t) => t.from))];
  const columns = [...new Set(report.transitions.map((t) => t.to))];
  const count = (from: string, to: string) => report.transitions.find((t) => t.from === from && t.to === to)?.count ?? 0;
  const unchanged = report.transitions.filter((t) => t.from === t.to).reduce((n, t) => n + t.count, 0);
  const bars = [{ label: 'Route unchanged', count: unchanged }, ...report.transitions.filter((t) => t.from !== t.to).map((t) => ({ label: `${routeKeyText(t.from)} → ${routeKeyText(t.to)}`, count: t.count }))];
  const most = Math.max(1, ...bars.map((b) => b.count));
  return {
    // Keyed by the simulation's codes, shown in words.
    matrix: { columns: columns.map(routeKeyText), rows: rows.map((from) => ({ from: routeKeyText(from), cells: columns.map((to) => ({ count: count(from, to), changed: from !== to })) })) },
    // The chart's geometry, computed here: the SVG has attributes only (no style), so the page's CSP holds.
    // Each bar under its label (a route change in words is long): 56 px a bar, the longest 560 px wide.
    chart: { height: bars.length * 56 + 10, bars: bars.map((b, i) => ({ ...b, y: i * 56 + 5, width: Math.max(2, Math.round((b.count / most) * 560)) })) },
  };
}

/** The practice a lead's Try a referral comes with: the referral contract's example practice. */
const TRY_PRACTICE = 'J82001';

/** The refusals an approval or an activation answers with its problems listed; anything else is the error page. */
const REFUSED = new Set(['ACTIVATION_REFUSED', 'APPROVAL_REFUSED']);
const refusal = (error: unknown): error is ApiError => error instanceof ApiError && REFUSED.has(error.code);

const issueList = (issues: readonly Issue[]) => issues.map((issue) => ({ text: issue.path && issue.path !== '/' ? `${issue.path}: ${issue.message}` : issue.message, href: '#actions' }));

export function leadPages(deps: LeadPagesDeps): Router {
  const router = Router();
  const guard = pageGuard(deps.views, deps.recordDenial);
  const groups = referralFormGroups();

  function loadedOrNotFound(req: Request) {
    const loaded = deps.registry.loaded(String(req.params.id), String(req.params.version));
    if (!loaded) throw new ApiError('NOT_FOUND');
    return loaded;
  }

  router
    .route('/rulesets')
    .all(routeTemplate, guard)
    .get(async (_req, res) => {
      const listing = await ruleSetListing(deps.registry, deps.db);
      const sets = await Promise.all(
        listing.map(async (set) => ({
          ...set,
          activations: (await activationsOf(deps.db, set.id)).map((a) => ({ ...a, at: londonTime(a.activatedAt) })),
          versions: await Promise.all(set.versions.map(async (v) => ({ ...v, approvals: (await approvalsOf(deps.db, set.id, v.version)).filter((a) => a.sha256 === v.sha256).map((a) => ({ ...a, at: londonTime(a.approvedAt) })) }))),
        })),
      );
      render(deps.views, res, 'rulesets.njk', { title: 'Rule sets', sets });
    });

  function versionPage(req: Request, res: Response, extra: { errors?: Array<{ text: string; href: string }>; done?: string } = {}): void {
    const loaded = loadedOrNotFound(req);
    const { compiled, caseResults } = loaded;
    const doc = compiled.document;
    const byRule = new Map<string, typeof caseResults>();
    for (const result of caseResults) for (const fired of result.decision?.firedRules ?? []) byRule.set(fired.id, [...(byRule.get(fired.id) ?? []), result]);
    const active = deps.registry.active(doc.id);
    render(deps.views, res, 'ruleset-version.njk', {
      title: `${doc.id} ${doc.version}`,
      doc,
      sha256: compiled.sha256,
      isActive: active === compiled,
      activeVersion: active?.document.version,
      rules: doc.rules.map((rule) => ({
        ...rule,
        sentence: conditionSentence(rule.conditions as RuleCondition),
        lines: ruleOutline(rule.conditions as RuleCondition),
        routeText: routeSentence(rule.route, rule.reviewRequired ?? false),
        cases: (byRule.get(rule.id) ?? []).map((c) => ({ id: c.id, description: c.description, passed: c.passed, failures: c.failures })),
      })),
      failing: caseResults.filter((c) => !c.passed),
      caseCount: caseResults.length,
      errors: extra.errors ?? [],
      done: extra.done,
    });
  }

  router
    .route('/rulesets/:id/versions/:version')
    .all(routeTemplate, guard)
    .get((req, res) => versionPage(req, res, { ...(req.query.done === 'approved' || req.query.done === 'activated' || req.query.done === 'scheduled' ? { done: req.query.done } : {}) }));

  router
    .route('/rulesets/:id/versions/:version/approve')
    .all(routeTemplate, guard)
    .post(async (req, res) => {
      const note = typeof (req.body as Record<string, unknown>).note === 'string' ? ((req.body as Record<string, string>).note as string).trim() : '';
      try {
        await approveVersion(deps, { rulesetId: String(req.params.id), version: String(req.params.version), approver: signatory(res), ...(note ? { note } : {}) });
      } catch (error) {
        if (!refusal(error)) throw error;
        res.locals.errorCode = error.code;
        return versionPage(req, res, { errors: issueList(error.issues) });
      }
      res.redirect(303, `/rulesets/${String(req.params.id)}/versions/${String(req.params.version)}?done=approved`);
    });

  router
    .route('/rulesets/:id/versions/:version/activate')
    .all(routeTemplate, guard)
    .post(async (req, res) => {
      const reason = typeof (req.body as Record<string, unknown>).reason === 'string' ? ((req.body as Record<string, string>).reason as string).trim() : '';
      if (reason === '') return versionPage(req, res, { errors: [{ text: 'Reason: give a reason for activating this version', href: '#activate-reason' }] });
      const early = typeof (req.body as Record<string, unknown>).overrideEffectiveFrom === 'string' ? ((req.body as Record<string, string>).overrideEffectiveFrom as string).trim() : '';
      let scheduled: boolean;
      try {
        scheduled = isScheduled(await activateVersion(deps, { rulesetId: String(req.params.id), version: String(req.params.version), activatedBy: signatory(res), reason, ...(early ? { overrideEffectiveFrom: early } : {}) }));
      } catch (error) {
        if (!refusal(error)) throw error;
        res.locals.errorCode = error.code;
        return versionPage(req, res, { errors: issueList(error.issues) });
      }
      res.redirect(303, `/rulesets/${String(req.params.id)}/versions/${String(req.params.version)}?done=${scheduled ? 'scheduled' : 'activated'}`);
    });

  router
    .route('/rulesets/:id/versions/:version/try')
    .all(routeTemplate, guard)
    .get((req, res) => {
      const { compiled } = loadedOrNotFound(req);
      // A lead refers for no practice: the contract's example practice stands in (nothing is stored), and may be changed.
      render(deps.views, res, 'ruleset-try.njk', { title: `Try a referral against ${compiled.document.version}`, doc: compiled.document, groups, values: { 'referrer.odsCode': TRY_PRACTICE }, errors: [], fieldErrors: {} });
    })
    .post(async (req, res) => {
      const { compiled } = loadedOrNotFound(req);
      const body = (req.body ?? {}) as FormValues;
      const context = { title: `Try a referral against ${compiled.document.version}`, doc: compiled.document, groups, values: body };
      const form = readReferralForm(groups, body);
      if (!form.ok) {
        const errors = fieldErrors(groups, form.problems);
        return render(deps.views, res, 'ruleset-try.njk', { ...context, errors: errors.summary, fieldErrors: errors.byField });
      }
      // Evaluated only: nothing is stored, and no audit event (no referral exists).
      const decision = await evaluateReferral(deps, form.referral, compiled.document.version);
      render(deps.views, res, 'ruleset-try.njk', {
        ...context,
        errors: [],
        fieldErrors: {},
        decision: { ...decision, route: routeWords(decision), firedRules: firedRuleRows(decision.firedRules, decision.winningRule) },
      });
    });

  /** Referrals listed on the Impact page, of each kind: `msk-triage rules simulate` names them all. */
  const LISTED = 200;
  // One simulation at a time on the pages (as on the API): each takes every core for a while.
  let simulating = false;
  router
    .route('/rulesets/:id/versions/:version/impact')
    .all(routeTemplate, guard)
    .post(async (req, res) => {
      const { compiled } = loadedOrNotFound(req);
      const id = String(req.params.id);
      if (simulating) throw new ApiError('RATE_LIMITED');
      simulating = true;
      let report;
      try {
        // De-identified aggregates only, as the API answers a lead: counts, no referral.
        // Counts, and the ids of the referrals that change or would newly need review, each a link to a page that records its reading.
        report = await simulateImpact(deps, { ruleset: id, to: compiled.document.version, items: storedReferralPages(deps.db), withIds: true });
      } finally {
        simulating = false;
      }
      const listed = (ids: readonly string[] = []) => ({ shown: ids.slice(0, LISTED).map((referralId) => ({ id: referralId, href: impactReferralHref(id, compiled.document.version, referralId) })), more: Math.max(0, ids.length - LISTED) });
      render(deps.views, res, 'ruleset-impact.njk', {
        title: `Impact of ${compiled.document.version}`, doc: compiled.document, report, ...impactViews(report),
        changedList: listed(report.changed.ids), newlyNeedReviewList: listed(report.newlyNeedReview.ids),
      });
    });

  router
    .route('/rulesets/:id/compare')
    .all(routeTemplate, guard)
    .get((req, res) => {
      const id = String(req.params.id);
      if (!deps.registry.has(id)) throw new ApiError('NOT_FOUND');
      const versions = deps.registry.summaries().find((s) => s.id === id)?.versions.map((v) => v.version) ?? [];
      const from = typeof req.query.from === 'string' ? req.query.from : deps.registry.active(id)?.document.version;
      const to = typeof req.query.to === 'string' ? req.query.to : versions.at(-1);
      const a = from ? deps.registry.loaded(id, from) : undefined;
      const b = to ? deps.registry.loaded(id, to) : undefined;
      render(deps.views, res, 'ruleset-compare.njk', { title: `Compare versions of ${id}`, id, versions, from, to, diff: a && b ? diffRuleSets(a.compiled.document, b.compiled.document, DIFF_IN_PROSE) : undefined });
    });

  return router;
}
