/**
 * The operators a rule may use: json-rules-engine's own ten, replaced so that a condition on a fact
 * the referral does not carry is simply false (docs/referral-contract.md, "Optional items the referral
 * leaves out"). The engine's
 * built-in `notEqual` and `notIn` would be true for an absent fact.
 */
import { Operator } from 'json-rules-engine';

type Comparable = number;

const present = (value: unknown): boolean => value !== undefined && value !== null;
const isNumber = (value: unknown): value is Comparable => typeof value === 'number' && Number.isFinite(value);

export const OPERATORS: readonly Operator[] = [
  new Operator('equal', (a, b) => a === b, present),
  new Operator('notEqual', (a, b) => a !== b, present),
  new Operator('in', (a, b: unknown) => Array.isArray(b) && b.includes(a), present),
  new Operator('notIn', (a, b: unknown) => Array.isArray(b) && !b.includes(a), present),
  new Operator('contains', (a: unknown[], b) => a.includes(b), Array.isArray),
  new Operator('doesNotContain', (a: unknown[], b) => !a.includes(b), Array.isArray),
  new Operator('lessThan', (a: Comparable, b: Comparable) => a < b, isNumber),
  new Operator('lessThanInclusive', (a: Comparable, b: Comparable) => a <= b, isNumber),
  new Operator('greaterThan', (a: Comparable, b: Comparable) => a > b, isNumber),
  new Operator('greaterThanInclusive', (a: Comparable, b: Comparable) => a >= b, isNumber),
];

export const OPERATOR_NAMES: readonly string[] = OPERATORS.map((operator) => operator.name);
export const NUMERIC_OPERATORS = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);
export const LIST_OPERATORS = new Set(['in', 'notIn']);
export const ARRAY_FACT_OPERATORS = new Set(['contains', 'doesNotContain']);
