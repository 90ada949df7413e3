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
  const bothersome = answers.bothersomeness === 'very-much' || answers.bothersomeness === 'extremely' ? 1 : 0;
  const psychosocial = PSYCHOSOCIAL_ITEMS.filter((item) => answers[item]).length + bothersome;
  const total = PHYSICAL_ITEMS.filter((item) => answers[item]).length + psychosocial;
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
  const score = referral.startBack ? scoreStartBack(referral.startBack) : undefined;
  return {
    age,
    ageAtOnset: age - referral.complaint.durationWeeks / 52,
    spinal: SPINAL_SITES.has(referral.complaint.bodySite),
    ...(score ? { startBackTotal: score.total, startBackPsychosocial: score.psychosocial } : {}),
    startBackRisk: score?.risk ?? 'not-assessed',
    axialSpaFeatureCount: referral.inflammatory?.axialSpaFeatures?.length ?? 0,
    redFlagCount: RED_FLAGS.filter((flag) => referral.redFlags[flag] === true).length,
  };
}

export type FactMap = Record<string, FactValue | undefined>;

function readPath(source: unknown, path: readonly string[]): unknown {
  let value = source;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const REFERRAL_FACTS: ReadonlyArray<readonly [FactDefinition, readonly string[]]> = FACTS.filter(
  (fact) => fact.source === 'referral',
).map((fact) => [fact, fact.name.split('.')] as const);

/**
 * Every catalogue fact by name, with the contract's defaults for absent optional items. Facts are
 * read with plain property look-ups on own properties: no JSONPath is ever evaluated.
 */
export function factMap(referral: Referral, evaluationDate: IsoDate): FactMap {
  const facts: FactMap = Object.create(null) as FactMap;
  for (const [fact, path] of REFERRAL_FACTS) {
    const value = readPath(referral, path) as FactValue | undefined;
    facts[fact.name] = value === undefined ? fact.whenAbsent : value;
  }
  Object.assign(facts, deriveFacts(referral, evaluationDate));
  // The keys must exist even when the scores are absent: the engine (allowUndefinedFacts: false)
  // throws on a fact it has never heard of, but a known fact whose value is undefined is just absent.
  facts.startBackTotal ??= undefined;
  facts.startBackPsychosocial ??= undefined;
  return facts;
}
