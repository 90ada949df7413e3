/**
 * Synthetic referrals for load tests and property tests: contract-valid, deterministic for a seed,
 * and never real patient data. NHS numbers come from the 999 range that NHS England sets aside for
 * testing, with a valid Modulus 11 check digit; names and notes are plainly synthetic.
 *
 * The distributions are rough but plausible for an MSK service, so that a benchmark exercises the
 * rules as real traffic would: most referrals carry no red flag and take the routine rules, a few
 * take the red-flag rules, and every body site, side and onset appears.
 */
import { isValidNhsNumber, nhsNumberFrom } from '../domain/nhs-number.js';
import type { Referral } from '../generated/referral.js';
import { RED_FLAGS } from './red-flags.js';
import { schemaDocument } from './schema-registry.js';

type Random = () => number;
type Complaint = Referral['complaint'];
type BodySite = Complaint['bodySite'];
type Side = Complaint['side'];
type RedFlags = Referral['redFlags'];
type Findings = NonNullable<Referral['findings']>;
type Inflammatory = NonNullable<Referral['inflammatory']>;
type AxialSpaFeature = NonNullable<Inflammatory['axialSpaFeatures']>[number];

/** Ages are counted back from this date, so that a seed gives the same referrals on any day. */
export const SYNTHETIC_REFERENCE_DATE = '2026-11-01';
const MIN_AGE_YEARS = 18;
const MAX_AGE_YEARS = 95;
const DAY_MS = 86_400_000;

/** Each red flag is answered true this often: about one referral in four carries at least one. */
const RED_FLAG_RATE = 0.02;

/** mulberry32: a tiny, fast 32-bit PRNG; ample for test data, and no dependency. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const integer = (random: Random, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
const chance = (random: Random, p: number): boolean => random() < p;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** Picks by weight: `[[value, weight], ...]`. */
function weighted<T>(random: Random, choices: readonly (readonly [T, number])[]): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let point = random() * total;
  for (const [value, weight] of choices) {
    point -= weight;
    if (point < 0) return value;
  }
  return (choices[choices.length - 1] as readonly [T, number])[0];
}

/** A 999-range test NHS number; a draw that gives no valid number (a check digit of 10, or 9999999999) is drawn again. */
export function syntheticNhsNumber(random: Random): string {
  for (;;) {
    const nhsNumber = nhsNumberFrom(`999${String(integer(random, 0, 999_999)).padStart(6, '0')}`);
    if (nhsNumber !== undefined && isValidNhsNumber(nhsNumber)) return nhsNumber;
  }
}

function dateOfBirth(random: Random): string {
  const reference = Date.parse(`${SYNTHETIC_REFERENCE_DATE}T00:00:00Z`);
  const days = integer(random, Math.ceil(MIN_AGE_YEARS * 365.25), Math.floor(MAX_AGE_YEARS * 365.25));
  // Whole days back from a UTC midnight always land on a real calendar date.
  return new Date(reference - days * DAY_MS).toISOString().slice(0, 10);
}

const BODY_SITES: readonly (readonly [BodySite, number])[] = [
  ['lumbar-spine', 30],
  ['knee', 16],
  ['shoulder', 14],
  ['cervical-spine', 8],
  ['hip', 8],
  ['wrist-hand', 6],
  ['ankle-foot', 6],
  ['multiple-joints', 5],
  ['elbow', 4],
  ['thoracic-spine', 3],
];

const SPINAL: ReadonlySet<BodySite> = new Set(['lumbar-spine', 'thoracic-spine', 'cervical-spine']);

function side(random: Random, site: BodySite): Side {
  if (SPINAL.has(site)) return weighted(random, [['not-applicable', 8], ['left', 1], ['right', 1], ['bilateral', 1]]);
  if (site === 'multiple-joints') return weighted(random, [['bilateral', 3], ['not-applicable', 2]]);
  return weighted(random, [['left', 10], ['right', 10], ['bilateral', 3], ['not-applicable', 1]]);
}

function complaint(random: Random, bodySite: BodySite): Complaint {
  return {
    bodySite,
    side: side(random, bodySite),
    // Skewed towards short episodes, with a long tail of chronic problems up to ten years.
    durationWeeks: Math.floor(random() ** 2.5 * 520),
    onset: weighted(random, [['gradual', 6], ['sudden', 2], ['injury', 2]]),
    painScore: Math.min(10, Math.max(0, Math.round(5.5 + (random() + random() + random() - 1.5) * 3))),
  };
}

function redFlags(random: Random): RedFlags {
  const answers = Object.fromEntries(RED_FLAGS.map((item) => [item, chance(random, RED_FLAG_RATE)]));
  return answers as RedFlags;
}

/** Which finding is likely at which site; any finding may still turn up anywhere, rarely. */
const FINDING_SITES: Readonly<Record<keyof Findings, readonly BodySite[]>> = {
  cannotAbductArm: ['shoulder'],
  lockedKnee: ['knee'],
  thenarWasting: ['wrist-hand'],
  constantNumbness: ['wrist-hand'],
  unableToWeightBear: ['knee', 'hip', 'ankle-foot'],
  suspectedAchillesRupture: ['ankle-foot'],
  recentReducedDislocation: ['shoulder'],
};

function findings(random: Random, site: BodySite): Findings | undefined {
  if (!chance(random, 0.35)) return undefined;
  const result: Findings = {};
  for (const [item, sites] of Object.entries(FINDING_SITES) as [keyof Findings, readonly BodySite[]][]) {
    // Absent items mean false, so a GP system may send only some of them: leave some out.
    if (chance(random, 0.5)) result[item] = chance(random, sites.includes(site) ? 0.15 : 0.01);
  }
  return result;
}

/** The NG65 features, as the contract lists them. */
const AXIAL_SPA_FEATURES = (
  schemaDocument('referral.schema.json') as { properties: { inflammatory: { properties: { axialSpaFeatures: { items: { enum: AxialSpaFeature[] } } } } } }
).properties.inflammatory.properties.axialSpaFeatures.items.enum;

const DEPRECATED_AXIAL_SPA_ITEM: AxialSpaFeature = 'arthritis-enthesitis-or-psoriasis';
const SEPARATE_AXIAL_SPA_ITEMS: ReadonlySet<AxialSpaFeature> = new Set(['current-or-past-arthritis', 'enthesitis', 'psoriasis']);

function inflammatory(random: Random, site: BodySite): Inflammatory | undefined {
  if (!chance(random, site === 'multiple-joints' ? 0.7 : 0.15)) return undefined;
  const result: Inflammatory = {};
  if (chance(random, 0.7)) result.swollenJointCount = chance(random, 0.6) ? 0 : Math.floor(random() ** 2 * 20);
  if (chance(random, 0.6)) result.smallJointsHandsFeet = chance(random, site === 'multiple-joints' ? 0.4 : 0.05);
  if (chance(random, 0.6)) result.morningStiffnessMinutes = pick(random, [0, 5, 10, 15, 30, 45, 60, 90, 120, 180]);
  if (SPINAL.has(site) && chance(random, 0.5)) {
    // Unique by construction: each feature is kept or left out once; the deprecated combined item
    // only as a version 1 system would send it, never beside the three items that replace it.
    const features = AXIAL_SPA_FEATURES.filter(() => chance(random, 0.2));
    const separate = features.some((feature) => SEPARATE_AXIAL_SPA_ITEMS.has(feature));
    result.axialSpaFeatures = separate ? features.filter((feature) => feature !== DEPRECATED_AXIAL_SPA_ITEM) : features;
    if (chance(random, 0.3)) result.hlaB27 = pick(random, ['positive', 'negative', 'not-tested'] as const);
  }
  return result;
}

function startBack(random: Random): NonNullable<Referral['startBack']> {
  return {
    legPain: chance(random, 0.5),
    shoulderOrNeckPain: chance(random, 0.35),
    walkedShortDistancesOnly: chance(random, 0.45),
    dressedMoreSlowly: chance(random, 0.45),
    notSafeToBeActive: chance(random, 0.3),
    worryingThoughts: chance(random, 0.35),
    painTerribleNeverBetter: chance(random, 0.25),
    notEnjoyedThings: chance(random, 0.3),
    bothersomeness: weighted(random, [['not-at-all', 1], ['slightly', 3], ['moderately', 4], ['very-much', 2], ['extremely', 1]]),
  };
}

/** STarT Back is required for lumbar pain and sometimes sent for other sites. */
function startBackRate(site: BodySite): number {
  if (site === 'lumbar-spine') return 1;
  return SPINAL.has(site) ? 0.3 : 0.05;
}

function history(random: Random, durationWeeks: number): Referral['history'] {
  return {
    nonSurgicalCareWeeks: chance(random, 0.4) ? 0 : integer(random, 0, Math.min(durationWeeks, 52)),
    previousInjection: chance(random, 0.15),
    impactOnLife: weighted(random, [['none', 1], ['mild', 3], ['moderate', 4], ['substantial', 2]]),
    wantsSurgicalOpinion: chance(random, 0.1),
  };
}

/** GP practice ODS codes look like J82001: a region letter and five digits. */
const ODS_LETTERS = [...'ABCDEFGHJKLMNPY'];

/** One synthetic referral; the optional fields turn up now and then, as they do in real traffic. */
export function syntheticReferral(random: Random): Referral {
  const bodySite = weighted(random, BODY_SITES);
  const theComplaint = complaint(random, bodySite);
  const referral: Referral = {
    patient: {
      nhsNumber: syntheticNhsNumber(random),
      dateOfBirth: dateOfBirth(random),
      sex: weighted(random, [['female', 55], ['male', 43], ['other', 1], ['unknown', 1]]),
    },
    referrer: {
      odsCode: `${pick(random, ODS_LETTERS)}${String(integer(random, 0, 99_999)).padStart(5, '0')}`,
    },
    complaint: theComplaint,
    redFlags: redFlags(random),
    history: history(random, theComplaint.durationWeeks),
  };
  if (chance(random, 0.3)) referral.externalReference = `SYN-${integer(random, 0, 99_999_999).toString().padStart(8, '0')}`;
  if (chance(random, 0.2)) referral.referrer.clinicianName = `Dr Synthetic ${integer(random, 1, 999)}`;
  const theFindings = findings(random, bodySite);
  if (theFindings) referral.findings = theFindings;
  const theInflammatory = inflammatory(random, bodySite);
  if (theInflammatory) referral.inflammatory = theInflammatory;
  if (chance(random, startBackRate(bodySite))) referral.startBack = startBack(random);
  if (chance(random, 0.15)) referral.bmi = Math.round((18 + random() * 22) * 10) / 10;
  if (chance(random, 0.2)) referral.smoker = chance(random, 0.15);
  if (chance(random, 0.1)) referral.notes = 'Synthetic referral generated for testing; not patient data.';
  return referral;
}

/** `count` referrals from one seed: the same seed always gives the same referrals. */
export function syntheticReferrals(count: number, seed = 1): Referral[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => syntheticReferral(random));
}
