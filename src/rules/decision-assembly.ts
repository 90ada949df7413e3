/**
 * The decision a rule set answers, assembled from the route choice and the fired rules' evaluated
 * conditions: the route, who decided, every fired rule with its evidence and explained conditions,
 * the advice and the explanation. Pure: the same inputs give the same decision, byte for byte.
 */
import type { ConditionResult, Decision, FiredRule } from '../generated/decision.js';
import type { DefaultRoute, Rule } from '../generated/ruleset.js';
import type { IsoDate } from '../domain/calendar.js';
import type { RouteChoice } from './route-choice.js';

export interface DecidingRuleSet {
  id: string;
  version: string;
  sha256: string;
  defaultRoute: DefaultRoute;
}

export function assembleDecision(
  ruleSet: DecidingRuleSet,
  choice: RouteChoice,
  /** a fired rule's conditions, explained (condition-explanation.ts) */
  conditionsOf: (rule: Rule) => ConditionResult,
  evaluationDate: IsoDate,
): Decision {
  const firedRules: FiredRule[] = choice.ordered.map((rule) => ({
    id: rule.id,
    title: rule.title,
    route: { ...rule.route },
    reviewRequired: rule.reviewRequired === true,
    evidence: rule.evidence.map((evidence) => ({ ...evidence })),
    advice: rule.advice,
    conditions: conditionsOf(rule),
  }));
  return {
    outcome: choice.outcome,
    ...choice.route,
    reviewRequired: choice.reviewRequired,
    ruleset: { id: ruleSet.id, version: ruleSet.version, sha256: ruleSet.sha256 },
    evaluationDate,
    winningRule: choice.winningRule?.id ?? null,
    firedRules,
    advice: choice.outcome === 'default' ? [ruleSet.defaultRoute.advice] : firedRules.map((rule) => rule.advice),
    explanation: [...choice.explanation], // a copy: a choice may be shared (RouteChoices)
  };
}
