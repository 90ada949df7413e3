/**
 * A valid referral (the contract's own example) that each test changes in one line, with a JSON
 * Merge Patch: `aReferral({ redFlags: { saddleAnaesthesia: true } })`; null removes a field.
 */
import type { Referral } from '../../src/generated/referral.js';
import { applyMergePatch } from '../../src/rules/merge-patch.js';
import { RED_FLAGS, REQUIRED_RED_FLAGS } from '../../src/schemas/red-flags.js';

export { RED_FLAGS, REQUIRED_RED_FLAGS };

export const CONTRACT_EXAMPLE: Referral = {
  externalReference: 'EMIS-2026-000123',
  patient: { nhsNumber: '9434765919', dateOfBirth: '1958-03-14', sex: 'female' },
  referrer: { odsCode: 'J82001', clinicianName: 'Dr A Example' },
  complaint: { bodySite: 'lumbar-spine', side: 'left', durationWeeks: 10, onset: 'gradual', painScore: 6 },
  redFlags: Object.fromEntries(REQUIRED_RED_FLAGS.map((flag) => [flag, false])) as Referral['redFlags'],
  startBack: {
    legPain: true,
    shoulderOrNeckPain: false,
    walkedShortDistancesOnly: true,
    dressedMoreSlowly: false,
    notSafeToBeActive: true,
    worryingThoughts: true,
    painTerribleNeverBetter: false,
    notEnjoyedThings: false,
    bothersomeness: 'moderately',
  },
  history: { nonSurgicalCareWeeks: 4, previousInjection: false, impactOnLife: 'moderate', wantsSurgicalOpinion: false },
  notes: 'Free text from the referring GP.',
};

export function aReferral(patch: Record<string, unknown> = {}): Referral {
  return applyMergePatch(CONTRACT_EXAMPLE, patch) as unknown as Referral;
}

/** A knee referral without STarT Back, for tests that are not about the lumbar spine. */
export const aKneeReferral = (patch: Record<string, unknown> = {}): Referral =>
  applyMergePatch(aReferral({ complaint: { bodySite: 'knee' }, startBack: null }), patch) as unknown as Referral;

/** Builds a valid NHS number from nine digits (Modulus 11), or undefined when none exists: the service's own. */
export { nhsNumberFrom } from '../../src/domain/nhs-number.js';
