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

/** What a derived fact is computed from: the referral, and the age at the evaluation date (computed once). */
interface Derivation<K extends keyof DerivedFacts> {
  needsAge: boolean;
  derive: (referral: Referral, age: number) => DerivedFacts[K];
}

const byAge = <K extends keyof DerivedFacts>(derive: (referral: Referral, age: number) => DerivedFacts[K]): Derivation<K> => ({ needsAge: true, derive });
const byReferral = <K extends keyof DerivedFacts>(derive: (referral: Referral) => DerivedFacts[K]): Derivation<K> => ({ needsAge: false, derive });

/** Each derived fact, written once: deriveFacts computes them all, a FactVectorReader only those its rules read. */
export const DERIVATIONS: { readonly [K in keyof DerivedFacts]-?: Derivation<K> } = {
  age: byAge((_referral, age) => age),
  ageAtOnset: byAge((referral, age) => age - referral.complaint.durationWeeks / 52),
  spinal: byReferral((referral) => SPINAL_SITES.has(referral.complaint.bodySite)),
  // Without STarT Back the two scores are absent, and the risk is not assessed.
  startBackTotal: byReferral((referral) => (referral.startBack ? scoreStartBack(referral.startBack).total : undefined)),
  startBackPsychosocial: byReferral((referral) => (referral.startBack ? scoreStartBack(referral.startBack).psychosocial : undefined)),
  startBackRisk: byReferral((referral) => (referral.startBack ? scoreStartBack(referral.startBack).risk : 'not-assessed')),
  axialSpaFeatureCount: byReferral((referral) => referral.inflammatory?.axialSpaFeatures?.length ?? 0),
  redFlagCount: byReferral((referral) => {
    let count = 0;
    for (const flag of RED_FLAGS) if (referral.redFlags[flag] === true) count += 1;
    return count;
  }),
};

/** Whole years at the evaluation date, from the date of birth. */
export const ageOf = (referral: Referral, evaluationDate: IsoDate): number => wholeYearsBetween(referral.patient.dateOfBirth, evaluationDate);

export function deriveFacts(referral: Referral, evaluationDate: IsoDate): DerivedFacts {
  const age = ageOf(referral, evaluationDate);
  const of = <K extends keyof DerivedFacts>(name: K): DerivedFacts[K] => (DERIVATIONS[name] as Derivation<K>).derive(referral, age);
  const [ageAtOnset, spinal, startBackRisk, axialSpaFeatureCount, redFlagCount] = [of('ageAtOnset'), of('spinal'), of('startBackRisk'), of('axialSpaFeatureCount'), of('redFlagCount')];
  // Without STarT Back the two scores have no key at all.
  if (!referral.startBack) return { age, ageAtOnset, spinal, startBackRisk, axialSpaFeatureCount, redFlagCount };
  return { age, ageAtOnset, spinal, startBackTotal: of('startBackTotal'), startBackPsychosocial: of('startBackPsychosocial'), startBackRisk, axialSpaFeatureCount, redFlagCount };
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
