/**
 * Rebuilds a fired rule's condition tree with the truth of every node and the value each leaf saw.
 * json-rules-engine records `result` and `factResult` on leaves only; `all` / `any` / `not` nodes
 * are recomputed from their children.
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

export function explainCondition(node: EngineCondition): ConditionResult {
  if (node.all) {
    const all = node.all.map(explainCondition);
    return { all, result: all.every((child) => child.result) };
  }
  if (node.any) {
    const any = node.any.map(explainCondition);
    return { any, result: any.some((child) => child.result) };
  }
  if (node.not) {
    const not = explainCondition(node.not);
    return { not, result: !not.result };
  }
  return {
    fact: String(node.fact),
    operator: String(node.operator),
    value: node.value as FactValue,
    factValue: (node.factResult ?? null) as FactValue | null,
    result: node.result === true,
  };
}
