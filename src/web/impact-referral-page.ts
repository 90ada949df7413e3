/**
 * A referral that an impact simulation named, opened by a clinical lead from the Impact page: the
 * referral as submitted and its route under the active version and under the simulated one. A lead
 * sees no other referral: the page compares the two versions on this referral again (the compiled
 * evaluator, one referral, no cost to speak of) and opens it only if its route changes or it would
 * newly need review; any other id is "not found", recorded as an `access.denied`. Each read is a
 * `referral.read` event saying which simulation named it (`simulationOf`, `comparedWith`).
 */
import { Router, type Response } from 'express';
import type { DenialSink } from '../auth/access-policy.js';
import { actorOf, type Principal } from '../auth/principal.js';
import { todayInLondon } from '../domain/calendar.js';
import { ApiError } from '../domain/error-catalogue.js';
import { routeTemplate } from '../http/request-logging.js';
import { requestIdOf } from '../log/request-context.js';
import { recordReferralRead } from '../referrals/referral-reads.js';
import { tallyItems } from '../rules/impact-simulation.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import type { Database } from '../store/database.js';
import { findReferral, isUuid } from '../store/referral-store.js';
import { londonTime } from './gp-pages.js';
import { render } from './pages.js';
import { referralFormGroups } from './referral-form.js';
import { pageGuard } from './web-guards.js';
import type { Views } from './views.js';

export interface ImpactReferralDeps {
  db: Database;
  views: Views;
  clock: () => Date;
  registry: RuleSetRegistry;
  recordDenial: DenialSink;
}

/** The address of a referral named by the simulation of `version`, as the Impact page links to it. */
export const impactReferralHref = (rulesetId: string, version: string, referralId: string): string => `/rulesets/${rulesetId}/versions/${version}/impact/referrals/${referralId}`;

export function impactReferralPage(deps: ImpactReferralDeps): Router {
  const router = Router();
  const groups = referralFormGroups();
  router
    .route('/rulesets/:id/versions/:version/impact/referrals/:referralId')
    .all(routeTemplate, pageGuard(deps.views, deps.recordDenial))
    .get(async (req, res: Response) => {
      const rulesetId = String(req.params.id);
      const to = deps.registry.loaded(rulesetId, String(req.params.version))?.compiled;
      const from = deps.registry.active(rulesetId);
      if (!to || !from) throw new ApiError('NOT_FOUND');
      const referralId = String(req.params.referralId);
      const stored = isUuid(referralId) ? await findReferral(deps.db, referralId) : undefined;
      // The simulation reads the real referrals only, at today's date.
      const tally = stored && !stored.synthetic ? tallyItems([{ id: stored.id, referral: stored.referral }], from, to, todayInLondon(deps.clock())) : undefined;
      const changed = tally?.changed.length === 1;
      const newlyNeedsReview = tally?.newlyNeedReview.length === 1;
      if (!stored || !tally || !(changed || newlyNeedsReview)) {
        await deps.recordDenial({
          principal: res.locals.principal as Principal, method: req.method, route: res.locals.route as string, reason: 'not-named-by-simulation', requestId: requestIdOf(res),
          ...(isUuid(referralId) ? { referralId } : {}),
        });
        throw new ApiError('REFERRAL_NOT_FOUND');
      }
      res.locals.logFields = { referralId: stored.id };
      await recordReferralRead({ db: deps.db, clock: deps.clock }, actorOf(res.locals.principal as Principal), stored.id, 'simulation', { id: rulesetId, version: to.document.version, comparedWith: from.document.version });
      render(deps.views, res, 'impact-referral.njk', {
        title: 'A referral the simulation names',
        doc: to.document,
        from: from.document.version,
        transition: Object.keys(tally.transitions)[0],
        why: changed && newlyNeedsReview ? 'Its route changes, and it would newly need review' : changed ? 'Its route changes' : 'It would newly need review',
        received: londonTime(stored.receivedAt),
        practice: stored.practiceOds,
        referral: stored.referral,
        groups,
      });
    });
  return router;
}
