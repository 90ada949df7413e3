/**
 * The two channels of one evaluation compared: json-rules-engine's run and the compiled evaluator's
 * must agree on every rule (fired or not) and on every condition of it, `factResult`, `valueResult`
 * and `result` included. The first difference is named by rule and by the condition's path.
 */
import type { RuleResult } from 'json-rules-engine';
import type { EvaluatedCondition, RuleRun } from './condition-evaluator.js';

export interface Disagreement {
  ruleId: string;
  /** JSON Pointer into the rule's conditions, e.g. /all/2/not */
  path: string;
  /** what differs there: the result, the value the fact had, the kind of node… */
  field: string;
}

/** Fact values and condition values are primitives or lists of primitives (the contract and the rule schema). */
const same = (a: unknown, b: unknown): boolean =>
  a === b || (Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => item === b[i]));

function compareNodes(engine: EvaluatedCondition, compiled: EvaluatedCondition, path: string, root: boolean): { path: string; field: string } | undefined {
  for (const kind of ['all', 'any'] as const) {
    const [a, b] = [engine[kind], compiled[kind]];
    if (Boolean(a) !== Boolean(b)) return { path, field: 'kind' };
    if (a && b) {
      if (a.length !== b.length) return { path, field: `${kind}.length` };
      for (let i = 0; i < a.length; i++) {
        const found = compareNodes(a[i] as EvaluatedCondition, b[i] as EvaluatedCondition, `${path}/${kind}/${i}`, false);
        if (found) return found;
      }
    }
  }
  if (Boolean(engine.not) !== Boolean(compiled.not)) return { path, field: 'kind' };
  if (engine.not && compiled.not) {
    const found = compareNodes(engine.not, compiled.not, `${path}/not`, false);
    if (found) return found;
  }
  // The engine's own nodes also name their kind as `operator` (all, any, not): only leaves are compared field by field.
  const leaf = !compiled.all && !compiled.any && !compiled.not;
  if (leaf) {
    for (const field of ['fact', 'operator', 'value', 'factResult', 'valueResult'] as const) {
      if (!same(engine[field], compiled[field])) return { path, field };
    }
  }
  // The engine records no result on a rule's root node: the rule's own result stands for it.
  if (!root && engine.result !== compiled.result) return { path, field: 'result' };
  return undefined;
}

/** The first difference between the engine's results and the compiled evaluator's, or undefined. */
export function disagreement(engine: readonly RuleResult[], compiled: readonly RuleRun[]): Disagreement | undefined {
  const byName = new Map(engine.map((result) => [result.name, result]));
  if (byName.size !== compiled.length) return { ruleId: '(rule set)', path: '', field: 'rules' };
  for (const run of compiled) {
    const other = byName.get(run.name);
    if (!other) return { ruleId: run.name, path: '', field: 'rule' };
    if (other.result !== run.result) return { ruleId: run.name, path: '', field: 'result' };
    const found = compareNodes(other.conditions as unknown as EvaluatedCondition, run.conditions, '', true);
    if (found) return { ruleId: run.name, ...found };
  }
  return undefined;
}
