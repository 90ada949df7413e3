/**
 * Load-time checks of every condition of a rule set against the fact catalogue: the fact exists and
 * may be routed on, the operator suits the fact's type, and the value has the fact's type and lies in
 * its enum. A rule set that fails any of these never loads.
 */
import type { ValidateFunction } from 'ajv';
import { schemaAjv } from '../schemas/schema-registry.js';
import type { Condition, Rule } from '../generated/ruleset.js';
import { FACTS_BY_NAME, NOT_FACTS } from './fact-catalogue.js';
import { ARRAY_FACT_OPERATORS, LIST_OPERATORS, NUMERIC_OPERATORS } from './operators.js';

export interface RuleProblem {
  ruleId: string;
  /** JSON Pointer into the rule, e.g. /conditions/all/0 */
  path: string;
  message: string;
}

// Each fact's validators, compiled on first use (a rule set uses a few dozen of the catalogue's facts).
const valueValidators = new Map<string, ValidateFunction>();
const itemValidators = new Map<string, ValidateFunction>();

function valueValidator(factName: string): ValidateFunction | undefined {
  const fact = FACTS_BY_NAME.get(factName);
  if (!fact) return undefined;
  let validate = valueValidators.get(factName);
  if (!validate) valueValidators.set(factName, (validate = schemaAjv().compile(fact.schema)));
  return validate;
}

function itemValidator(factName: string): ValidateFunction | undefined {
  const fact = FACTS_BY_NAME.get(factName);
  if (fact?.schema.type !== 'array') return undefined;
  let validate = itemValidators.get(factName);
  if (!validate) itemValidators.set(factName, (validate = schemaAjv().compile(fact.schema.items as object)));
  return validate;
}

const show = (value: unknown) => JSON.stringify(value);

/** A fact condition: the schema guarantees fact, operator and value come together. */
type Leaf = Required<Pick<Condition, 'fact' | 'operator' | 'value'>>;

function allowedValues(factName: string): string {
  const schema = FACTS_BY_NAME.get(factName)?.schema;
  const valueSchema = (schema?.type === 'array' ? schema.items : schema) as
    | { enum?: unknown[]; type?: unknown; minimum?: number; maximum?: number }
    | undefined;
  if (valueSchema?.enum) return `one of ${valueSchema.enum.map(show).join(', ')}`;
  const kind = valueSchema?.type === 'integer' ? 'a whole number' : valueSchema?.type === 'boolean' ? 'true or false' : `a ${String(valueSchema?.type)}`;
  const range = valueSchema?.minimum !== undefined && valueSchema.maximum !== undefined ? ` from ${valueSchema.minimum} to ${valueSchema.maximum}` : '';
  return kind + range;
}

function checkLeaf(leaf: Leaf): string[] {
  const fact = FACTS_BY_NAME.get(leaf.fact);
  if (!fact) {
    const reason = NOT_FACTS.get(leaf.fact);
    return [reason ? `fact "${leaf.fact}" ${reason}` : `unknown fact "${leaf.fact}": not a referral field or derived fact`];
  }
  const isArrayFact = fact.schema.type === 'array';
  const isNumericFact = fact.schema.type === 'integer' || fact.schema.type === 'number';
  const op = leaf.operator;
  if (NUMERIC_OPERATORS.has(op)) {
    if (!isNumericFact) return [`operator ${op} needs a numeric fact; "${leaf.fact}" is ${String(fact.schema.type)}`];
    if (typeof leaf.value !== 'number') return [`operator ${op} on "${leaf.fact}" needs a number, not ${show(leaf.value)}`];
    return [];
  }
  if (ARRAY_FACT_OPERATORS.has(op)) {
    if (!isArrayFact) return [`operator ${op} needs a list fact; "${leaf.fact}" is ${String(fact.schema.type)}`];
    return itemValidator(leaf.fact)?.(leaf.value)
      ? []
      : [`value ${show(leaf.value)} is not a possible item of "${leaf.fact}": must be ${allowedValues(leaf.fact)}`];
  }
  if (isArrayFact) return [`operator ${op} cannot compare the list fact "${leaf.fact}"; use contains or doesNotContain`];
  const values = LIST_OPERATORS.has(op) ? leaf.value : [leaf.value];
  if (!Array.isArray(values)) return [`operator ${op} needs a list of values, not ${show(leaf.value)}`];
  if (!LIST_OPERATORS.has(op) && Array.isArray(leaf.value)) return [`operator ${op} needs a single value, not a list`];
  const validate = valueValidator(leaf.fact);
  return values
    .filter((value) => !validate?.(value))
    .map((value) => `value ${show(value)} is not a possible value of "${leaf.fact}": must be ${allowedValues(leaf.fact)}`);
}

function walk(condition: Condition, path: string, ruleId: string, problems: RuleProblem[]): void {
  if (condition.all) condition.all.forEach((child, i) => walk(child, `${path}/all/${i}`, ruleId, problems));
  else if (condition.any) condition.any.forEach((child, i) => walk(child, `${path}/any/${i}`, ruleId, problems));
  else if (condition.not) walk(condition.not, `${path}/not`, ruleId, problems);
  else for (const message of checkLeaf(condition as Leaf)) problems.push({ ruleId, path, message });
}

export function checkRuleFacts(rules: readonly Rule[]): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  for (const rule of rules) {
    if (seen.has(rule.id)) problems.push({ ruleId: rule.id, path: '', message: `rule id ${rule.id} is used twice` });
    seen.add(rule.id);
    walk(rule.conditions, '/conditions', rule.id, problems);
  }
  return problems;
}
