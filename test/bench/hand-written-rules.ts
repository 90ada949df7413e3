/**
 * A baseline for the benchmarks: the 51 rules of rules/msk-triage/2.0.0/ruleset.json written out by
 * hand as plain TypeScript, with the semantics of src/rules/operators.ts: a condition on an absent
 * (undefined or null) fact is false, a numeric comparison is false unless the fact is a finite
 * number, and `not` negates its child (so `not` of a condition on an absent fact is true).
 *
 * How the semantics are kept with direct comparisons:
 * - `equal` to a literal is `===` (false for undefined and null); `not(equal)` is `!==`.
 * - numeric facts are read through `num`, which gives NaN for anything but a finite number, and
 *   every comparison with NaN is false, as the operators are; `!(x >= 60)` is then true, as `not` is.
 * - `in` is `isIn`: a present fact that the list includes.
 *
 * It is a copy: checkHandWritten holds it to the compiled rule set, referral by referral.
 */
import { readFileSync } from 'node:fs';
import type { Referral } from '../../src/generated/referral.js';
import type { RuleSet } from '../../src/generated/ruleset.js';
import type { IsoDate } from '../../src/domain/calendar.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { factMap, type FactMap } from '../../src/rules/derived-facts.js';

const RULE_SET_FILE = new URL('../../rules/msk-triage/2.0.0/ruleset.json', import.meta.url);

/** a finite number, or NaN (every comparison with which is false) */
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);
/** json-rules-engine `in`: false for an absent fact */
const isIn = (v: unknown, list: readonly unknown[]): boolean => v !== undefined && v !== null && list.includes(v);

const HIP_NECK = ['hip', 'cervical-spine'] as const;
const HIP_NECK_SPINE = ['hip', 'cervical-spine', 'thoracic-spine', 'lumbar-spine'] as const;
const THORACOLUMBAR = ['thoracic-spine', 'lumbar-spine'] as const;
const LUMBAR_THORACIC = ['lumbar-spine', 'thoracic-spine'] as const;
const KNEE_ANKLE = ['knee', 'ankle-foot'] as const;
const INJURY_SUDDEN = ['injury', 'sudden'] as const;
const SHOULDER_HIP = ['shoulder', 'hip'] as const;
const HIP_KNEE = ['hip', 'knee'] as const;
const OTHER_SITES = ['cervical-spine', 'thoracic-spine', 'shoulder', 'elbow', 'wrist-hand', 'ankle-foot', 'multiple-joints'] as const;

/** The ids of the rules whose conditions hold, in the rule file's order. */
export function handWrittenFiredRules(f: FactMap): string[] {
  const fired: string[] = [];

  // facts read more than once
  const spinal = f.spinal === true;
  const age = num(f.age);
  const site = f['complaint.bodySite'];
  const injury = f['complaint.onset'] === 'injury';
  const durationWeeks = num(f['complaint.durationWeeks']);
  const careWeeks = num(f['history.nonSurgicalCareWeeks']);
  const swollenJoints = num(f['inflammatory.swollenJointCount']);
  const ageAtOnset = num(f.ageAtOnset);
  const axialSpaFeatures = num(f.axialSpaFeatureCount);
  const cancer = f['redFlags.historyOfCancer'] === true;
  const progressiveDeficit = f['redFlags.progressiveNeurologicalDeficit'] === true;
  const bilateralLegs = f['redFlags.bilateralLegSymptoms'] === true;
  const bladderBowel = f['redFlags.bladderOrBowelDysfunction'] === true;
  const saddle = f['redFlags.saddleAnaesthesia'] === true;
  const fever = f['redFlags.feverOrSystemicallyUnwell'] === true;
  const fracture = f['redFlags.suspectedFracture'] === true;
  const mass = f['redFlags.unexplainedMass'] === true;
  const gca = f['redFlags.giantCellArteritisSymptoms'] === true;
  const weightLoss = f['redFlags.unexplainedWeightLoss'] === true;
  const nightPain = f['redFlags.nightPain'] === true;
  const thenarWasting = f['findings.thenarWasting'] === true;
  const smallJoints = f['inflammatory.smallJointsHandsFeet'] === true;
  const substantial = f['history.impactOnLife'] === 'substantial';
  const wantsSurgery = f['history.wantsSurgicalOpinion'] === true;
  const msccNeurology = progressiveDeficit || bilateralLegs || f['startBack.legPain'] === true || bladderBowel || saddle;
  const olderSpinalFourWeeks = age >= 60 && spinal && durationWeeks >= 4;
  const adultLumbar = age >= 16 && site === 'lumbar-spine';
  const axialSpa = age >= 16 && isIn(site, LUMBAR_THORACIC) && durationWeeks >= 12 && ageAtOnset < 45;
  const oaCandidate = age >= 45 && isIn(site, HIP_KNEE) && !injury;

  // MSK-E02 metastatic spinal cord compression: spinal, cancer, and MSCC neurology
  if (spinal && cancer && msccNeurology) fired.push('MSK-E02');
  // MSK-E01 cauda equina: saddle, bladder/bowel or sexual dysfunction, or spinal with bilateral legs
  if (saddle || bladderBowel || f['redFlags.sexualDysfunction'] === true || (spinal && bilateralLegs)) fired.push('MSK-E01');
  // MSK-E03 spinal infection: spinal with fever
  if (spinal && fever) fired.push('MSK-E03');
  // MSK-E04 hot swollen joint
  if (f['redFlags.hotSwollenJoint'] === true) fired.push('MSK-E04');
  // MSK-E05 unreduced dislocation
  if (f['redFlags.unreducedDislocation'] === true) fired.push('MSK-E05');
  // MSK-E06 giant cell arteritis: GCA symptoms, age 50+
  if (gca && age >= 50) fired.push('MSK-E06');
  // MSK-E07 hip or neck fracture, or hip injury unable to weight-bear
  if ((fracture && isIn(site, HIP_NECK)) || (site === 'hip' && injury && f['findings.unableToWeightBear'] === true)) fired.push('MSK-E07');
  // MSK-V01 spinal infection risk (IVDU or immunosuppressed) without fever
  if (spinal && (f['redFlags.intravenousDrugUse'] === true || f['redFlags.immunosuppressed'] === true) && !fever) fired.push('MSK-V01');
  // MSK-V02 spinal progressive neurological deficit, no cancer
  if (spinal && progressiveDeficit && !cancer) fired.push('MSK-V02');
  // MSK-U01 spinal with cancer, no MSCC neurology
  if (spinal && cancer && !msccNeurology) fired.push('MSK-U01');
  // MSK-U02 suspected fracture after injury, not hip or neck
  if (fracture && injury && !isIn(site, HIP_NECK)) fired.push('MSK-U02');
  // MSK-U06 knee or ankle/foot injury, unable to weight-bear
  if (isIn(site, KNEE_ANKLE) && injury && f['findings.unableToWeightBear'] === true) fired.push('MSK-U06');
  // MSK-V04 suspected Achilles rupture
  if (f['findings.suspectedAchillesRupture'] === true) fired.push('MSK-V04');
  // MSK-V05 knee injury with a swollen joint
  if (site === 'knee' && injury && swollenJoints >= 1) fired.push('MSK-V05');
  // MSK-V03 unexplained mass, age 0-24
  if (mass && age <= 24) fired.push('MSK-V03');
  // MSK-P01 child under 16
  if (age < 16) fired.push('MSK-P01');
  // MSK-U08 age 60+: spinal 4+ weeks with weight loss or night pain, or fracture without injury
  if (age >= 60 && ((spinal && durationWeeks >= 4 && (weightLoss || nightPain)) || (fracture && !injury))) fired.push('MSK-U08');
  // MSK-U03 inflammatory arthritis: swollen joint, no injury, and small joints, 2+ joints or 12+ weeks
  if (swollenJoints >= 1 && !injury && (smallJoints || swollenJoints >= 2 || durationWeeks >= 12)) fired.push('MSK-U03');
  // MSK-U04 rotator cuff tear: shoulder, injury or sudden onset, cannot abduct
  if (site === 'shoulder' && isIn(f['complaint.onset'], INJURY_SUDDEN) && f['findings.cannotAbductArm'] === true) fired.push('MSK-U04');
  // MSK-U09 recent reduced dislocation, over 40
  if (f['findings.recentReducedDislocation'] === true && age > 40) fired.push('MSK-U09');
  // MSK-U05 locked knee
  if (site === 'knee' && f['findings.lockedKnee'] === true) fired.push('MSK-U05');
  // MSK-U07 unexplained mass, age 25+
  if (mass && age >= 25) fired.push('MSK-U07');
  // MSK-U10 thenar wasting
  if (thenarWasting) fired.push('MSK-U10');
  // MSK-S01 constant numbness without thenar wasting
  if (f['findings.constantNumbness'] === true && !thenarWasting) fired.push('MSK-S01');
  // MSK-S02 fragility vertebral fracture: thoracic or lumbar, no injury
  if (fracture && isIn(site, THORACOLUMBAR) && !injury) fired.push('MSK-S02');
  // MSK-S03 polymyalgia: 50+, 2+ weeks, stiffness 45+ min, multiple joints or bilateral shoulder/hip
  if (age >= 50 && durationWeeks >= 2 && num(f['inflammatory.morningStiffnessMinutes']) >= 45 && (site === 'multiple-joints' || (isIn(site, SHOULDER_HIP) && f['complaint.side'] === 'bilateral'))) fired.push('MSK-S03');
  // MSK-N01 bilateral legs away from the spine
  if (bilateralLegs && !spinal) fired.push('MSK-N01');
  // MSK-N02 progressive deficit away from the spine
  if (progressiveDeficit && !spinal) fired.push('MSK-N02');
  // MSK-N03 cancer away from the spine
  if (cancer && !spinal) fired.push('MSK-N03');
  // MSK-N04 weight loss, not 60+ spinal 4+ weeks
  if (weightLoss && !olderSpinalFourWeeks) fired.push('MSK-N04');
  // MSK-N05 night pain, not 60+ spinal 4+ weeks
  if (nightPain && !olderSpinalFourWeeks) fired.push('MSK-N05');
  // MSK-N06 fever away from the spine
  if (fever && !spinal) fired.push('MSK-N06');
  // MSK-N07 immunosuppressed away from the spine
  if (f['redFlags.immunosuppressed'] === true && !spinal) fired.push('MSK-N07');
  // MSK-N08 IV drug use away from the spine
  if (f['redFlags.intravenousDrugUse'] === true && !spinal) fired.push('MSK-N08');
  // MSK-N09 fracture, not hip or spine, no injury, under 60
  if (fracture && !isIn(site, HIP_NECK_SPINE) && !injury && age < 60) fired.push('MSK-N09');
  // MSK-N10 GCA symptoms under 50
  if (gca && age < 50) fired.push('MSK-N10');
  // MSK-R01 synovitis: 16+, exactly 1 swollen joint, not small joints, under 12 weeks, no injury
  if (age >= 16 && f['inflammatory.swollenJointCount'] === 1 && !smallJoints && durationWeeks < 12 && !injury) fired.push('MSK-R01');
  // MSK-R02 axial SpA likely: 4+ features
  if (axialSpa && axialSpaFeatures >= 4) fired.push('MSK-R02');
  // MSK-R13 axial SpA possible: 3 features, HLA-B27 positive
  if (axialSpa && f.axialSpaFeatureCount === 3 && f['inflammatory.hlaB27'] === 'positive') fired.push('MSK-R13');
  // MSK-R03 axial SpA possible: 3 features, HLA-B27 not tested
  if (axialSpa && f.axialSpaFeatureCount === 3 && f['inflammatory.hlaB27'] === 'not-tested') fired.push('MSK-R03');
  // MSK-R04 low back pain, under 12 weeks of care, STarT Back low
  if (adultLumbar && careWeeks < 12 && f.startBackRisk === 'low') fired.push('MSK-R04');
  // MSK-R05 low back pain, under 12 weeks of care, STarT Back medium
  if (adultLumbar && careWeeks < 12 && f.startBackRisk === 'medium') fired.push('MSK-R05');
  // MSK-R06 low back pain, under 12 weeks of care, STarT Back high
  if (adultLumbar && careWeeks < 12 && f.startBackRisk === 'high') fired.push('MSK-R06');
  // MSK-R14 low back pain, 12+ weeks of care, substantial impact or wants surgery
  if (adultLumbar && careWeeks >= 12 && (substantial || wantsSurgery)) fired.push('MSK-R14');
  // MSK-R15 low back pain, 12+ weeks of care, otherwise
  if (adultLumbar && careWeeks >= 12 && !(substantial || wantsSurgery)) fired.push('MSK-R15');
  // MSK-R07 hip/knee OA, 45+, no injury, under 12 weeks of care
  if (oaCandidate && careWeeks < 12) fired.push('MSK-R07');
  // MSK-R08 hip/knee OA, 12+ weeks of care, substantial impact and wants surgery
  if (oaCandidate && careWeeks >= 12 && substantial && wantsSurgery) fired.push('MSK-R08');
  // MSK-R09 hip/knee OA, 12+ weeks of care, not (substantial and wants surgery)
  if (oaCandidate && careWeeks >= 12 && !(substantial && wantsSurgery)) fired.push('MSK-R09');
  // MSK-R12 hip/knee, 16+, and under 45 or after injury
  if (age >= 16 && isIn(site, HIP_KNEE) && (age < 45 || injury)) fired.push('MSK-R12');
  // MSK-R10 other sites, 16+, under 6 weeks of care
  if (age >= 16 && isIn(site, OTHER_SITES) && careWeeks < 6) fired.push('MSK-R10');
  // MSK-R11 other sites, 16+, 6+ weeks of care
  if (isIn(site, OTHER_SITES) && age >= 16 && careWeeks >= 6) fired.push('MSK-R11');

  return fired;
}

let compiled: CompiledRuleSet | undefined;

/** Throws if the hand-written rules and the compiled rule set fire different rules for any referral. */
export function checkHandWritten(referrals: readonly Referral[], date: IsoDate): void {
  compiled ??= new CompiledRuleSet(JSON.parse(readFileSync(RULE_SET_FILE, 'utf8')) as RuleSet);
  for (const [index, referral] of referrals.entries()) {
    const byHand = handWrittenFiredRules(factMap(referral, date));
    const byRuleSet = compiled.firedRules(referral, date).map((rule) => rule.id);
    if (byHand.length !== byRuleSet.length || byHand.some((id, i) => id !== byRuleSet[i])) {
      throw new Error(`hand-written rules disagree with ${compiled.id} ${compiled.version} at referral ${index}: hand-written [${byHand.join(', ')}], compiled [${byRuleSet.join(', ')}]`);
    }
  }
}
