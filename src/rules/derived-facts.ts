/**
 * The facts the service computes from a referral before the rules run, as referral-contract.md
 * defines them, and the flat fact map the engine sees: every catalogue fact by its dotted name.
 */
import type { Referral } from '../generated/referral.js';
import type { FactValue } from '../generated/decision.js';
import { wholeYearsBetween, type IsoDate } from '../domain/calendar.js';
import { RED_FLAGS } from '../schemas/red-flags.js';
import { FACTS, type FactDefinition } from './fact-catalogue.js';

export type StartBack = NonNullable<Referral['startBack']>;
export type StartBackRisk = 'low' | 'medium' | 'high' | 'not-assessed';

const SPINAL_SITES = new Set(['lumbar-spine', 'thoracic-spine', 'cervical-spine']);

const PHYSICAL_ITEMS = ['legPain', 'shoulderOrNeckPain', 'walkedShortDistancesOnly', 'dressedMoreSlowly'] as const;
const PSYCHOSOCIAL_ITEMS = ['notSafeToBeActive', 'worryingThoughts', 'painTerribleNeverBetter', 'notEnjoyedThings'] as const;

export interface StartBackScore {
  total: number;
  psychosocial: number;
  risk: Exclude<StartBackRisk, 'not-assessed'>;
}

/** Keele STarT Back scoring: each agreement scores 1; bothersomeness scores 1 when very much or extremely. */
export function scoreStartBack(answers: StartBack): StartBackScore {
  // Counted in loops, not filtered into lists: this runs for every referral of a bulk evaluation.
  let psychosocial = answers.bothersomeness === 'very-much' || answers.bothersomeness === 'extremely' ? 1 : 0;
  for (const item of PSYCHOSOCIAL_ITEMS) if (answers[item]) psychosocial += 1;
  let total = psychosocial;
  for (const item of PHYSICAL_ITEMS) if (answers[item]) total += 1;
  const risk = total <= 3 ? 'low' : psychosocial >= 4 ? 'high' : 'medium';
  return { total, psychosocial, risk };
}

export interface DerivedFacts {
  age: number;
  ageAtOnset: number;
  spinal: boolean;
  startBackTotal?: number;
  startBackPsychosocial?: number;
  startBackRisk: StartBackRisk;
  axialSpaFeatureCount: number;
  redFlagCount: number;
}

export function deriveFacts(referral: Referral, evaluationDate: IsoDate): DerivedFacts {
  const age = wholeYearsBetween(referral.patient.dateOfBirth, evaluationDate);
  const ageAtOnset = age - referral.complaint.durationWeeks / 52;
  const spinal = SPINAL_SITES.has(referral.complaint.bodySite);
  const axialSpaFeatureCount = referral.inflammatory?.axialSpaFeatures?.length ?? 0;
  let redFlagCount = 0;
  for (const flag of RED_FLAGS) if (referral.redFlags[flag] === true) redFlagCount += 1;
  // Without STarT Back the two scores are absent (no key at all), and the risk is not assessed.
  if (!referral.startBack) return { age, ageAtOnset, spinal, startBackRisk: 'not-assessed', axialSpaFeatureCount, redFlagCount };
  const score = scoreStartBack(referral.startBack);
  return { age, ageAtOnset, spinal, startBackTotal: score.total, startBackPsychosocial: score.psychosocial, startBackRisk: score.risk, axialSpaFeatureCount, redFlagCount };
}

export type FactMap = Record<string, FactValue | undefined>;

type Reader = (source: unknown) => unknown;

const own = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;

/** A reader of one dotted path, made once: own properties only, undefined where anything is missing. */
function readerOf(path: readonly string[]): Reader {
  const [first, second, ...rest] = path as [string, string | undefined, ...string[]];
  if (second === undefined) return (source) => own(source, first);
  if (rest.length === 0) return (source) => own(own(source, first), second);
  return (source) => path.reduce<unknown>((value, key) => own(value, key), source);
}

const REFERRAL_FACTS: ReadonlyArray<{ name: string; read: Reader; whenAbsent: FactValue | undefined }> = FACTS.filter(
  (fact: FactDefinition) => fact.source === 'referral',
).map((fact) => ({ name: fact.name, read: readerOf(fact.name.split('.')), whenAbsent: fact.whenAbsent }));

/**
 * Every catalogue fact by name, with the contract's defaults for absent optional items. Facts are
 * read with plain property look-ups on own properties: no JSONPath is ever evaluated.
 */
export function factMap(referral: Referral, evaluationDate: IsoDate): FactMap {
  const facts: FactMap = Object.create(null) as FactMap;
  for (const { name, read, whenAbsent } of REFERRAL_FACTS) {
    const value = read(referral) as FactValue | undefined;
    facts[name] = value === undefined ? whenAbsent : value;
  }
  Object.assign(facts, deriveFacts(referral, evaluationDate));
  // The keys must exist even when the scores are absent: the engine (allowUndefinedFacts: false)
  // throws on a fact it has never heard of, but a known fact whose value is undefined is just absent.
  facts.startBackTotal ??= undefined;
  facts.startBackPsychosocial ??= undefined;
  return facts;
}
