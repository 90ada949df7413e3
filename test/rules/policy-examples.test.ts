/**
 * What 1.0.0 did on msk-policy-v1.md's worked examples, written here independently of the bundled
 * cases, and the evaluation's guarantees: the explanation, the hash, and failure without a route.
 * 1.0.0 is retired: it under-triages red flags (test/rules/safety-net-proof.test.ts shows how), and
 * these tests describe what it decided, so that its decisions still replay; they call nothing safe.
 */
import { expect } from 'chai';
import type { Decision } from '../../src/generated/decision.js';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { validateDecision } from '../../src/schemas/schema-registry.js';
import { registry } from '../support/test-app.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';

const active = () => {
  const ruleSet = registry.get('msk-triage', '1.0.0');
  if (!ruleSet) throw new Error('msk-triage 1.0.0 is not loaded');
  return ruleSet;
};
const evaluate = (referral: Parameters<ReturnType<typeof active>['evaluate']>[0]) => active().evaluate(referral, '2026-11-22');
const route = (d: Decision) => ({ pathway: d.pathway, urgency: d.urgency, reviewRequired: d.reviewRequired });
const LOW = { startBack: { walkedShortDistancesOnly: false } };

describe('msk-triage 1.0.0 on the policy’s worked examples', () => {
  it('routes lumbar pain with STarT total 5 and subscale 4 to psychologically informed physio', async () => {
    const d = await evaluate(aReferral({ startBack: { walkedShortDistancesOnly: false, painTerribleNeverBetter: true, notEnjoyedThings: true } }));
    expect(route(d)).to.deep.equal({ pathway: 'physio', urgency: 'routine', reviewRequired: false });
    expect(d.winningRule).to.equal('MSK-R06');
  });

  it('lets U01 (urgent) beat R04 (routine) for low-risk lumbar pain with a history of cancer', async () => {
    const d = await evaluate(aReferral({ ...LOW, redFlags: { historyOfCancer: true } }));
    expect(route(d)).to.deep.equal({ pathway: 'secondary', urgency: 'urgent', reviewRequired: false });
    expect(d.firedRules.map((r) => r.id)).to.deep.equal(['MSK-U01', 'MSK-R04']);
  });

  it('lets U04 beat R10 for a shoulder after a fall that cannot abduct', async () => {
    const d = await evaluate(aKneeReferral({ complaint: { bodySite: 'shoulder', onset: 'injury' }, findings: { cannotAbductArm: true }, history: { nonSurgicalCareWeeks: 2 } }));
    expect(route(d)).to.deep.equal({ pathway: 'secondary', urgency: 'urgent', reviewRequired: false });
    expect(d.firedRules.map((r) => r.id)).to.deep.equal(['MSK-U04', 'MSK-R10']);
  });

  it('routes knee OA to arthroplasty whatever the BMI and smoking', async () => {
    const knee = { history: { nonSurgicalCareWeeks: 16, impactOnLife: 'substantial', wantsSurgicalOpinion: true } };
    const heavy = await evaluate(aKneeReferral({ ...knee, bmi: 38, smoker: true }));
    const light = await evaluate(aKneeReferral({ ...knee, bmi: 22, smoker: false }));
    expect(route(heavy)).to.deep.equal({ pathway: 'secondary', urgency: 'routine', reviewRequired: false });
    expect(heavy.service).to.equal('orthopaedics-arthroplasty');
    expect({ ...heavy, explanation: [] }).to.deep.equal({ ...light, explanation: [] });
  });

  it('sends a lumbar mass with a history of cancer to secondary care, urgent, for review', async () => {
    const d = await evaluate(aReferral({ ...LOW, redFlags: { unexplainedMass: true, historyOfCancer: true } }));
    expect(route(d)).to.deep.equal({ pathway: 'secondary', urgency: 'urgent', reviewRequired: true });
  });
});

describe('a decision', () => {
  it('matches the decision schema and names the rule set, its version and content hash', async () => {
    const d = await evaluate(aReferral());
    expect(validateDecision(d), JSON.stringify(validateDecision.errors)).to.equal(true);
    expect(d.ruleset).to.deep.equal({ id: 'msk-triage', version: '1.0.0', sha256: active().sha256 });
    expect(d.ruleset.sha256).to.match(/^[0-9a-f]{64}$/);
  });

  it('explains every condition of a fired rule, nested any/all included, with the value it saw', async () => {
    const d = await evaluate(aReferral({ redFlags: { bilateralLegSymptoms: true, progressiveNeurologicalDeficit: true } }));
    const e01 = d.firedRules.find((r) => r.id === 'MSK-E01');
    expect(e01?.conditions).to.deep.equal({
      any: [
        { fact: 'redFlags.saddleAnaesthesia', operator: 'equal', value: true, factValue: false, result: false },
        { fact: 'redFlags.bladderOrBowelDysfunction', operator: 'equal', value: true, factValue: false, result: false },
        {
          all: [
            { fact: 'redFlags.bilateralLegSymptoms', operator: 'equal', value: true, factValue: true, result: true },
            { fact: 'redFlags.progressiveNeurologicalDeficit', operator: 'equal', value: true, factValue: true, result: true },
          ],
          result: true,
        },
      ],
      result: true,
    });
    expect(e01?.evidence.map((e) => e.citation)).to.include('GIRFT National Suspected Cauda Equina Syndrome Pathway (2023)');
  });

  it('explains a not node with the truth of what it negates', async () => {
    const d = await evaluate(aKneeReferral({ history: { nonSurgicalCareWeeks: 20, impactOnLife: 'mild' } }));
    const r09 = d.firedRules.find((r) => r.id === 'MSK-R09');
    const not = (r09?.conditions as { all: unknown[] }).all[2];
    expect(not).to.deep.include({ result: true });
    expect((not as { not: { result: boolean } }).not.result).to.equal(false);
  });

  it('lists advice winning rule first', async () => {
    const d = await evaluate(aReferral({ redFlags: { saddleAnaesthesia: true } }));
    expect(d.advice[0]).to.match(/cauda equina/i);
    expect(d.advice).to.have.length(d.firedRules.length);
  });

  it('takes the default route, with review and its advice, when no rule fires', async () => {
    const doc: RuleSet = structuredClone(active().document);
    doc.rules = [{ ...doc.rules[0], conditions: { all: [{ fact: 'complaint.bodySite', operator: 'equal', value: 'elbow' }] } }];
    const d = await new CompiledRuleSet(doc).evaluate(aReferral(), '2026-11-22');
    expect(d).to.deep.include({ outcome: 'default', pathway: 'community', urgency: 'routine', service: 'msk-triage-clinician', reviewRequired: true, winningRule: null, firedRules: [] });
    expect(d.advice).to.deep.equal([doc.defaultRoute.advice]);
    expect(validateDecision(d)).to.equal(true);
  });

  it('keeps its content hash when only the status or approvals change, and not when a rule does', () => {
    const doc = structuredClone(active().document);
    const same = new CompiledRuleSet({ ...doc, status: 'retired', approvals: [{ name: 'Dr Lead', role: 'clinical lead', date: '2026-11-23' }] });
    expect(same.sha256).to.equal(active().sha256);
    const changed = structuredClone(doc);
    changed.rules[0].route.urgency = 'urgent';
    expect(new CompiledRuleSet(changed).sha256).to.not.equal(active().sha256);
  });

  it('is the same for the same referral and date, every time', async () => {
    const referral = aReferral({ redFlags: { unexplainedMass: true } });
    expect(await evaluate(referral)).to.deep.equal(await evaluate(referral));
  });
});
