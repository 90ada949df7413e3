/**
 * One rule-set version, validated and prepared once when it is loaded, and its evaluation in steps,
 * one file each: the facts (derived-facts.ts), the run on two independent channels (json-rules-engine
 * on a pool of engines, engine-pool.ts, and the compiled evaluator, condition-evaluator.ts), their
 * agreement (channel-agreement.ts), the route choice (route-choice.ts) and the decision
 * (decision-assembly.ts). A live decision is made by both channels; if they ever disagree there is
 * no decision, only an EvaluationError naming the rule and the condition. Bulk work (simulation,
 * replay of every referral, the checker's search) runs on the compiled evaluator alone.
 */
import type { RuleProperties, RuleResult } from 'json-rules-engine';
import type { ConditionResult, Decision } from '../generated/decision.js';
import type { Referral } from '../generated/referral.js';
import type { Rule, RuleSet } from '../generated/ruleset.js';
import type { IsoDate } from '../domain/calendar.js';
import { disagreement, type Disagreement } from './channel-agreement.js';
import { ConditionEvaluator, type EvaluatedCondition, type RuleRun } from './condition-evaluator.js';
import { explainCondition } from './condition-explanation.js';
import { contentHash, ruleSetContent } from './content-hash.js';
import { assembleDecision, type DecidingRuleSet } from './decision-assembly.js';
import { factMap, type FactMap } from './derived-facts.js';
import { EnginePool } from './engine-pool.js';
import { FactVectorReader, type FactVector } from './fact-vector.js';
import { OPERATORS } from './operators.js';
import { chooseRoute, RouteChoices, type DecisionProcedure } from './route-choice.js';

/** Evaluation could not give a route. The referral must go to manual triage, never to a default. */
export class EvaluationError extends Error {
  override readonly name: string = 'EvaluationError';
}

/** The two channels of one evaluation disagreed: neither is trusted. */
export class ChannelDisagreement extends EvaluationError {
  override readonly name = 'ChannelDisagreement';
  constructor(message: string, readonly disagreement: Disagreement) {
    super(message);
  }
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
  private readonly engines: EnginePool;
  private readonly evaluator: ConditionEvaluator;
  private readonly facts: FactVectorReader;
  /** what a decision says of the rule set that made it */
  private readonly deciding: DecidingRuleSet;
  /** bulk work's route choices, each set of fired rules chosen for once */
  private readonly bulkChoices: RouteChoices;

  constructor(readonly document: Readonly<RuleSet>) {
    this.id = document.id;
    this.version = document.version;
    this.sha256 = contentHash(ruleSetContent(document));
    this.procedure = document.decisionProcedure ?? '1';
    this.rulesById = new Map(document.rules.map((rule) => [rule.id, rule]));
    const ruleProperties: RuleProperties[] = document.rules.map((rule) => ({
      name: rule.id,
      priority: 1,
      conditions: structuredClone(rule.conditions) as RuleProperties['conditions'],
      event: { type: 'rule-fired', params: { ruleId: rule.id } },
    }));
    this.engines = new EnginePool(ruleProperties, { allowUndefinedFacts: false, pathResolver: noJsonPath }, OPERATORS);
    this.evaluator = new ConditionEvaluator(document.rules, OPERATORS);
    this.facts = new FactVectorReader(this.evaluator.factsRead);
    this.deciding = { id: this.id, version: this.version, sha256: this.sha256, defaultRoute: document.defaultRoute };
    this.bulkChoices = new RouteChoices(document.defaultRoute, this.procedure);
  }

  /** The catalogue facts the rules read; a FactVectorReader made for them (or more) serves firedRulesOf. */
  get factsRead(): string[] {
    return this.evaluator.factsRead;
  }

  /** The first channel: json-rules-engine, every rule's result. */
  protected async engineRuns(facts: FactMap): Promise<RuleResult[]> {
    return this.engines.run(facts);
  }

  /** The second channel: the compiled evaluator, every rule's run, in file order. */
  protected compiledRuns(facts: FactMap): RuleRun[] {
    return this.evaluator.run(facts);
  }

  /** The compiled evaluator alone, for bulk work, on the facts read straight into a vector. */
  private compiledOnly<T>(referral: Referral, evaluationDate: IsoDate, run: (values: FactVector) => T): T {
    try {
      return run(this.facts.read(referral, evaluationDate));
    } catch (error) {
      throw new EvaluationError(`rule set ${this.id} ${this.version} could not be evaluated`, { cause: error });
    }
  }

  /** Both channels, which must agree on every rule and condition; the compiled runs, in file order. */
  async bothChannels(referral: Referral, evaluationDate: IsoDate): Promise<RuleRun[]> {
    const facts = factMap(referral, evaluationDate);
    let engine: RuleResult[];
    let compiled: RuleRun[];
    try {
      engine = await this.engineRuns(facts);
      compiled = this.compiledRuns(facts);
    } catch (error) {
      throw new EvaluationError(`rule set ${this.id} ${this.version} could not be evaluated`, { cause: error });
    }
    const found = disagreement(engine, compiled);
    if (found) {
      throw new ChannelDisagreement(`rule set ${this.id} ${this.version}: the two evaluators disagree at rule ${found.ruleId}, condition ${found.path || '/'} (${found.field})`, found);
    }
    return compiled;
  }

  /** The rules that fire for a referral, in file order, by the compiled evaluator alone (bulk work). */
  firedRules(referral: Referral, evaluationDate: IsoDate): Rule[] {
    return this.compiledOnly(referral, evaluationDate, (values) => this.evaluator.fired(values));
  }

  /** The same, from a fact vector already made for at least factsRead (two versions compared on one referral share it). */
  firedRulesOf(values: FactVector): Rule[] {
    try {
      return this.evaluator.fired(values);
    } catch (error) {
      throw new EvaluationError(`rule set ${this.id} ${this.version} could not be evaluated`, { cause: error });
    }
  }

  /** The decision, made by both channels: the live path. */
  async evaluate(referral: Referral, evaluationDate: IsoDate): Promise<Decision> {
    const fired = (await this.bothChannels(referral, evaluationDate)).filter((run) => run.result);
    const conditions = new Map(fired.map((run) => [run.name, run.conditions]));
    const rules = fired.map((run) => this.rulesById.get(run.name) as Rule);
    const choice = chooseRoute(rules, this.document.defaultRoute, this.procedure);
    return assembleDecision(this.deciding, choice, (rule) => explainCondition(conditions.get(rule.id) as EvaluatedCondition), evaluationDate);
  }

  /** The same decision by the compiled evaluator alone, for bulk work (replay of every referral, the checker's search). */
  evaluateCompiled(referral: Referral, evaluationDate: IsoDate): Decision {
    const { rules, conditions } = this.compiledOnly(referral, evaluationDate, (values) => this.evaluator.explainedFired(values));
    return assembleDecision(this.deciding, this.bulkChoices.of(rules), (rule) => conditions[rules.indexOf(rule)] as ConditionResult, evaluationDate);
  }
}
