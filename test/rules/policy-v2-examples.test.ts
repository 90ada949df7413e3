/**
 * Rule set msk-triage 2.0.0 on the worked examples of msk-policy-v2.md, and on the referrals that the
 * clinical review found 1.0.0 under-triaged. The expectations are the policy's own table, written
 * here independently of the bundled cases.json.
 */
import { expect } from 'chai';
import path from 'node:path';
import type { Decision } from '../../src/generated/decision.js';
import type { Referral } from '../../src/generated/referral.js';
import { applyMergePatch } from '../../src/rules/merge-patch.js';
import { formatProblem, loadVersion, type LoadProblem } from '../../src/rules/rule-set-loader.js';
import { validateDecision, validateReferral } from '../../src/schemas/schema-registry.js';
import { CONTRACT_EXAMPLE } from '../support/referral-factory.js';

const EVALUATION_DATE = '2026-12-01';

const problems: LoadProblem[] = [];
const loaded = await loadVersion(path.join('rules', 'msk-triage', '2.0.0'), problems);
if (!loaded) throw new Error(`msk-triage 2.0.0 does not load:\n${problems.map(formatProblem).join('\n')}`);
const ruleSet = loaded.compiled;

type Patch = Record<string, unknown>;

/** Whole years at the evaluation date: a mid-June birthday has passed by 1 December. */
const aged = (years: number): Patch => ({ patient: { dateOfBirth: `${2026 - years}-06-15` } });

/** The contract's example at 40: lumbar pain for 10 weeks, gradual, 4 weeks of care, STarT Back total 4 / subscale 2 (medium), no red flags. */
const BASE = applyMergePatch(CONTRACT_EXAMPLE, { ...aged(40), externalReference: null, notes: null, referrer: { clinicianName: null } });

/** The base referral with each patch applied in turn (JSON Merge Patch); it must meet the contract. */
function aReferral(...patches: Patch[]): Referral {
  const referral = patches.reduce<unknown>((current, patch) => applyMergePatch(current, patch), BASE);
  if (!validateReferral(referral)) throw new Error(`the test built an invalid referral: ${JSON.stringify(validateReferral.errors)}`);
  return referral;
}

/** A referral at another body site, without STarT Back (which only the lumbar spine requires). */
const at = (bodySite: string, ...patches: Patch[]): Referral => aReferral({ complaint: { bodySite }, startBack: null }, ...patches);

const STARTBACK_LOW_WITH_LEG_PAIN = { startBack: { walkedShortDistancesOnly: false } };
const STARTBACK_LOW_WITHOUT_LEG_PAIN = { startBack: { legPain: false } };

async function evaluate(referral: Referral): Promise<Decision> {
  const decision = await ruleSet.evaluate(referral, EVALUATION_DATE);
  expect(validateDecision(decision), JSON.stringify(validateDecision.errors)).to.equal(true);
  return decision;
}

const fired = (d: Decision) => d.firedRules.map((rule) => rule.id);
const route = (d: Decision) => ({ pathway: d.pathway, urgency: d.urgency, service: d.service, reviewRequired: d.reviewRequired });

function expectDecision(d: Decision, rules: string[], expected: ReturnType<typeof route>): void {
  expect(fired(d)).to.have.members(rules.map((id) => `MSK-${id}`));
  expect(fired(d)).to.have.length(rules.length);
  expect(route(d)).to.deep.equal(expected);
  expect(d.outcome).to.equal('rule');
}

describe('msk-triage 2.0.0', () => {
  it('is the active version of msk-policy-v2, declaring the red-flag safety net and decision procedure 2', () => {
    expect(ruleSet.version).to.equal('2.0.0');
    expect(ruleSet.document.status).to.equal('active');
    expect(ruleSet.document.invariants).to.deep.equal(['red-flag-safety-net']);
    expect(ruleSet.document.decisionProcedure).to.equal('2');
    expect(ruleSet.document.rules).to.have.length(51);
  });
});

describe('msk-triage 2.0.0 on the worked examples of msk-policy-v2', () => {
  it('routes worked example 1, lumbar pain with STarT total 5 and subscale 4 after 4 weeks of physio, to psychologically informed physiotherapy', async () => {
    const d = await evaluate(aReferral({ startBack: { walkedShortDistancesOnly: false, painTerribleNeverBetter: true, notEnjoyedThings: true } }));
    expectDecision(d, ['R06'], { pathway: 'physio', urgency: 'routine', service: 'physiotherapy-psychologically-informed', reviewRequired: false });
  });

  it('routes worked example 2, lumbar pain with known cancer and STarT leg pain, to the MSCC coordinator the same day', async () => {
    const d = await evaluate(aReferral({ redFlags: { historyOfCancer: true } }, STARTBACK_LOW_WITH_LEG_PAIN));
    expectDecision(d, ['E02', 'R04'], { pathway: 'secondary', urgency: 'emergency', service: 'acute-oncology-mscc', reviewRequired: false });
  });

  it('routes worked example 3, thoracic pain with known cancer, no neurology and no STarT Back, to spinal oncology within 48 hours', async () => {
    const d = await evaluate(at('thoracic-spine', { redFlags: { historyOfCancer: true } }));
    expectDecision(d, ['U01', 'R10'], { pathway: 'secondary', urgency: 'very-urgent', service: 'spinal-oncology', reviewRequired: false });
  });

  it('routes worked example 4, a fall at 84 onto a hip that cannot bear weight, to the emergency department despite 16 weeks of OA care', async () => {
    const d = await evaluate(
      at('hip', aged(84), { complaint: { onset: 'injury' }, findings: { unableToWeightBear: true } }, {
        history: { nonSurgicalCareWeeks: 16, impactOnLife: 'substantial', wantsSurgicalOpinion: true },
      }),
    );
    expectDecision(d, ['E07', 'R12'], { pathway: 'secondary', urgency: 'emergency', service: 'emergency-department', reviewRequired: false });
  });

  it('routes worked example 5, a suspected lumbar fracture of sudden onset without injury at 55, to a bone health assessment with review', async () => {
    const d = await evaluate(aReferral(aged(55), { complaint: { onset: 'sudden' }, redFlags: { suspectedFracture: true } }, STARTBACK_LOW_WITHOUT_LEG_PAIN));
    expectDecision(d, ['S02', 'R04'], { pathway: 'gp', urgency: 'soon', service: 'bone-health-assessment', reviewRequired: true });
  });

  it('routes worked example 5 at 72 to urgent investigation for myeloma, without review', async () => {
    const d = await evaluate(aReferral(aged(72), { complaint: { onset: 'sudden' }, redFlags: { suspectedFracture: true } }, STARTBACK_LOW_WITHOUT_LEG_PAIN));
    expectDecision(d, ['U08', 'S02', 'R04'], { pathway: 'gp', urgency: 'urgent', service: 'urgent-investigation', reviewRequired: false });
  });

  it('routes worked example 6, a hot swollen wrist with GCA symptoms at 72, to emergency orthopaedics with review', async () => {
    const d = await evaluate(at('wrist-hand', aged(72), { redFlags: { hotSwollenJoint: true, giantCellArteritisSymptoms: true } }));
    expectDecision(d, ['E04', 'E06', 'R10'], { pathway: 'secondary', urgency: 'emergency', service: 'emergency-orthopaedics', reviewRequired: true });
  });

  it('routes worked example 7, a growing lump on the knee at 17, to a very urgent direct-access ultrasound', async () => {
    const d = await evaluate(at('knee', aged(17), { redFlags: { unexplainedMass: true } }));
    expectDecision(d, ['V03', 'R12'], { pathway: 'gp', urgency: 'very-urgent', service: 'very-urgent-direct-access-ultrasound', reviewRequired: false });
  });

  it('routes worked example 8, a child of 12 with knee pain for 6 weeks, to paediatric MSK with review', async () => {
    const d = await evaluate(at('knee', aged(12), { complaint: { durationWeeks: 6 } }));
    expectDecision(d, ['P01'], { pathway: 'secondary', urgency: 'urgent', service: 'paediatric-msk', reviewRequired: true });
  });

  it('routes worked example 9, elbow pain with fever at 40 and no hot joint, to a triage clinician within 48 hours', async () => {
    const d = await evaluate(at('elbow', { redFlags: { feverOrSystemicallyUnwell: true } }));
    expectDecision(d, ['N06', 'R10'], { pathway: 'community', urgency: 'very-urgent', service: 'msk-triage-clinician', reviewRequired: true });
  });

  it('routes worked example 10, many joints stiff for 120 minutes each morning for 4 weeks at 72, to the GP for a PMR assessment', async () => {
    const d = await evaluate(
      at('multiple-joints', aged(72), { complaint: { side: 'bilateral', durationWeeks: 4 }, inflammatory: { morningStiffnessMinutes: 120 } }),
    );
    expectDecision(d, ['S03', 'R10'], { pathway: 'gp', urgency: 'soon', service: 'gp-pmr-assessment', reviewRequired: false });
  });

  it('routes worked example 11, knee OA at 68 with BMI 38 and smoking, to arthroplasty exactly as it would without them', async () => {
    const oa = { history: { nonSurgicalCareWeeks: 16, impactOnLife: 'substantial', wantsSurgicalOpinion: true } };
    const heavy = await evaluate(at('knee', aged(68), oa, { bmi: 38, smoker: true }));
    const light = await evaluate(at('knee', aged(68), oa, { bmi: 22, smoker: false }));
    expectDecision(heavy, ['R08'], { pathway: 'secondary', urgency: 'routine', service: 'orthopaedics-arthroplasty', reviewRequired: false });
    expect({ ...heavy, explanation: [] }).to.deep.equal({ ...light, explanation: [] });
  });
});

describe('msk-triage 2.0.0 on the referrals that 1.0.0 under-triaged in the clinical review', () => {
  const urgentOrReviewed = (d: Decision) => ['emergency', 'very-urgent', 'urgent'].includes(d.urgency) || d.reviewRequired;

  it('sends lumbar pain with a progressive neurological deficit and low STarT Back to spinal assessment within 48 hours, not self-management', async () => {
    const d = await evaluate(aReferral({ redFlags: { progressiveNeurologicalDeficit: true } }, STARTBACK_LOW_WITH_LEG_PAIN));
    expectDecision(d, ['V02', 'R04'], { pathway: 'secondary', urgency: 'very-urgent', service: 'spinal-urgent-assessment', reviewRequired: false });
    expect(urgentOrReviewed(d)).to.equal(true);
  });

  it('sends lumbar pain with fever, without other infection risks, to emergency spinal care the same day', async () => {
    const d = await evaluate(aReferral({ redFlags: { feverOrSystemicallyUnwell: true } }));
    expectDecision(d, ['E03', 'R05'], { pathway: 'secondary', urgency: 'emergency', service: 'emergency-spinal', reviewRequired: false });
    expect(urgentOrReviewed(d)).to.equal(true);
  });

  it('sends lumbar pain with IV drug use and night pain, without fever, to spinal assessment within 48 hours with review', async () => {
    const d = await evaluate(aReferral({ redFlags: { intravenousDrugUse: true, nightPain: true } }));
    expectDecision(d, ['V01', 'N05', 'R05'], { pathway: 'secondary', urgency: 'very-urgent', service: 'spinal-urgent-assessment', reviewRequired: true });
    expect(urgentOrReviewed(d)).to.equal(true);
  });

  it('sends lumbar pain with new bilateral leg symptoms, and no other neurology, to emergency spinal care as suspected cauda equina', async () => {
    const d = await evaluate(aReferral({ redFlags: { bilateralLegSymptoms: true } }));
    expectDecision(d, ['E01', 'R05'], { pathway: 'secondary', urgency: 'emergency', service: 'emergency-spinal', reviewRequired: false });
    expect(urgentOrReviewed(d)).to.equal(true);
  });

  it('sends lumbar pain on long-term steroids, without fever, to spinal assessment within 48 hours with review', async () => {
    const d = await evaluate(aReferral({ redFlags: { immunosuppressed: true } }));
    expectDecision(d, ['V01', 'R05'], { pathway: 'secondary', urgency: 'very-urgent', service: 'spinal-urgent-assessment', reviewRequired: true });
    expect(urgentOrReviewed(d)).to.equal(true);
  });
});
