/**
 * Proof of the policy invariants a rule set declares (msk-policy-v2.md, "Policy invariant"), over the
 * whole referral contract: not a sample. The facts the rules read take finitely many classes (each
 * number splits at the constants the rules compare it with, each enum and boolean at its values), so
 * a search over boxes of the contract's domain decides the invariant exactly. A box gives every
 * contract field a set of values (an interval for numbers); each rule's conditions are evaluated on
 * the box in three values (holds on every referral in it, on none, or unknown). A box is split on a
 * field of an unknown condition until every rule that can change the decision is known; its decision
 * then holds for every referral in the box and is checked. A box that fails is turned into one
 * concrete, contract-valid referral and evaluated again by the engine itself, so that the refusal
 * names a real counterexample and the decision it really gets.
 *
 * Invariant `red-flag-safety-net`: every referral with at least one red flag true gets an urgency of
 * at least soon, and an urgency of urgent or above or a review.
 */
import type { Decision, FactValue } from '../generated/decision.js';
import type { Referral } from '../generated/referral.js';
import type { Condition, Rule } from '../generated/ruleset.js';
import { routeText, urgencyRank } from '../domain/route-order.js';
import { RED_FLAGS } from '../schemas/red-flags.js';
import { validateReferral } from '../schemas/schema-registry.js';
import type { IsoDate } from '../domain/calendar.js';
import type { CompiledRuleSet } from './compiled-rule-set.js';
import { factMap } from './derived-facts.js';
import { FACTS, type FactDefinition } from './fact-catalogue.js';
import { OPERATORS } from './operators.js';
import { chooseRoute, type DecisionProcedure } from './route-choice.js';

export const INVARIANTS = ['red-flag-safety-net'] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface InvariantFailure {
  invariant: Invariant;
  /** the red-flag item that is true in the counterexample */
  redFlag: string;
  referral: Referral;
  decision: Decision;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// The domain: one variable per contract field a fact comes from, plus whether STarT Back is there.

type Discrete = { kind: 'set'; values: readonly FactValue[] };
type Interval = { kind: 'range'; lo: number; hi: number };
type Domain = Discrete | Interval;
type Box = ReadonlyMap<string, Domain>;

const STARTBACK_PRESENT = 'startBack';
const AGE = 'age';
const SPA = 'inflammatory.axialSpaFeatures';
const SPA_ITEM = (item: string) => `${SPA}#${item}`;
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

function wholeDomain(rules: readonly Rule[]): Map<string, Domain> {
  const box = new Map<string, Domain>();
  for (const fact of referralFacts) {
    if (fact.name === SPA) for (const item of spaItems) box.set(SPA_ITEM(item), { kind: 'set', values: [false, true] });
    else box.set(fact.name, initialDomain(fact, rules));
  }
  box.set(STARTBACK_PRESENT, { kind: 'set', values: [false, true] });
  box.set(AGE, { kind: 'range', lo: 0, hi: 120 });
  return box;
}

const values = (box: Box, name: string): readonly FactValue[] => (box.get(name) as Discrete).values;
const range = (box: Box, name: string): Interval => box.get(name) as Interval;
const isFixed = (domain: Domain) => (domain.kind === 'set' ? domain.values.length === 1 : domain.lo === domain.hi);
const can = (box: Box, name: string, value: FactValue) => values(box, name).includes(value);

/** The contract's constraints between fields: STarT Back at the lumbar spine; the SpA items. */
function feasible(box: Box): boolean {
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

function truthOf(box: Box, node: Condition): Truth {
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
function unknownLeaves(box: Box, node: Condition, out: Condition[] = []): Condition[] {
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

function split(box: Box, leaf: Required<Pick<Condition, 'fact' | 'operator' | 'value'>>): Map<string, Domain>[] {
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

// ---------------------------------------------------------------------------------------------
// The search.

export interface ProofStatistics {
  boxes: number;
}

interface Context {
  rules: readonly Rule[];
  procedure: DecisionProcedure;
  defaultRoute: Parameters<typeof chooseRoute>[1];
  statistics: ProofStatistics;
}

const URGENT = urgencyRank('urgent');
const SOON = urgencyRank('soon');

/** Does a rule that fires guarantee the invariant by itself, whatever else fires? */
function guarantees(rule: Rule, procedure: DecisionProcedure): boolean {
  const rank = urgencyRank(rule.route.urgency);
  return rank <= URGENT || (procedure === '2' && rank === SOON && rule.reviewRequired === true);
}

function violates(route: { urgency: Decision['urgency'] }, reviewRequired: boolean): boolean {
  const rank = urgencyRank(route.urgency);
  return rank > SOON || (rank === SOON && !reviewRequired);
}

/** A box on which the invariant fails, or undefined when it holds on every referral in the box. */
function search(context: Context, start: Map<string, Domain>): Map<string, Domain> | undefined {
  const stack: Map<string, Domain>[] = [start];
  while (stack.length > 0) {
    const box = stack.pop() as Map<string, Domain>;
    context.statistics.boxes += 1;
    if (!feasible(box)) continue;
    const fired: Rule[] = [];
    const unknown: Rule[] = [];
    for (const rule of context.rules) {
      const truth = truthOf(box, rule.conditions);
      if (truth === 'T') fired.push(rule);
      else if (truth === 'U') unknown.push(rule);
    }
    if (fired.some((rule) => guarantees(rule, context.procedure))) continue;
    // Rules less urgent than one that fires cannot change the urgency or the review.
    const top = Math.min(...fired.map((rule) => urgencyRank(rule.route.urgency)));
    const relevant = unknown.filter((rule) => urgencyRank(rule.route.urgency) <= top);
    if (relevant.length === 0) {
      const choice = chooseRoute(fired, context.defaultRoute, context.procedure);
      if (violates(choice.route, choice.reviewRequired)) return box;
      continue;
    }
    // Split where a decision is nearest: a rule that would settle the box, with the fewest unknowns.
    const candidates = relevant.some((rule) => guarantees(rule, context.procedure)) ? relevant.filter((rule) => guarantees(rule, context.procedure)) : relevant;
    let best: Condition[] | undefined;
    for (const rule of candidates) {
      const leaves = unknownLeaves(box, rule.conditions);
      if (!best || leaves.length < best.length) best = leaves;
    }
    const leaf = (best as Condition[])[0] as Required<Pick<Condition, 'fact' | 'operator' | 'value'>>;
    // Depth first, the box where the leaf fails on top, so that a counterexample is found early.
    stack.push(...split(box, leaf).reverse());
  }
  return undefined;
}

/**
 * Each rule's truth on the box of one referral alone: every rule must be known there, and agree with
 * the engine. The property tests check the three-valued evaluation against the engine with it.
 */
export function truthsAt(rules: readonly Rule[], referral: Referral, evaluationDate: IsoDate): Map<string, Truth> {
  const facts = factMap(referral, evaluationDate);
  const box = new Map<string, Domain>();
  for (const [name, domain] of wholeDomain(rules)) {
    if (name === STARTBACK_PRESENT) box.set(name, { kind: 'set', values: [referral.startBack !== undefined] });
    else if (name.startsWith(`${SPA}#`)) box.set(name, { kind: 'set', values: [(facts[SPA] as string[]).includes(name.slice(SPA.length + 1))] });
    else {
      const value = name.startsWith('startBack.') && referral.startBack === undefined ? pickValue(name, domain) : (facts[name] as FactValue);
      box.set(name, domain.kind === 'range' ? { kind: 'range', lo: value as number, hi: value as number } : { kind: 'set', values: [value] });
    }
  }
  return new Map(rules.map((rule) => [rule.id, truthOf(box, rule.conditions)]));
}

/**
 * What a version must prove to take over: every invariant that the active version, or any version
 * released before, declares holds for its successor too, whether the successor declares it or not.
 * So a rollback or a pin can never bring back a version that the safety net was put in place to stop
 * (msk-triage 1.0.0, say), not even by way of a version that quietly stopped declaring the net.
 * Empty when it holds.
 */
export async function ratchetFailures(candidate: CompiledRuleSet, predecessors: ReadonlyArray<CompiledRuleSet | undefined>, evaluationDate: IsoDate): Promise<string[]> {
  const declaredBy = new Map<Invariant, string>();
  for (const version of predecessors) {
    for (const invariant of version?.document.invariants ?? []) if (!declaredBy.has(invariant)) declaredBy.set(invariant, version?.version as string);
  }
  const owed = [...declaredBy.keys()].filter((invariant) => !(candidate.document.invariants ?? []).includes(invariant));
  if (owed.length === 0) return [];
  const failures = await proveInvariants(candidate, evaluationDate, { boxes: 0 }, owed);
  return failures.map((failure) => `${candidate.id} ${candidate.version} may not replace ${declaredBy.get(failure.invariant) as string} or come after it, which declares ${failure.invariant}: ${failure.message}`);
}

// ---------------------------------------------------------------------------------------------
// From a failing box to a referral.

const DEFAULTS = new Map(FACTS.filter((fact) => fact.whenAbsent !== undefined).map((fact) => [fact.name, fact.whenAbsent]));

/** A value from a field's domain that reads naturally in a counterexample: an adult's age, no finding, the contract's default. */
function pickValue(name: string, domain: Domain): FactValue {
  if (domain.kind === 'range') return name === AGE ? Math.min(Math.max(45, domain.lo), domain.hi) : domain.lo;
  const usual = DEFAULTS.get(name);
  if (usual !== undefined && domain.values.includes(usual)) return usual;
  return domain.values.includes(false) ? false : (domain.values[0] as FactValue);
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[keys.at(-1) as string] = value;
}

/** One contract-valid referral in the box (every referral in it gets the same decision). */
function referralIn(box: Box, evaluationDate: IsoDate): Referral {
  const chosen = new Map([...box].map(([name, domain]) => [name, pickValue(name, domain)]));
  const present = can(box, STARTBACK_PRESENT, true) && (chosen.get('complaint.bodySite') === 'lumbar-spine' || !can(box, STARTBACK_PRESENT, false));
  if (!present && chosen.get('complaint.bodySite') === 'lumbar-spine') {
    chosen.set('complaint.bodySite', values(box, 'complaint.bodySite').find((site) => site !== 'lumbar-spine') as FactValue);
  }
  const age = chosen.get(AGE) as number;
  const referral: Record<string, unknown> = {
    patient: { nhsNumber: '9434765919', dateOfBirth: `${Number(evaluationDate.slice(0, 4)) - age}-01-01` },
  };
  const features: string[] = [];
  for (const [name, value] of chosen) {
    if (name === AGE || name === STARTBACK_PRESENT) continue;
    if (name.startsWith(`${SPA}#`)) {
      if (value === true) features.push(name.slice(SPA.length + 1));
      continue;
    }
    if (name.startsWith('startBack.') && !present) continue;
    setPath(referral, name, value);
  }
  setPath(referral, SPA, features);
  return referral as unknown as Referral;
}

/** The facts the rules read, as the counterexample has them: what a clinical lead needs to see. */
function describeReferral(referral: Referral, evaluationDate: IsoDate, rules: readonly Rule[], redFlag: string): string {
  const read = new Set<string>([`redFlags.${redFlag}`]);
  const visit = (node: Condition) => {
    if (node.fact) read.add(node.fact);
    [...(node.all ?? []), ...(node.any ?? []), ...(node.not ? [node.not] : [])].forEach(visit);
  };
  rules.forEach((rule) => visit(rule.conditions));
  const facts = factMap(referral, evaluationDate);
  const worthShowing = (value: unknown) => value !== false && value !== undefined && !(Array.isArray(value) && value.length === 0);
  return [...read].sort().filter((fact) => worthShowing(facts[fact])).map((fact) => `${fact} ${JSON.stringify(facts[fact])}`).join(', ');
}

/**
 * Proves every invariant the rule set declares (or the ones given); returns one failure (with its
 * counterexample) for each red-flag item under which an invariant fails, or none.
 */
export async function proveInvariants(
  compiled: CompiledRuleSet,
  evaluationDate: IsoDate,
  statistics: ProofStatistics = { boxes: 0 },
  invariants: readonly Invariant[] = compiled.document.invariants ?? [],
): Promise<InvariantFailure[]> {
  if (!invariants.includes('red-flag-safety-net')) return [];
  const context: Context = {
    rules: compiled.document.rules,
    procedure: compiled.procedure,
    defaultRoute: compiled.document.defaultRoute,
    statistics,
  };
  const failures: InvariantFailure[] = [];
  for (const flag of RED_FLAGS) {
    const start = wholeDomain(context.rules).set(`redFlags.${flag}`, { kind: 'set', values: [true] });
    const box = search(context, start);
    if (!box) continue;
    const referral = referralIn(box, evaluationDate);
    if (!validateReferral(referral)) throw new Error(`the invariant proof built a counterexample for ${flag} that breaks the referral contract`);
    const decision = await compiled.evaluate(referral, evaluationDate);
    if (!violates(decision, decision.reviewRequired)) {
      throw new Error(`the invariant proof and the engine disagree on a referral with ${flag} true: the proof cannot be trusted`);
    }
    const fired = decision.firedRules.map((rule) => rule.id).join(', ') || 'none';
    failures.push({
      invariant: 'red-flag-safety-net',
      redFlag: flag,
      referral,
      decision,
      message:
        `invariant red-flag-safety-net fails: a referral with redFlags.${flag} true is decided ${routeText(decision)}` +
        `${decision.reviewRequired ? ' with review' : ' without review'} (fired: ${fired}); a red flag needs urgent or above, or soon with review. ` +
        `Counterexample: ${describeReferral(referral, evaluationDate, context.rules, flag)}`,
    });
  }
  return failures;
}
