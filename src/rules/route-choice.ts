/**
 * How one decision comes out of the fired rules: msk-policy-v1.md, steps 2 to 5. Pure: the same
 * fired rules always give the same route, in the same words.
 */
import type { Route } from '../generated/decision.js';
import type { DefaultRoute, Rule } from '../generated/ruleset.js';
import { pathwayRank, urgencyRank } from './route-order.js';

export interface RouteChoice {
  outcome: 'rule' | 'default';
  route: Route;
  reviewRequired: boolean;
  winningRule: Rule | null;
  /** Fired rules, winning rule first, then most urgent, then highest acuity, then file order. */
  ordered: Rule[];
  explanation: string[];
}

const describe = (route: Route) => `${route.pathway} / ${route.urgency} / ${route.service}`;

/** `fired` must be in the rule set's file order, which breaks the last ties. */
export function chooseRoute(fired: readonly Rule[], defaultRoute: DefaultRoute): RouteChoice {
  if (fired.length === 0) {
    const { pathway, urgency, service } = defaultRoute;
    return {
      outcome: 'default',
      route: { pathway, urgency, service },
      reviewRequired: defaultRoute.reviewRequired,
      winningRule: null,
      ordered: [],
      explanation: [
        `No rule fired, so the rule set's default route applies: ${describe({ pathway, urgency, service })}.`,
        ...(defaultRoute.reviewRequired ? ['A triage clinician must review this referral (default route).'] : []),
      ],
    };
  }
  const position = new Map(fired.map((rule, index) => [rule, index]));
  const ordered = [...fired].sort(
    (a, b) =>
      urgencyRank(a.route.urgency) - urgencyRank(b.route.urgency) ||
      pathwayRank(a.route.pathway) - pathwayRank(b.route.pathway) ||
      (position.get(a) ?? 0) - (position.get(b) ?? 0),
  );
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
  explanation.push(`${winner.id} (${winner.title}) decides: ${describe(winner.route)}.`);
  if (disagree) explanation.push('A triage clinician must review this referral: the rules at the winning urgency disagree on the pathway.');
  if (winner.reviewRequired) explanation.push(`A triage clinician must review this referral: ${winner.id} asks for review.`);
  return {
    outcome: 'rule',
    route: { ...winner.route },
    reviewRequired: disagree || winner.reviewRequired === true,
    winningRule: winner,
    ordered,
    explanation,
  };
}
