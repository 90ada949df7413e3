/**
 * The second evaluator of a rule set: its conditions compiled, once, into synchronous closures over
 * the parsed conditions (never `eval` or `new Function` on rule-author text), giving exactly what
 * json-rules-engine gives for the same rules and facts: the same rules fired, and on every condition
 * the same `factResult`, `valueResult` and `result`. It follows the engine's own semantics (the
 * engine's source, rule.js and condition.js): a recorded run evaluates every condition of an `all` or
 * `any` (the conditions carry no priorities, so there is one set and no short-circuit), a single child
 * is evaluated alone, `not` negates its child, a fact the run does not know is an error, an operator
 * the engine does not know is an error, and a leaf's operator runs the same validator and comparison
 * as the engine's Operator. Property tests and the load-time check hold the two to it
 * (channel-agreement.ts).
 *
 * Bulk work reads its facts from a FactVector (fact-vector.ts), each leaf's slot found when compiling;
 * it tests each rule without recording anything, and records the conditions of the fired rules only,
 * when a decision's explanation is asked for.
 */
import type { Operator } from 'json-rules-engine';
import type { ConditionResult } from '../generated/decision.js';
import type { Condition, Rule } from '../generated/ruleset.js';
import { explainedAll, explainedAny, explainedLeaf, explainedNot } from './condition-explanation.js';
import type { FactMap } from './derived-facts.js';
import { FACT_SLOTS, type FactVector } from './fact-vector.js';

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

/** The rules that fire, in file order, and beside each its conditions explained (a decision's FiredRule.conditions). */
export interface ExplainedRules {
  rules: Rule[];
  conditions: ConditionResult[];
}

/** An error of the run itself, as the engine's would be: the referral must go to manual triage. */
export class ConditionEvaluationError extends Error {
  override readonly name = 'ConditionEvaluationError';
}

/** An operator as json-rules-engine's Operator.evaluate runs it: the fact's validator, then the comparison. */
interface Comparison {
  validates: (factValue: unknown) => boolean;
  compares: (factValue: unknown, jsonValue: unknown) => boolean;
}
/** A condition's truth alone, recording nothing (bulk work). */
type Test = (values: FactVector) => boolean;
/** A condition evaluated and recorded, every node of it, as the engine records it. */
type Recorder = (values: FactVector) => EvaluatedCondition;
/** A condition evaluated and explained, every node of it, as explainCondition explains the engine's record. */
type Explain = (values: FactVector) => ConditionResult;

/** A fact the run does not carry, in a fact vector: an error when a condition reads it, as in the engine. */
const MISSING = Symbol('missing fact');

type Leaf = Required<Pick<Condition, 'fact' | 'operator' | 'value'>>;

/**
 * Each fact a rule set reads has a slot: a catalogue fact its catalogue slot (FACT_SLOTS), so that a
 * FactVectorReader fills it straight from the referral, any other name one after them.
 */
class FactSlots {
  private readonly extra = new Map<string, number>();
  readonly names = new Map<string, number>();

  slot(name: string): number {
    let at = this.names.get(name);
    if (at === undefined) {
      at = FACT_SLOTS.get(name) ?? FACT_SLOTS.size + this.extra.size;
      if (!FACT_SLOTS.has(name)) this.extra.set(name, at);
      this.names.set(name, at);
    }
    return at;
  }

  /** the first name the rules read that is not a catalogue fact */
  get unknown(): string | undefined {
    return this.extra.keys().next().value;
  }

  /** A fact map's values in their slots: a name the map does not have is MISSING. */
  vector(facts: FactMap): FactVector {
    const values = new Array<unknown>(FACT_SLOTS.size + this.extra.size).fill(undefined);
    for (const [name, at] of this.names) values[at] = name in facts ? facts[name] : MISSING;
    return values;
  }
}

class Compiler {
  /** the first operator the rules use that the engine does not know */
  unknownOperator: string | undefined;

  constructor(
    private readonly operators: ReadonlyMap<string, Comparison>,
    readonly slots: FactSlots,
  ) {}

  comparison(operator: string): Comparison | undefined {
    const found = this.operators.get(operator);
    if (!found) this.unknownOperator ??= operator;
    return found;
  }
}

/**
 * A leaf's test. Each operator gets its own closure here, written out once per operator (the same
 * line each time), so that each closure's calls only ever see one validator and one comparison and
 * V8 can inline them; one closure for all ten operators would call through ten targets.
 */
function leafTest(node: Condition, compiler: Compiler): Test {
  const { fact, operator, value } = node as Leaf;
  const at = compiler.slots.slot(fact);
  const comparison = compiler.comparison(operator);
  // An unknown operator never runs: the evaluator refuses every run of rules that have one.
  if (!comparison) return () => false;
  const { validates: v, compares: c } = comparison;
  switch (operator) {
    case 'equal': return (values) => { const x = values[at]; return v(x) && c(x, value); };
    case 'notEqual': return (values) => { const x = values[at]; return v(x) && c(x, value); };
    case 'in': return (values) => { const x = values[at]; return v(x) && c(x, value); };
    case 'notIn': return (values) => { const x = values[at]; return v(x) && c(x, value); };
    case 'contains': return (values) => { const x = values[at]; return v(x) && c(x, value); };
    case 'doesNotContain': return (values) => { const x = values[at]; return v(x) && c(x, value); };
    case 'lessThan': return (values) => { const x = values[at]; return v(x) && c(x, value); };
    case 'lessThanInclusive': return (values) => { const x = values[at]; return v(x) && c(x, value); };
    case 'greaterThan': return (values) => { const x = values[at]; return v(x) && c(x, value); };
    case 'greaterThanInclusive': return (values) => { const x = values[at]; return v(x) && c(x, value); };
    default: return (values) => { const x = values[at]; return v(x) && c(x, value); };
  }
}

/**
 * The truth of a condition, stopping at the first child that settles an `all` or an `any`. The engine
 * evaluates every child, but the only errors of a run are a fact that is not a catalogue fact and an
 * operator the engine does not know, and the evaluator refuses every run of rules that have one
 * (ConditionEvaluator.refusal), as the engine fails every run of them; the operators themselves are
 * total (operators.ts: every comparison is guarded by its validator) and pure, so stopping early
 * changes no result.
 */
function compileTest(node: Condition, compiler: Compiler): Test {
  if (node.all) {
    const children = node.all.map((child) => compileTest(child, compiler));
    if (children.length === 1) return children[0] as Test;
    return (values) => {
      for (let i = 0; i < children.length; i++) if (!(children[i] as Test)(values)) return false;
      return true;
    };
  }
  if (node.any) {
    const children = node.any.map((child) => compileTest(child, compiler));
    if (children.length === 0) return () => true;
    if (children.length === 1) return children[0] as Test;
    return (values) => {
      for (let i = 0; i < children.length; i++) if ((children[i] as Test)(values)) return true;
      return false;
    };
  }
  if (node.not) {
    const child = compileTest(node.not, compiler);
    return (values) => !child(values);
  }
  return leafTest(node, compiler);
}

/** Every node of a condition evaluated and recorded, in the engine's shape (RuleResult.conditions). */
function compileRecord(node: Condition, compiler: Compiler): Recorder {
  if (node.all || node.any) {
    const kind = node.all ? 'all' : 'any';
    const children = (node.all ?? node.any ?? []).map((child) => compileRecord(child, compiler));
    return (values) => {
      const evaluated = new Array<EvaluatedCondition>(children.length);
      let all = true;
      let any = false;
      for (let i = 0; i < children.length; i++) {
        const child = (children[i] as Recorder)(values);
        evaluated[i] = child;
        if (child.result === true) any = true;
        else all = false;
      }
      return { [kind]: evaluated, result: kind === 'all' ? all : evaluated.length === 0 || any };
    };
  }
  if (node.not) {
    const child = compileRecord(node.not, compiler);
    return (values) => {
      const evaluated = child(values);
      return { not: evaluated, result: evaluated.result !== true };
    };
  }
  const { fact, operator, value } = node as Leaf;
  const at = compiler.slots.slot(fact);
  const comparison = compiler.comparison(operator);
  return (values) => {
    if (!comparison) throw new ConditionEvaluationError(`Unknown operator: ${operator}`);
    const factResult = values[at];
    if (factResult === MISSING) throw new ConditionEvaluationError(`Undefined fact: ${fact}`);
    const result = comparison.validates(factResult) && comparison.compares(factResult, value);
    return { fact, operator, value, factResult, valueResult: value, result };
  };
}

/**
 * The explanation of a fired rule's conditions made straight from the fact vector, with no record
 * between: the same nodes as explainCondition makes of the engine's record of them.
 */
function compileExplanation(node: Condition, compiler: Compiler): Explain {
  if (node.all || node.any) {
    const explained = node.all ? explainedAll : explainedAny;
    const children = (node.all ?? node.any ?? []).map((child) => compileExplanation(child, compiler));
    return (values) => {
      const evaluated = new Array<ConditionResult>(children.length);
      for (let i = 0; i < children.length; i++) evaluated[i] = (children[i] as Explain)(values);
      return explained(evaluated);
    };
  }
  if (node.not) {
    const child = compileExplanation(node.not, compiler);
    return (values) => explainedNot(child(values));
  }
  const { fact, operator, value } = node as Leaf;
  const at = compiler.slots.slot(fact);
  const comparison = compiler.comparison(operator);
  if (!comparison) return () => explainedLeaf(fact, operator, value, undefined, false); // never run: refused
  const { validates, compares } = comparison;
  return (values) => {
    const factResult = values[at];
    return explainedLeaf(fact, operator, value, factResult, validates(factResult) && compares(factResult, value));
  };
}

/** Operator.evaluate, as json-rules-engine defines it: the same validator and comparison the engine runs. */
function comparisonOf(op: Operator): Comparison {
  const { factValueValidator, cb } = op as unknown as { factValueValidator: Comparison['validates']; cb: Comparison['compares'] };
  return { validates: factValueValidator, compares: cb };
}

export class ConditionEvaluator {
  private readonly compiled: ReadonlyArray<{ rule: Rule; test: Test; record: Recorder; explain: Explain }>;
  private readonly slots = new FactSlots();
  /** Why every run of these rules fails, as every engine run of them does: an unknown fact or operator. */
  private readonly refusal: string | undefined;

  constructor(rules: readonly Rule[], operators: readonly Operator[]) {
    const compiler = new Compiler(new Map(operators.map((op) => [op.name, comparisonOf(op)])), this.slots);
    this.compiled = rules.map((rule) => ({
      rule,
      test: compileTest(rule.conditions, compiler),
      record: compileRecord(rule.conditions, compiler),
      explain: compileExplanation(rule.conditions, compiler),
    }));
    const [fact, operator] = [this.slots.unknown, compiler.unknownOperator];
    this.refusal = fact !== undefined ? `Undefined fact: ${fact}` : operator !== undefined ? `Unknown operator: ${operator}` : undefined;
  }

  /** The catalogue facts the rules read: a FactVectorReader made for them (or more) makes their vector. */
  get factsRead(): string[] {
    return [...this.slots.names.keys()].filter((name) => FACT_SLOTS.has(name));
  }

  /** The rules that fire, in file order, recording nothing: bulk work. */
  fired(values: FactVector): Rule[] {
    if (this.refusal) throw new ConditionEvaluationError(this.refusal);
    const fired: Rule[] = [];
    for (let i = 0; i < this.compiled.length; i++) {
      const { rule, test } = this.compiled[i] as (typeof this.compiled)[number];
      if (test(values)) fired.push(rule);
    }
    return fired;
  }

  /** The rules that fire, in file order, with their conditions explained: a decision's explanation. */
  explainedFired(values: FactVector): ExplainedRules {
    if (this.refusal) throw new ConditionEvaluationError(this.refusal);
    const explained: ExplainedRules = { rules: [], conditions: [] };
    for (let i = 0; i < this.compiled.length; i++) {
      const { rule, test, explain } = this.compiled[i] as (typeof this.compiled)[number];
      if (!test(values)) continue;
      explained.rules.push(rule);
      explained.conditions.push(explain(values));
    }
    return explained;
  }

  /** Every rule's run, in file order, from a fact map: the live path's second channel; throws ConditionEvaluationError as the engine would throw. */
  run(facts: FactMap): RuleRun[] {
    const values = this.slots.vector(facts);
    return this.compiled.map(({ rule, record }) => {
      const conditions = record(values);
      return { name: rule.id, result: conditions.result === true, conditions };
    });
  }
}
