/**
 * One rule-set version, validated and prepared once when it is loaded, and its evaluation on a pool
 * of engines in which each engine serves one run at a time (see engine-pool.ts).
 */
import type { RuleProperties, RuleResult } from 'json-rules-engine';
import type { Decision, FiredRule } from '../generated/decision.js';
import type { Referral } from '../generated/referral.js';
import type { Rule, RuleSet } from '../generated/ruleset.js';
import type { IsoDate } from '../referrals/calendar.js';
import { explainCondition } from './condition-explanation.js';
import { contentHash, ruleSetContent } from './content-hash.js';
import { factMap } from './derived-facts.js';
import { EnginePool } from './engine-pool.js';
import { OPERATORS } from './operators.js';
import { chooseRoute, type DecisionProcedure } from './route-choice.js';

/** Evaluation could not give a route. The referral must go to manual triage, never to a default. */
export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
}

const noJsonPath = (): never => {
  throw new EvaluationError('conditions may not use path: facts are named by their dotted path');
};

export class CompiledRuleSet {
  readonly id: string;
  readonly version: string;
  readonly sha256: string;
  /** how the fired rules make one decision; absent in the file means the procedure of msk-policy-v1 */
  readonly procedure: DecisionProcedure;
  private readonly rulesById: ReadonlyMap<string, Rule>;
  private readonly fileOrder: ReadonlyMap<string, number>;
  private readonly engines: EnginePool;

  constructor(readonly document: Readonly<RuleSet>) {
    this.id = document.id;
    this.version = document.version;
    this.sha256 = contentHash(ruleSetContent(document));
    this.procedure = document.decisionProcedure ?? '1';
    this.rulesById = new Map(document.rules.map((rule) => [rule.id, rule]));
    this.fileOrder = new Map(document.rules.map((rule, index) => [rule.id, index]));
    const ruleProperties: RuleProperties[] = document.rules.map((rule) => ({
      name: rule.id,
      priority: 1,
      conditions: structuredClone(rule.conditions) as RuleProperties['conditions'],
      event: { type: 'rule-fired', params: { ruleId: rule.id } },
    }));
    this.engines = new EnginePool(ruleProperties, { allowUndefinedFacts: false, pathResolver: noJsonPath }, OPERATORS);
  }

  /** The rules that fire for a referral, in file order, without building the explanation. */
  async firedRules(referral: Referral, evaluationDate: IsoDate): Promise<Rule[]> {
    return (await this.run(referral, evaluationDate)).map((result) => this.rulesById.get(result.name) as Rule);
  }

  /** Runs the engine and returns the fired rules' results, in the rule set's file order. */
  private async run(referral: Referral, evaluationDate: IsoDate): Promise<RuleResult[]> {
    let results: RuleResult[];
    try {
      results = await this.engines.run(factMap(referral, evaluationDate));
    } catch (error) {
      throw new EvaluationError(`rule set ${this.id} ${this.version} could not be evaluated`, { cause: error });
    }
    return results
      .filter((result) => result.result)
      .sort((a, b) => (this.fileOrder.get(a.name) ?? 0) - (this.fileOrder.get(b.name) ?? 0));
  }

  async evaluate(referral: Referral, evaluationDate: IsoDate): Promise<Decision> {
    const results = await this.run(referral, evaluationDate);
    const fired = results.map((result) => {
      const rule = this.rulesById.get(result.name);
      if (!rule) throw new EvaluationError(`the engine reported an unknown rule`);
      return { rule, result };
    });
    const choice = chooseRoute(
      fired.map(({ rule }) => rule),
      this.document.defaultRoute,
      this.procedure,
    );
    const resultByRule = new Map(fired.map(({ rule, result }) => [rule, result]));
    const firedRules: FiredRule[] = choice.ordered.map((rule) => ({
      id: rule.id,
      title: rule.title,
      route: { ...rule.route },
      reviewRequired: rule.reviewRequired === true,
      evidence: rule.evidence.map((evidence) => ({ ...evidence })),
      advice: rule.advice,
      conditions: explainCondition(resultByRule.get(rule)?.conditions as Parameters<typeof explainCondition>[0]),
    }));
    return {
      outcome: choice.outcome,
      ...choice.route,
      reviewRequired: choice.reviewRequired,
      ruleset: { id: this.id, version: this.version, sha256: this.sha256 },
      evaluationDate,
      winningRule: choice.winningRule?.id ?? null,
      firedRules,
      advice: choice.outcome === 'default' ? [this.document.defaultRoute.advice] : firedRules.map((rule) => rule.advice),
      explanation: choice.explanation,
    };
  }
}
