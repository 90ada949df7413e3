/**
 * A fired rule's condition tree as a decision explains it: the truth of every node and the value each
 * leaf saw. The nodes are made here, once, for both ways of making them: from json-rules-engine's
 * record (explainCondition; the engine records `result` and `factResult` on leaves only, so `all` /
 * `any` / `not` nodes are recomputed from their children), and by the compiled evaluator straight
 * from a fact vector (condition-evaluator.ts).
 */
import type { ConditionResult, FactValue } from '../generated/decision.js';

interface EngineCondition {
  all?: EngineCondition[];
  any?: EngineCondition[];
  not?: EngineCondition;
  fact?: string;
  operator?: string;
  value?: unknown;
  factResult?: unknown;
  result?: boolean;
}

export function explainedAll(all: ConditionResult[]): ConditionResult {
  let result = true;
  for (let i = 0; i < all.length; i++) if (!(all[i] as ConditionResult).result) result = false;
  return { all, result };
}

export function explainedAny(any: ConditionResult[]): ConditionResult {
  let result = false;
  for (let i = 0; i < any.length; i++) if ((any[i] as ConditionResult).result) result = true;
  return { any, result };
}

export function explainedNot(not: ConditionResult): ConditionResult {
  return { not, result: !not.result };
}

export function explainedLeaf(fact: unknown, operator: unknown, value: unknown, factResult: unknown, result: unknown): ConditionResult {
  return {
    fact: String(fact),
    operator: String(operator),
    value: value as FactValue,
    factValue: (factResult ?? null) as FactValue | null,
    result: result === true,
  };
}

export function explainCondition(node: EngineCondition): ConditionResult {
  if (node.all) return explainedAll(node.all.map(explainCondition));
  if (node.any) return explainedAny(node.any.map(explainCondition));
  if (node.not) return explainedNot(explainCondition(node.not));
  return explainedLeaf(node.fact, node.operator, node.value, node.factResult, node.result);
}
