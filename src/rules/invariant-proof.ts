/**
 * Proof of the policy invariants a rule set declares (docs/msk-policy.md, "The red-flag safety net"), over the
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
import { AGE, SPA, STARTBACK_PRESENT, can, feasible, split, truthOf, unknownLeaves, values, wholeDomain, type Box, type Domain, type Truth } from './contract-boxes.js';
import { FACTS } from './fact-catalogue.js';
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
