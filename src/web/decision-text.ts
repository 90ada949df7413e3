/**
 * A decision in words a GP reads: where the patient goes, how soon, the service, and why (each rule
 * that fired, its advice and its evidence, and the explanation's own sentences).
 */
import type { Pathway, Urgency } from '../domain/route-order.js';

export const PATHWAY_TEXT: Readonly<Record<Pathway, string>> = {
  secondary: 'Secondary care (a hospital specialist)',
  community: 'The community MSK interface service',
  physio: 'Physiotherapy',
  gp: 'Back to the GP, with advice',
};

export const URGENCY_TEXT: Readonly<Record<Urgency, string>> = {
  emergency: 'Emergency: today',
  'very-urgent': 'Very urgent',
  urgent: 'Urgent',
  soon: 'Soon',
  routine: 'Routine',
};

export const STATUS_TEXT: Readonly<Record<string, string>> = {
  routed: 'Routed',
  'awaiting-review': 'Awaiting a clinician’s review',
  'awaiting-manual-triage': 'Awaiting manual triage',
  reviewed: 'Reviewed by a clinician',
};

/** `emergency-spinal` → "Emergency spinal". */
export const serviceText = (service: string | null | undefined): string => (service ? service.charAt(0).toUpperCase() + service.slice(1).replaceAll('-', ' ') : '');

export function routeWords(route: { pathway: Pathway | null; urgency: Urgency | null; service?: string | null }) {
  return {
    pathway: route.pathway ? PATHWAY_TEXT[route.pathway] : 'No route yet',
    urgency: route.urgency ? URGENCY_TEXT[route.urgency] : 'Not decided',
    service: serviceText(route.service),
  };
}

const OPERATOR_TEXT: Readonly<Record<string, string>> = {
  equal: 'is',
  notEqual: 'is not',
  greaterThan: 'is more than',
  greaterThanInclusive: 'is at least',
  lessThan: 'is less than',
  lessThanInclusive: 'is at most',
  in: 'is one of',
  notIn: 'is none of',
  contains: 'includes',
  doesNotContain: 'does not include',
};

type ConditionNode =
  | { all: ConditionNode[]; result: boolean }
  | { any: ConditionNode[]; result: boolean }
  | { not: ConditionNode; result: boolean }
  | { fact: string; operator: string; value: unknown; factValue: unknown; result: boolean };

export interface ConditionLine {
  depth: number;
  text: string;
  held: boolean;
}

const shown = (value: unknown): string => {
  if (Array.isArray(value)) return value.map(shown).join(', ');
  if (value === null || value === undefined) return 'nothing';
  return typeof value === 'object' ? JSON.stringify(value) : `${value as string | number | boolean}`;
};

/** A fired rule's condition tree as indented lines a clinician reads: each test, what the rule saw, and whether it held. */
export function conditionLines(node: ConditionNode, depth = 0): ConditionLine[] {
  if ('all' in node) return [{ depth, text: 'All of these:', held: node.result }, ...node.all.flatMap((child) => conditionLines(child, depth + 1))];
  if ('any' in node) return [{ depth, text: 'Any of these:', held: node.result }, ...node.any.flatMap((child) => conditionLines(child, depth + 1))];
  if ('not' in node) return [{ depth, text: 'Not this:', held: node.result }, ...conditionLines(node.not, depth + 1)];
  return [{ depth, text: `${node.fact} ${OPERATOR_TEXT[node.operator] ?? node.operator} ${shown(node.value)} (saw ${shown(node.factValue)})`, held: node.result }];
}

type RuleCondition = { all?: RuleCondition[]; any?: RuleCondition[]; not?: RuleCondition; fact?: unknown; operator?: unknown; value?: unknown };

/** A rule's conditions as indented lines a clinical lead reads: "All of these:", then each test in words. */
export function ruleConditionLines(node: RuleCondition, describe: (leaf: never) => string, depth = 0): Array<{ depth: number; text: string }> {
  if (node.all) return [{ depth, text: 'All of these:' }, ...node.all.flatMap((c) => ruleConditionLines(c, describe, depth + 1))];
  if (node.any) return [{ depth, text: 'Any of these:' }, ...node.any.flatMap((c) => ruleConditionLines(c, describe, depth + 1))];
  if (node.not) return [{ depth, text: 'Not this:' }, ...ruleConditionLines(node.not, describe, depth + 1)];
  return [{ depth, text: describe(node as never) }];
}
