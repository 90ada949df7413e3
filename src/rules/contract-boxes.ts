/**
 * Boxes of the referral contract's domain, for the invariant proof (invariant-proof.ts): a box gives
 * every contract field a set of values (an interval for numbers), plus whether STarT Back is there;
 * the facts a rule reads are computed on it (age, ageAtOnset by interval arithmetic, the STarT Back
 * scores and risk, the counts), each condition is evaluated on it in three values (holds on every
 * referral in the box, on none, or unknown) with the engine's own operators, and a box is split on
 * one field of an unknown condition, at the constant the condition compares it with.
 */
import type { FactValue } from '../generated/decision.js';
import type { Condition, Rule } from '../generated/ruleset.js';
import { RED_FLAGS } from '../schemas/red-flags.js';
import { FACTS, type FactDefinition } from './fact-catalogue.js';
import { OPERATORS } from './operators.js';

// ---------------------------------------------------------------------------------------------
// The domain: one variable per contract field a fact comes from, plus whether STarT Back is there.

export type Discrete = { kind: 'set'; values: readonly FactValue[] };
export type Interval = { kind: 'range'; lo: number; hi: number };
export type Domain = Discrete | Interval;
export type Box = ReadonlyMap<string, Domain>;

export const STARTBACK_PRESENT = 'startBack';
export const AGE = 'age';
export const SPA = 'inflammatory.axialSpaFeatures';
export const SPA_ITEM = (item: string) => `${SPA}#${item}`;
const DEPRECATED_SPA = 'arthritis-enthesitis-or-psoriasis';
const SEPARATE_SPA = ['current-or-past-arthritis', 'enthesitis', 'psoriasis'];
const SPINAL_SITES: readonly FactValue[] = ['lumbar-spine', 'thoracic-spine', 'cervical-spine'];
const STARTBACK_PHYSICAL = ['legPain', 'shoulderOrNeckPain', 'walkedShortDistancesOnly', 'dressedMoreSlowly'];
const STARTBACK_PSYCHOSOCIAL = ['notSafeToBeActive', 'worryingThoughts', 'painTerribleNeverBetter', 'notEnjoyedThings'];
const BOTHERSOME: readonly FactValue[] = ['very-much', 'extremely'];

const referralFacts = FACTS.filter((fact) => fact.source === 'referral');
const spaItems = (referralFacts.find((fact) => fact.name === SPA)?.schema.items as { enum: string[] }).enum;

/** The strings rules compare a free-text fact with (an ODS code, say), for its classes. */
function constantsFor(rules: readonly Rule[], fact: string): FactValue[] {
  const found = new Set<FactValue>();
  const visit = (node: Condition) => {
    if (node.fact === fact) for (const v of Array.isArray(node.value) ? node.value : [node.value]) if (typeof v === 'string') found.add(v);
    [...(node.all ?? []), ...(node.any ?? []), ...(node.not ? [node.not] : [])].forEach(visit);
  };
  rules.forEach((rule) => visit(rule.conditions));
  return [...found];
}

function initialDomain(fact: FactDefinition, rules: readonly Rule[]): Domain {
  const schema = fact.schema;
  if (schema.type === 'boolean') return { kind: 'set', values: [false, true] };
  if (Array.isArray(schema.enum)) return { kind: 'set', values: schema.enum as FactValue[] };
  if (schema.type === 'integer') return { kind: 'range', lo: schema.minimum as number, hi: schema.maximum as number };
  if (schema.type === 'string') {
    // Each string a rule names is a class of its own; every other value is one more class.
    const named = constantsFor(rules, fact.name);
    const other = ['PROOF1', 'PROOF2', 'PROOF3'].find((candidate) => !named.includes(candidate)) as string;
    return { kind: 'set', values: [...named, other] };
  }
  throw new Error(`the invariant proof cannot model fact ${fact.name}`);
}

export function wholeDomain(rules: readonly Rule[]): Map<string, Domain> {
  const box = new Map<string, Domain>();
  for (const fact of referralFacts) {
    if (fact.name === SPA) for (const item of spaItems) box.set(SPA_ITEM(item), { kind: 'set', values: [false, true] });
    else box.set(fact.name, initialDomain(fact, rules));
  }
  box.set(STARTBACK_PRESENT, { kind: 'set', values: [false, true] });
  box.set(AGE, { kind: 'range', lo: 0, hi: 120 });
  return box;
}

export const values = (box: Box, name: string): readonly FactValue[] => (box.get(name) as Discrete).values;
const range = (box: Box, name: string): Interval => box.get(name) as Interval;
const isFixed = (domain: Domain) => (domain.kind === 'set' ? domain.values.length === 1 : domain.lo === domain.hi);
export const can = (box: Box, name: string, value: FactValue) => values(box, name).includes(value);

/** The contract's constraints between fields: STarT Back at the lumbar spine; the SpA items. */
export function feasible(box: Box): boolean {
  const sites = values(box, 'complaint.bodySite');
  if (sites.length === 1 && sites[0] === 'lumbar-spine' && !can(box, STARTBACK_PRESENT, true)) return false;
  const forcedSeparate = SEPARATE_SPA.some((item) => !can(box, SPA_ITEM(item), false));
  return !(forcedSeparate && !can(box, SPA_ITEM(DEPRECATED_SPA), false));
}

// ---------------------------------------------------------------------------------------------
// What a fact can be on a box: a set of values (undefined when absent) or an interval of numbers.

type Abstract =
  | { kind: 'set'; values: readonly (FactValue | undefined)[] }
  | { kind: 'range'; lo: number; hi: number; absent: boolean }
  | { kind: 'list'; item: (value: FactValue) => readonly boolean[] };

const countOf = (box: Box, names: readonly string[], truthy: (name: string) => [boolean, boolean]): [number, number] => {
  let lo = 0;
  let hi = 0;
  for (const name of names) {
    const [mayBeFalse, mayBeTrue] = truthy(name);
    if (!mayBeFalse) lo += 1;
    if (mayBeTrue) hi += 1;
  }
  return [lo, hi];
};
const booleanChoices = (box: Box) => (name: string): [boolean, boolean] => [can(box, name, false), can(box, name, true)];

function startBackScores(box: Box): { total: [number, number]; psychosocial: [number, number] } {
  const item = (name: string) => `startBack.${name}`;
  const bother = values(box, 'startBack.bothersomeness');
  const botherLo = bother.every((v) => BOTHERSOME.includes(v)) ? 1 : 0;
  const botherHi = bother.some((v) => BOTHERSOME.includes(v)) ? 1 : 0;
  const [physLo, physHi] = countOf(box, STARTBACK_PHYSICAL.map(item), booleanChoices(box));
  const [psyLo, psyHi] = countOf(box, STARTBACK_PSYCHOSOCIAL.map(item), booleanChoices(box));
  return { total: [physLo + psyLo + botherLo, physHi + psyHi + botherHi], psychosocial: [psyLo + botherLo, psyHi + botherHi] };
}

function abstractFact(box: Box, name: string): Abstract {
  const domain = box.get(name);
  const present = values(box, STARTBACK_PRESENT);
  const mayBeAbsent = present.includes(false);
  const mayBePresent = present.includes(true);
  if (name.startsWith('startBack.')) {
    if (!mayBePresent) return { kind: 'set', values: [undefined] };
    const own = domain as Discrete;
    return { kind: 'set', values: mayBeAbsent ? [...own.values, undefined] : own.values };
  }
  if (domain?.kind === 'set') return { kind: 'set', values: domain.values };
  if (domain?.kind === 'range') return { kind: 'range', lo: domain.lo, hi: domain.hi, absent: false };
  switch (name) {
    case SPA:
      return { kind: 'list', item: (value) => (box.get(SPA_ITEM(value as string)) as Discrete | undefined)?.values as boolean[] ?? [false] };
    case 'ageAtOnset': {
      const age = range(box, AGE);
      const weeks = range(box, 'complaint.durationWeeks');
      return { kind: 'range', lo: age.lo - weeks.hi / 52, hi: age.hi - weeks.lo / 52, absent: false };
    }
    case 'spinal': {
      const sites = values(box, 'complaint.bodySite');
      return { kind: 'set', values: [...new Set(sites.map((site) => SPINAL_SITES.includes(site)))] };
    }
    case 'axialSpaFeatureCount': {
      const [lo, hi] = countOf(box, spaItems.map(SPA_ITEM), booleanChoices(box));
      return { kind: 'range', lo, hi, absent: false };
    }
    case 'redFlagCount': {
      const [lo, hi] = countOf(box, RED_FLAGS.map((flag) => `redFlags.${flag}`), booleanChoices(box));
      return { kind: 'range', lo, hi, absent: false };
    }
    case 'startBackTotal':
    case 'startBackPsychosocial': {
      if (!mayBePresent) return { kind: 'set', values: [undefined] };
      const [lo, hi] = startBackScores(box)[name === 'startBackTotal' ? 'total' : 'psychosocial'];
      return { kind: 'range', lo, hi, absent: mayBeAbsent };
    }
    case 'startBackRisk': {
      const risks: FactValue[] = mayBeAbsent ? ['not-assessed'] : [];
      if (mayBePresent) {
        const { total, psychosocial } = startBackScores(box);
        if (total[0] <= 3) risks.push('low');
        if (total[1] >= 4 && psychosocial[1] >= 4) risks.push('high');
        if (total[1] >= 4 && psychosocial[0] <= 3) risks.push('medium');
      }
      return { kind: 'set', values: risks };
    }
    default:
      throw new Error(`the invariant proof cannot model fact ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Three-valued evaluation with the engine's own operators.

export type Truth = 'T' | 'F' | 'U';
type Evaluate = (factValue: unknown, value: unknown) => boolean;
const operators = new Map(OPERATORS.map((op) => [op.name, (op as unknown as { evaluate: Evaluate }).evaluate.bind(op)]));
const SMALL_RANGE = 64;

const combine = (results: readonly boolean[]): Truth => (results.every(Boolean) ? 'T' : results.some(Boolean) ? 'U' : 'F');

function numericTruth(operator: string, lo: number, hi: number, value: number): Truth | undefined {
  switch (operator) {
    case 'lessThan': return hi < value ? 'T' : lo >= value ? 'F' : 'U';
    case 'lessThanInclusive': return hi <= value ? 'T' : lo > value ? 'F' : 'U';
    case 'greaterThan': return lo > value ? 'T' : hi <= value ? 'F' : 'U';
    case 'greaterThanInclusive': return lo >= value ? 'T' : hi < value ? 'F' : 'U';
    default: return undefined;
  }
}

function leafTruth(box: Box, leaf: Required<Pick<Condition, 'fact' | 'operator' | 'value'>>): Truth {
  const fact = abstractFact(box, leaf.fact);
  const evaluate = operators.get(leaf.operator) as Evaluate;
  if (fact.kind === 'set') return combine(fact.values.map((v) => evaluate(v, leaf.value)));
  if (fact.kind === 'list') {
    if (leaf.operator !== 'contains' && leaf.operator !== 'doesNotContain') throw new Error(`the invariant proof cannot model ${leaf.operator} on a list`);
    const has = fact.item(leaf.value);
    return combine(has.map((present) => (leaf.operator === 'contains' ? present : !present)));
  }
  let truth: Truth;
  if (Number.isInteger(fact.lo) && Number.isInteger(fact.hi) && fact.hi - fact.lo <= SMALL_RANGE) {
    truth = combine(Array.from({ length: fact.hi - fact.lo + 1 }, (_, i) => evaluate(fact.lo + i, leaf.value)));
  } else {
    const value = leaf.value;
    const numeric = typeof value === 'number' ? numericTruth(leaf.operator, fact.lo, fact.hi, value) : undefined;
    const listed = Array.isArray(value) ? value : [value];
    const inside = listed.some((v) => typeof v === 'number' && v >= fact.lo && v <= fact.hi);
    if (numeric) truth = numeric;
    else if (leaf.operator === 'equal' || leaf.operator === 'in') truth = inside ? 'U' : 'F';
    else if (leaf.operator === 'notEqual' || leaf.operator === 'notIn') truth = inside ? 'U' : 'T';
    else truth = 'F';
  }
  if (fact.absent && truth === 'T') return 'U';
  return truth;
}

export function truthOf(box: Box, node: Condition): Truth {
  if (node.all) {
    const parts = node.all.map((child) => truthOf(box, child));
    return parts.includes('F') ? 'F' : parts.includes('U') ? 'U' : 'T';
  }
  if (node.any) {
    const parts = node.any.map((child) => truthOf(box, child));
    return parts.includes('T') ? 'T' : parts.includes('U') ? 'U' : 'F';
  }
  if (node.not) {
    const inner = truthOf(box, node.not);
    return inner === 'T' ? 'F' : inner === 'F' ? 'T' : 'U';
  }
  return leafTruth(box, node as Required<Pick<Condition, 'fact' | 'operator' | 'value'>>);
}

/** The leaves of a condition whose truth is unknown on the box, first to last. */
export function unknownLeaves(box: Box, node: Condition, out: Condition[] = []): Condition[] {
  if (truthOf(box, node) !== 'U') return out;
  const children = node.all ?? node.any ?? (node.not ? [node.not] : undefined);
  if (children) for (const child of children) unknownLeaves(box, child, out);
  else out.push(node);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Splitting a box on one field of an unknown leaf.

function withDomain(box: Box, name: string, domain: Domain): Map<string, Domain> {
  return new Map(box).set(name, domain);
}

function splitSet(box: Box, name: string, keep: (value: FactValue) => boolean): Map<string, Domain>[] {
  const all = values(box, name);
  const yes = all.filter(keep);
  const no = all.filter((value) => !keep(value));
  const parts = yes.length > 0 && no.length > 0 ? [no, yes] : all.map((value) => [value]);
  return parts.map((part) => withDomain(box, name, { kind: 'set', values: part }));
}

function splitRange(box: Box, name: string, at: number): Map<string, Domain>[] {
  const { lo, hi } = range(box, name);
  const cut = Math.min(Math.max(Math.floor(at), lo), hi - 1);
  return [withDomain(box, name, { kind: 'range', lo, hi: cut }), withDomain(box, name, { kind: 'range', lo: cut + 1, hi })];
}

/** Cut points that separate the values where a comparison with `value` holds from where it does not. */
function cutFor(operator: string, value: unknown, lo: number, hi: number): number {
  const points = (Array.isArray(value) ? value : [value]).filter((v): v is number => typeof v === 'number');
  for (const v of points) {
    const below = operator === 'lessThanInclusive' || operator === 'greaterThan' ? Math.floor(v) : Math.ceil(v) - 1;
    if (below >= lo && below < hi) return below;
    if (operator === 'equal' || operator === 'in' || operator === 'notEqual' || operator === 'notIn') {
      if (v >= lo && v < hi) return v;
    }
  }
  return Math.floor((lo + hi) / 2);
}

const firstOpen = (box: Box, names: readonly string[]) => names.find((name) => !isFixed(box.get(name) as Domain));

export function split(box: Box, leaf: Required<Pick<Condition, 'fact' | 'operator' | 'value'>>): Map<string, Domain>[] {
  const name = leaf.fact;
  const present = box.get(STARTBACK_PRESENT) as Discrete;
  const dependsOnStartBack = name.startsWith('startBack');
  if (dependsOnStartBack && present.values.length > 1) return splitSet(box, STARTBACK_PRESENT, (v) => v === true);
  const own = box.get(name);
  if (own?.kind === 'set') {
    const evaluate = operators.get(leaf.operator) as Evaluate;
    return splitSet(box, name, (value) => evaluate(value, leaf.value));
  }
  if (own?.kind === 'range') return splitRange(box, name, cutFor(leaf.operator, leaf.value, own.lo, own.hi));
  switch (name) {
    case 'spinal':
      return splitSet(box, 'complaint.bodySite', (site) => SPINAL_SITES.includes(site));
    case SPA:
      return splitSet(box, SPA_ITEM(leaf.value as string), (v) => v === true);
    case 'axialSpaFeatureCount':
      return splitSet(box, firstOpen(box, spaItems.map(SPA_ITEM)) as string, (v) => v === true);
    case 'redFlagCount':
      return splitSet(box, firstOpen(box, RED_FLAGS.map((flag) => `redFlags.${flag}`)) as string, (v) => v === true);
    case 'ageAtOnset': {
      // age − weeks/52 against a constant: fix the age first (at the constant, then by halves), then
      // the weeks at the point where the comparison turns.
      const age = range(box, AGE);
      if (age.lo !== age.hi) return splitRange(box, AGE, cutFor(leaf.operator, leaf.value, age.lo, age.hi));
      const weeks = range(box, 'complaint.durationWeeks');
      const turn = (age.lo - (leaf.value as number)) * 52;
      const within = (cut: number) => cut >= weeks.lo && cut < weeks.hi;
      const cut = [Math.floor(turn), Math.ceil(turn) - 1].find(within) ?? Math.floor((weeks.lo + weeks.hi) / 2);
      return splitRange(box, 'complaint.durationWeeks', cut);
    }
    default: {
      // the STarT Back scores and risk: one answer at a time
      const items = [...STARTBACK_PHYSICAL, ...STARTBACK_PSYCHOSOCIAL, 'bothersomeness'].map((item) => `startBack.${item}`);
      const open = firstOpen(box, items) as string;
      return splitSet(box, open, (v) => v === true || BOTHERSOME.includes(v));
    }
  }
}
