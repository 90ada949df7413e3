/**
 * How one decision comes out of the fired rules, steps 2 to 5 of the policy, in the procedure the rule
 * set declares (`decisionProcedure`): "1" as msk-policy-v1 (review when the rules at the winning
 * urgency name different pathways, or the winning rule asks for it) and "2" as msk-policy-v2 (also
 * when they name different services, or when any of them asks). Pure: the same fired rules always
 * give the same route, in the same words; a version's procedure never changes, so replays match.
 */
import type { Route } from '../generated/decision.js';
import type { DefaultRoute, Rule } from '../generated/ruleset.js';
import { pathwayRank, routeText, urgencyRank } from '../domain/route-order.js';

export interface RouteChoice {
  outcome: 'rule' | 'default';
  route: Route;
  reviewRequired: boolean;
  winningRule: Rule | null;
  /** Fired rules, winning rule first, then most urgent, then highest acuity, then file order. */
  ordered: Rule[];
  explanation: string[];
}

export type DecisionProcedure = '1' | '2';

const byUrgencyThenAcuity = (a: Rule, b: Rule): number =>
  urgencyRank(a.route.urgency) - urgencyRank(b.route.urgency) || pathwayRank(a.route.pathway) - pathwayRank(b.route.pathway);

/** `fired` must be in the rule set's file order, which breaks the last ties. */
export function chooseRoute(fired: readonly Rule[], defaultRoute: DefaultRoute, procedure: DecisionProcedure = '1'): RouteChoice {
  if (fired.length === 0) {
    const { pathway, urgency, service } = defaultRoute;
    return {
      outcome: 'default',
      route: { pathway, urgency, service },
      reviewRequired: defaultRoute.reviewRequired,
      winningRule: null,
      ordered: [],
      explanation: [
        `No rule fired, so the rule set's default route applies: ${routeText({ pathway, urgency, service })}.`,
        ...(defaultRoute.reviewRequired ? ['A triage clinician must review this referral (default route).'] : []),
      ],
    };
  }
  // The sort is stable (ECMAScript 2019), so the file order of `fired` breaks the last ties.
  const ordered = fired.length === 1 ? [fired[0] as Rule] : [...fired].sort(byUrgencyThenAcuity);
  const winner = ordered[0] as Rule;
  const atWinningUrgency = ordered.filter((rule) => rule.route.urgency === winner.route.urgency);
  const pathways = [...new Set(atWinningUrgency.map((rule) => rule.route.pathway))];
  const disagree = pathways.length > 1;
  const explanation = [
    `${fired.length} rule${fired.length === 1 ? '' : 's'} fired: ${ordered.map((r) => `${r.id} (${r.route.urgency})`).join(', ')}.`,
    `The most urgent route wins: ${winner.route.urgency}.`,
  ];
  if (atWinningUrgency.length > 1) {
    explanation.push(
      disagree
        ? `At ${winner.route.urgency}, the rules name different pathways (${pathways.join(', ')}); the higher-acuity pathway ${winner.route.pathway} wins.`
        : `At ${winner.route.urgency}, the rules agree on the pathway ${winner.route.pathway}; ${winner.id} comes first in the rule set.`,
    );
  }
  explanation.push(`${winner.id} (${winner.title}) decides: ${routeText(winner.route)}.`);
  const reasons = procedure === '2' ? reviewReasons(atWinningUrgency, winner.route.urgency) : reviewReasonsV1(disagree, winner);
  explanation.push(...reasons.map((reason) => `A triage clinician must review this referral: ${reason}.`));
  return {
    outcome: 'rule',
    route: { ...winner.route },
    reviewRequired: reasons.length > 0,
    winningRule: winner,
    ordered,
    explanation,
  };
}

/** A bound on the choices remembered, whatever the variety of the referrals. */
const MAX_REMEMBERED = 10_000;

/**
 * One rule set's choices for bulk work, each set of fired rules chosen for once and remembered (the
 * choice is pure: the same fired rules always give the same choice). A remembered choice is shared:
 * whoever keeps part of it copies it (decision-assembly.ts does).
 */
export class RouteChoices {
  private readonly chosen = new Map<string, RouteChoice>();

  constructor(
    private readonly defaultRoute: DefaultRoute,
    private readonly procedure: DecisionProcedure,
  ) {}

  /** The choice for `fired`, in file order. */
  of(fired: readonly Rule[]): RouteChoice {
    return this.byKey(keyOf(fired), () => fired);
  }

  /** The choice for the fired rules that `key` names (keyOf), listed by `fired` only if they were not chosen for yet. */
  byKey(key: string, fired: () => readonly Rule[]): RouteChoice {
    let choice = this.chosen.get(key);
    if (!choice) {
      choice = chooseRoute(fired(), this.defaultRoute, this.procedure);
      if (this.chosen.size < MAX_REMEMBERED) this.chosen.set(key, choice);
    }
    return choice;
  }
}

/** A list of fired rules named by their ids, in order. */
export function keyOf(fired: readonly Rule[]): string {
  let key = '';
  for (let i = 0; i < fired.length; i++) key += `${(fired[i] as Rule).id} `;
  return key;
}

/** msk-policy-v1 step 4, and the winning rule's own flag. */
function reviewReasonsV1(disagree: boolean, winner: Rule): string[] {
  return [
    ...(disagree ? ['the rules at the winning urgency disagree on the pathway'] : []),
    ...(winner.reviewRequired ? [`${winner.id} asks for review`] : []),
  ];
}

/** msk-policy-v2 step 4: (a) different pathways, (b) different services, (c) any rule asks. */
function reviewReasons(atWinningUrgency: readonly Rule[], urgency: string): string[] {
  const reasons: string[] = [];
  const pathways = [...new Set(atWinningUrgency.map((rule) => rule.route.pathway))];
  const services = [...new Set(atWinningUrgency.map((rule) => rule.route.service))];
  const asking = atWinningUrgency.filter((rule) => rule.reviewRequired === true).map((rule) => rule.id);
  if (pathways.length > 1) reasons.push(`the rules at ${urgency} name different pathways (${pathways.join(', ')})`);
  else if (services.length > 1) reasons.push(`the rules at ${urgency} name different services on the ${pathways[0] ?? ''} pathway (${services.join(', ')})`);
  if (asking.length > 0) reasons.push(`${asking.join(', ')} ${asking.length === 1 ? 'asks' : 'ask'} for review`);
  return reasons;
}
