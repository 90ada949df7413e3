/**
 * The rule-set linter behind `msk-triage rules check`: what the loader refuses (schema, facts,
 * values, duplicate ids) plus what a clinical lead should know before anyone relies on a version:
 * conditions that can never hold, rules that are identical to or fully shadowed by another with a
 * different route at the same urgency, referrals that fire no rule (gaps), rules without evidence,
 * and rules or routes that no bundled case exercises. Errors block a version; warnings do not.
 */
import type { FactValue } from '../generated/decision.js';
import type { Referral } from '../generated/referral.js';
import type { Condition, Rule, RuleSet } from '../generated/ruleset.js';
import { routeText } from '../domain/route-order.js';
import { canonicalJson } from './content-hash.js';
import type { CompiledRuleSet } from './compiled-rule-set.js';
import { FACTS_BY_NAME } from './fact-catalogue.js';
import { OPERATORS } from './operators.js';
import type { CaseResult } from './rule-cases.js';
import { RED_FLAGS } from '../schemas/red-flags.js';
import { mulberry32 } from '../schemas/synthetic-referrals.js';

export interface Finding {
  severity: 'error' | 'warning';
  file: string;
  ruleId?: string;
  path?: string;
  message: string;
  /** a referral that shows the finding (gaps) */
  example?: Referral;
}

type Evaluate = (factValue: unknown, value: unknown) => boolean;
const evaluators = new Map(OPERATORS.map((op) => [op.name, (op as unknown as { evaluate: Evaluate }).evaluate.bind(op)]));

type Leaf = Required<Pick<Condition, 'fact' | 'operator' | 'value'>>;
const holds = (leaf: Leaf, factValue: unknown) => evaluators.get(leaf.operator)?.(factValue, leaf.value) === true;

/** Values of a fact worth trying: its whole domain when small, otherwise its bounds and each threshold ± a step. */
function candidates(fact: string, leaves: readonly Leaf[]): FactValue[] {
  const schema = FACTS_BY_NAME.get(fact)?.schema;
  if (!schema) return [];
  if (schema.type === 'boolean') return [true, false];
  if (Array.isArray(schema.enum)) return schema.enum as string[];
  if (schema.type === 'array') {
    const mentioned = [...new Set(leaves.map((l) => l.value as string))];
    return Array.from({ length: 2 ** mentioned.length }, (_, mask) => mentioned.filter((_, i) => (mask >> i) & 1));
  }
  const min = typeof schema.minimum === 'number' ? schema.minimum : -1e6;
  const max = typeof schema.maximum === 'number' ? schema.maximum : 1e6;
  if (schema.type === 'integer' && max - min <= 5000) return Array.from({ length: max - min + 1 }, (_, i) => min + i);
  const points = leaves.flatMap((l) => (typeof l.value === 'number' ? [l.value - 0.001, l.value, l.value + 0.001] : []));
  return [min, max, ...points].filter((v) => v >= min && v <= max);
}

/** Leaf conditions under an `all` node that cannot all hold together, by fact. */
function contradictions(node: Condition): string[] {
  const leaves = (node.all ?? []).filter((child): child is Leaf => child.fact !== undefined);
  const byFact = new Map<string, Leaf[]>();
  for (const leaf of leaves) byFact.set(leaf.fact, [...(byFact.get(leaf.fact) ?? []), leaf]);
  const found: string[] = [];
  for (const [fact, group] of byFact) {
    if (!candidates(fact, group).some((value) => group.every((leaf) => holds(leaf, value)))) {
      found.push(`${group.map((l) => `${l.fact} ${l.operator} ${JSON.stringify(l.value)}`).join(' and ')} can never all be true`);
    }
  }
  return found;
}

function walkAll(node: Condition, path: string, visit: (node: Condition, path: string) => void): void {
  if (node.all) {
    visit(node, path);
    node.all.forEach((child, i) => walkAll(child, `${path}/all/${i}`, visit));
  }
  node.any?.forEach((child, i) => walkAll(child, `${path}/any/${i}`, visit));
  if (node.not) walkAll(node.not, `${path}/not`, visit);
}

/** Thresholds that rules compare a numeric referral field with, so that the search tries both sides. */
function thresholds(rules: readonly Rule[]): Map<string, number[]> {
  const found = new Map<string, number[]>();
  const visit = (node: Condition) => {
    if (node.fact !== undefined && typeof node.value === 'number') found.set(node.fact, [...(found.get(node.fact) ?? []), node.value]);
    [...(node.all ?? []), ...(node.any ?? []), ...(node.not ? [node.not] : [])].forEach(visit);
  };
  rules.forEach((rule) => visit(rule.conditions));
  return found;
}

type BodySite = Referral['complaint']['bodySite'];
type AxialSpaFeature = NonNullable<NonNullable<Referral['inflammatory']>['axialSpaFeatures']>[number];

/** The contract's own values, read from the fact catalogue (built from the referral schema). */
const SITES = FACTS_BY_NAME.get('complaint.bodySite')?.schema.enum as readonly BodySite[];
const SPA = (FACTS_BY_NAME.get('inflammatory.axialSpaFeatures')?.schema.items as { enum: readonly AxialSpaFeature[] }).enum;

const SEPARATE_SPA: ReadonlySet<AxialSpaFeature> = new Set(['current-or-past-arthritis', 'enthesitis', 'psoriasis']);

/** Contract-valid referrals spread over the contract's domains, with numbers near the rules' thresholds. */
export function searchReferrals(rules: readonly Rule[], count: number, seed = 1): Referral[] {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const limits = thresholds(rules);
  const near = (fact: string, min: number, max: number) => {
    const points = (limits.get(fact) ?? []).flatMap((t) => [t - 1, t, t + 1]);
    const value = points.length > 0 && random() < 0.8 ? pick(points) : min + Math.floor(random() * (max - min + 1));
    return Math.max(min, Math.min(max, Math.round(value)));
  };
  const referrals: Referral[] = [];
  for (let i = 0; i < count; i++) {
    const bodySite = SITES[i % SITES.length] as BodySite;
    const flagRate = i % 3 === 0 ? 0 : 0.1;
    const age = near('age', 18, 100);
    const referral: Referral = {
      patient: { nhsNumber: '9434765919', dateOfBirth: `${2026 - age - 1}-01-01`, sex: pick(['female', 'male', 'other', 'unknown'] as const) },
      referrer: { odsCode: 'LINT01' },
      complaint: {
        bodySite,
        side: pick(['left', 'right', 'bilateral', 'not-applicable'] as const),
        durationWeeks: near('complaint.durationWeeks', 0, 600),
        onset: pick(['gradual', 'sudden', 'injury'] as const),
        painScore: near('complaint.painScore', 0, 10),
      },
      redFlags: Object.fromEntries(RED_FLAGS.map((flag) => [flag, random() < flagRate])) as Referral['redFlags'],
      findings: { cannotAbductArm: random() < 0.2, lockedKnee: random() < 0.2, thenarWasting: random() < 0.2, constantNumbness: random() < 0.2, unableToWeightBear: random() < 0.2 },
      inflammatory: {
        swollenJointCount: near('inflammatory.swollenJointCount', 0, 10),
        smallJointsHandsFeet: random() < 0.3,
        morningStiffnessMinutes: near('inflammatory.morningStiffnessMinutes', 0, 180),
        // 1.1: the deprecated combined item never beside the three that replace it
        axialSpaFeatures: ((features) => (features.some((f) => SEPARATE_SPA.has(f)) ? features.filter((f) => f !== 'arthritis-enthesitis-or-psoriasis') : features))(SPA.filter(() => random() < 0.4)),
      },
      history: {
        nonSurgicalCareWeeks: near('history.nonSurgicalCareWeeks', 0, 60),
        previousInjection: random() < 0.3,
        impactOnLife: pick(['none', 'mild', 'moderate', 'substantial'] as const),
        wantsSurgicalOpinion: random() < 0.5,
      },
    };
    if (bodySite === 'lumbar-spine' || random() < 0.3) {
      referral.startBack = {
        legPain: random() < 0.5, shoulderOrNeckPain: random() < 0.5, walkedShortDistancesOnly: random() < 0.5, dressedMoreSlowly: random() < 0.5,
        notSafeToBeActive: random() < 0.5, worryingThoughts: random() < 0.5, painTerribleNeverBetter: random() < 0.5, notEnjoyedThings: random() < 0.5,
        bothersomeness: pick(['not-at-all', 'slightly', 'moderately', 'very-much', 'extremely'] as const),
      };
    }
    referrals.push(referral);
  }
  return referrals;
}


export interface LintInput {
  file: string;
  ruleSet: RuleSet;
  compiled: CompiledRuleSet;
  caseResults: readonly CaseResult[];
  /** referrals to search for gaps and shadowing (default 4,000 generated) */
  searchSize?: number;
  evaluationDate?: string;
}

/** The findings that need the rule set compiled: contradictions, duplicates, shadowing, gaps, evidence, coverage. */
export function lintRuleSet(input: LintInput): Finding[] {
  const { file, ruleSet, compiled } = input;
  const findings: Finding[] = [];
  const add = (severity: Finding['severity'], message: string, ruleId?: string, path?: string, example?: Referral) =>
    findings.push({ severity, file, message, ...(ruleId ? { ruleId } : {}), ...(path ? { path } : {}), ...(example ? { example } : {}) });

  for (const rule of ruleSet.rules) {
    walkAll(rule.conditions, '/conditions', (node, path) => {
      for (const message of contradictions(node)) {
        add(path === '/conditions' ? 'error' : 'warning', `${path === '/conditions' ? 'the rule can never fire' : 'this part can never hold'}: ${message}`, rule.id, path);
      }
    });
    if (rule.evidence.length === 0) add('warning', 'has no evidence: cite the guideline or local policy it comes from', rule.id);
  }

  const seen = new Map<string, Rule>();
  for (const rule of ruleSet.rules) {
    const key = canonicalJson(rule.conditions);
    const twin = seen.get(key);
    if (twin) {
      const sameUrgency = twin.route.urgency === rule.route.urgency;
      const differentRoute = routeText(twin.route) !== routeText(rule.route);
      add(sameUrgency && differentRoute ? 'error' : 'warning', `has exactly the same conditions as ${twin.id}${differentRoute ? ` but another route (${routeText(rule.route)} against ${routeText(twin.route)})` : ''}`, rule.id);
    } else seen.set(key, rule);
  }

  const date = input.evaluationDate ?? '2026-11-01';
  const fired = new Map(ruleSet.rules.map((rule) => [rule.id, new Set<number>()]));
  let gapExample: Referral | undefined;
  let gaps = 0;
  const sample = searchReferrals(ruleSet.rules, input.searchSize ?? 4000);
  for (const [index, referral] of sample.entries()) {
    const decision = compiled.evaluateCompiled(referral, date);
    if (decision.outcome === 'default') {
      gaps += 1;
      gapExample ??= referral;
    }
    for (const rule of decision.firedRules) fired.get(rule.id)?.add(index);
  }
  if (gapExample) add('warning', `${gaps} of ${sample.length} searched referrals fire no rule and fall to the default route; for example, the referral shown`, undefined, undefined, gapExample);

  const MIN_FIRINGS = 20; // below this, the search says too little to call a rule shadowed
  for (const a of ruleSet.rules) {
    const firesA = fired.get(a.id) as Set<number>;
    if (firesA.size < MIN_FIRINGS) continue;
    for (const b of ruleSet.rules) {
      if (a === b || a.route.urgency !== b.route.urgency || routeText(a.route) === routeText(b.route)) continue;
      const firesB = fired.get(b.id) as Set<number>;
      if ([...firesA].every((i) => firesB.has(i))) {
        add('warning', `fired only together with ${b.id} (another route at the same urgency, ${routeText(b.route)}) in all ${firesA.size} searched referrals where it fired: it may be fully shadowed, and every such referral needs review`, a.id);
      }
    }
  }

  const reached = new Set(input.caseResults.flatMap((r) => (r.decision ? [routeText(r.decision)] : [])));
  for (const route of new Set(ruleSet.rules.map((r) => routeText(r.route)))) if (!reached.has(route)) add('warning', `no bundled case reaches the route ${route}`);
  if (!reached.has(routeText(ruleSet.defaultRoute)) && gapExample) add('warning', `no bundled case reaches the default route ${routeText(ruleSet.defaultRoute)}, and the search found referrals that do`);
  return findings;
}
