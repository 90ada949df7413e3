/**
 * The second evaluator of a rule set: its conditions compiled, once, into synchronous closures over
 * the parsed conditions (never `eval` or `new Function` on rule-author text), giving exactly what
 * json-rules-engine gives for the same rules and facts: the same rules fired, and on every condition
 * the same `factResult`, `valueResult` and `result`. It follows the engine's own semantics (the
 * engine's source, rule.js and condition.js): every condition of an `all` or `any` is evaluated (the
 * conditions carry no priorities, so there is one set and no short-circuit), a single child is
 * evaluated alone, `not` negates its child, a fact the run does not know is an error, an operator
 * the engine does not know is an error, and a leaf's operator is the same Operator object the engine
 * runs. Property tests and the load-time check hold the two to it (channel-agreement.ts).
 */
import type { Operator } from 'json-rules-engine';
import type { Condition, Rule } from '../generated/ruleset.js';
import type { FactMap } from './derived-facts.js';

/** A condition as evaluated: the engine's shape (RuleResult.conditions), with results on every node. */
export interface EvaluatedCondition {
  all?: EvaluatedCondition[];
  any?: EvaluatedCondition[];
  not?: EvaluatedCondition;
  fact?: string;
  operator?: string;
  value?: unknown;
  factResult?: unknown;
  valueResult?: unknown;
  result?: boolean;
}

/** One rule's run: its name (the rule id), whether it fired, and its evaluated conditions. */
export interface RuleRun {
  name: string;
  result: boolean;
  conditions: EvaluatedCondition;
}

/** An error of the run itself, as the engine's would be: the referral must go to manual triage. */
export class ConditionEvaluationError extends Error {
  override readonly name = 'ConditionEvaluationError';
}

type Evaluate = (factValue: unknown, jsonValue: unknown) => boolean;
type Node = (facts: FactMap) => EvaluatedCondition;
/** The same condition for its truth alone, with nothing recorded, over a vector of fact values. */
type Test = (values: readonly unknown[]) => boolean;

/** A fact the run does not carry, in a fact vector: an error when a condition reads it, as in the engine. */
const MISSING = Symbol('missing fact');

/** Each fact a rule set reads gets a slot; a run copies the facts into their slots once. */
class FactSlots {
  private readonly names: string[] = [];
  private readonly index = new Map<string, number>();

  slot(name: string): number {
    let at = this.index.get(name);
    if (at === undefined) {
      at = this.names.push(name) - 1;
      this.index.set(name, at);
    }
    return at;
  }

  vector(facts: FactMap): unknown[] {
    const values = new Array<unknown>(this.names.length);
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i] as string;
      values[i] = name in facts ? facts[name] : MISSING;
    }
    return values;
  }
}

function compileTest(node: Condition, operators: ReadonlyMap<string, Evaluate>, slots: FactSlots): Test {
  if (node.all) {
    const children = node.all.map((child) => compileTest(child, operators, slots));
    // Every child is evaluated, as the engine does, so that an error anywhere is an error here too.
    return (values) => {
      let result = true;
      for (const child of children) if (!child(values)) result = false;
      return result;
    };
  }
  if (node.any) {
    const children = node.any.map((child) => compileTest(child, operators, slots));
    return (values) => {
      let result = children.length === 0;
      for (const child of children) if (child(values)) result = true;
      return result;
    };
  }
  if (node.not) {
    const child = compileTest(node.not, operators, slots);
    return (values) => !child(values);
  }
  const { fact, operator, value } = node as Required<Pick<Condition, 'fact' | 'operator' | 'value'>>;
  const evaluate = operators.get(operator);
  const at = slots.slot(fact);
  return (values) => {
    if (!evaluate) throw new ConditionEvaluationError(`Unknown operator: ${operator}`);
    const factValue = values[at];
    if (factValue === MISSING) throw new ConditionEvaluationError(`Undefined fact: ${fact}`);
    return evaluate(factValue, value);
  };
}

function compileLeaf(leaf: Condition, operators: ReadonlyMap<string, Evaluate>): Node {
  const { fact, operator, value } = leaf as Required<Pick<Condition, 'fact' | 'operator' | 'value'>>;
  const evaluate = operators.get(operator);
  return (facts) => {
    if (!evaluate) throw new ConditionEvaluationError(`Unknown operator: ${operator}`);
    if (!(fact in facts)) throw new ConditionEvaluationError(`Undefined fact: ${fact}`);
    const factResult = facts[fact];
    return { fact, operator, value, factResult, valueResult: value, result: evaluate(factResult, value) };
  };
}

function compileNode(node: Condition, operators: ReadonlyMap<string, Evaluate>): Node {
  if (node.all || node.any) {
    const kind = node.all ? 'all' : 'any';
    const children = (node.all ?? node.any ?? []).map((child) => compileNode(child, operators));
    return (facts) => {
      const evaluated = children.map((child) => child(facts));
      const result = kind === 'all' ? evaluated.every((c) => c.result === true) : evaluated.length === 0 || evaluated.some((c) => c.result === true);
      return { [kind]: evaluated, result };
    };
  }
  if (node.not) {
    const child = compileNode(node.not, operators);
    return (facts) => {
      const evaluated = child(facts);
      return { not: evaluated, result: evaluated.result !== true };
    };
  }
  return compileLeaf(node, operators);
}

/** Operator.evaluate, as json-rules-engine defines it: the fact's validator, then the comparison. */
function evaluatorOf(op: Operator): Evaluate {
  const { factValueValidator, cb } = op as unknown as { factValueValidator: (v: unknown) => boolean; cb: Evaluate };
  return (factValue, jsonValue) => factValueValidator(factValue) && cb(factValue, jsonValue);
}

export class ConditionEvaluator {
  private readonly compiled: ReadonlyArray<{ name: string; root: Node; test: Test }>;
  private readonly slots = new FactSlots();

  constructor(rules: readonly Rule[], operators: readonly Operator[]) {
    const byName = new Map(operators.map((op) => [op.name, evaluatorOf(op)]));
    this.compiled = rules.map((rule) => ({ name: rule.id, root: compileNode(rule.conditions, byName), test: compileTest(rule.conditions, byName, this.slots) }));
  }

  /** The ids of the rules that fire, in file order, recording nothing: bulk work. */
  fired(facts: FactMap): string[] {
    const values = this.slots.vector(facts);
    const fired: string[] = [];
    for (const { name, test } of this.compiled) if (test(values)) fired.push(name);
    return fired;
  }

  /** The evaluated conditions of the rules that fire, in file order: a decision's explanation. */
  firedRuns(facts: FactMap): RuleRun[] {
    const values = this.slots.vector(facts);
    const runs: RuleRun[] = [];
    for (const { name, root, test } of this.compiled) if (test(values)) runs.push({ name, result: true, conditions: root(facts) });
    return runs;
  }

  /** Every rule's run, in file order; throws ConditionEvaluationError as the engine would throw. */
  run(facts: FactMap): RuleRun[] {
    return this.compiled.map(({ name, root }) => {
      const conditions = root(facts);
      return { name, result: conditions.result === true, conditions };
    });
  }
}
