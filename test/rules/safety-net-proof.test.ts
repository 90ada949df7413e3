/**
 * The red-flag safety net (msk-policy-v2.md, "Policy invariant"), proved over the whole referral
 * contract for 2.0.0, and refused, with a real counterexample, for copies broken on purpose.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import type { Decision } from '../../src/generated/decision.js';
import type { RuleCases } from '../../src/generated/rule-cases.js';
import type { RedFlag } from '../../src/schemas/red-flags.js';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { urgencyRank } from '../../src/domain/route-order.js';
import { RED_FLAGS } from '../../src/schemas/red-flags.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { proveInvariants, truthsAt, type ProofStatistics } from '../../src/rules/invariant-proof.js';
import { syntheticReferrals } from '../../src/schemas/synthetic-referrals.js';
import { RuleSetLoadError, loadRuleSets } from '../../src/rules/rule-set-loader.js';
import { validateReferral } from '../../src/schemas/schema-registry.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';
import { ruleSetCopiesOf, type Copy } from '../support/rule-set-copies.js';

const DATE = '2026-12-01';
const shipped = (version: string) => JSON.parse(readFileSync(`rules/msk-triage/${version}/ruleset.json`, 'utf8')) as RuleSet;
const compile = (document: RuleSet) => new CompiledRuleSet(Object.freeze(document));
const rule = (document: RuleSet, id: string) => document.rules.find((r) => r.id === id) as RuleSet['rules'][number];

/** What the invariant asks of a decision for a referral with a red flag. */
const safe = (decision: Decision) =>
  urgencyRank(decision.urgency) <= urgencyRank('urgent') || (decision.urgency === 'soon' && decision.reviewRequired);

/** Breaks a copy of 2.0.0 and keeps its bundled cases from hiding the proof's own refusal. */
const broken = (change: (document: RuleSet) => void) => (copy: Copy) => {
  change(copy.ruleset);
  copy.cases.cases = copy.cases.cases.filter((c) => c.id.startsWith('base')) as RuleCases['cases'];
};

describe('the red-flag safety net invariant', function () {
  this.timeout(60_000); // its cross-checks run thousands of referrals through the engine: 9 s idle, more on a busy machine
  it('proves the red-flag safety net for msk-triage 2.0.0 over the whole contract domain', async () => {
    const document = shipped('2.0.0');
    expect(document.invariants).to.deep.equal(['red-flag-safety-net']);
    const statistics: ProofStatistics = { boxes: 0 };
    expect(await proveInvariants(compile(document), DATE, statistics)).to.deep.equal([]);
    expect(statistics.boxes).to.be.greaterThan(RED_FLAGS.length); // it searched, flag by flag
  });

  it('finds the under-triage of 1.0.0: ten of the sixteen red flags can be routed routine without review', async () => {
    const document = { ...shipped('1.0.0'), invariants: ['red-flag-safety-net' as const] };
    const failures = await proveInvariants(compile(document), DATE);
    expect(failures.map((f) => f.redFlag)).to.have.members([
      'bilateralLegSymptoms', 'progressiveNeurologicalDeficit', 'historyOfCancer', 'unexplainedWeightLoss', 'nightPain',
      'feverOrSystemicallyUnwell', 'immunosuppressed', 'intravenousDrugUse', 'giantCellArteritisSymptoms', 'sexualDysfunction',
    ]);
    for (const failure of failures) {
      expect(validateReferral(failure.referral), failure.redFlag).to.equal(true);
      expect(failure.referral.redFlags[failure.redFlag as RedFlag]).to.equal(true);
      expect(safe(await compile(document).evaluate(failure.referral, DATE))).to.equal(false);
    }
  });

  const breakages: Array<[string, (document: RuleSet) => void, string]> = [
    ['without a safety-net rule (MSK-N05, night pain)', (d) => { d.rules = d.rules.filter((r) => r.id !== 'MSK-N05') as RuleSet['rules']; }, 'nightPain'],
    ['with an emergency rule lowered to routine (MSK-E04, hot swollen joint)', (d) => { rule(d, 'MSK-E04').route.urgency = 'routine'; }, 'hotSwollenJoint'],
    [
      'with a narrowed condition (MSK-E01 without sexual dysfunction)',
      (d) => {
        const e01 = rule(d, 'MSK-E01');
        const any = e01.conditions.any as NonNullable<RuleSet['rules'][number]['conditions']['any']>;
        e01.conditions = { any: any.filter((c) => c.fact !== 'redFlags.sexualDysfunction') };
      },
      'sexualDysfunction',
    ],
    ['with a safety-net rule that no longer asks for review (MSK-N09)', (d) => { delete rule(d, 'MSK-N09').reviewRequired; }, 'suspectedFracture'],
  ];
  for (const [what, change, flag] of breakages) {
    it(`refuses a copy of 2.0.0 ${what}, naming a counterexample referral and the decision it got`, async () => {
      const document = shipped('2.0.0');
      change(document);
      const failures = await proveInvariants(compile(document), DATE);
      expect(failures.map((f) => f.redFlag)).to.deep.equal([flag]);
      const [failure] = failures as [NonNullable<(typeof failures)[number]>];
      expect(validateReferral(failure.referral)).to.equal(true);
      const decision = await compile(document).evaluate(failure.referral, DATE);
      expect(safe(decision)).to.equal(false);
      expect(failure.decision).to.deep.equal(decision);
      expect(failure.message).to.contain(`redFlags.${flag} true`).and.contain(`${decision.pathway} / ${decision.urgency} / ${decision.service}`);

      const rulesDir = await ruleSetCopiesOf('2.0.0', broken(change));
      const refusal = await loadRuleSets(rulesDir).then(() => undefined, (error: unknown) => error);
      expect(refusal).to.be.instanceOf(RuleSetLoadError);
      const problems = (refusal as RuleSetLoadError).problems.filter((p) => p.path === '/invariants');
      expect(problems).to.have.length(1);
      expect(problems[0]?.message).to.contain(`redFlags.${flag} true`);
      expect(problems[0]?.example?.redFlags[flag as 'nightPain']).to.equal(true);
    });
  }

  it('evaluates each rule on a single referral exactly as the engine does (the proof\'s three-valued logic, checked on 2,000 referrals)', async () => {
    for (const version of ['1.0.0', '2.0.0']) {
      const ruleSet = compile(shipped(version));
      for (const referral of syntheticReferrals(1000, 7)) {
        const fired = new Set((await ruleSet.evaluate(referral, DATE)).firedRules.map((r) => r.id)); // both channels
        const truths = truthsAt(ruleSet.document.rules, referral, DATE);
        for (const [id, truth] of truths) expect(truth, `${version} ${id}`).to.equal(fired.has(id) ? 'T' : 'F');
      }
    }
  });

  it('sends every child under 16 to paediatric MSK assessment, urgent or sooner, whatever else the referral says (1,000 generated children)', async () => {
    const ruleSet = compile(shipped('2.0.0'));
    const referrals = syntheticReferrals(1000, 16).map((referral, i) => ({ ...referral, patient: { ...referral.patient, dateOfBirth: `${2026 - (i % 16) - 1}-12-31` } }));
    for (const referral of referrals) {
      expect(validateReferral(referral)).to.equal(true);
      const decision = await ruleSet.evaluate(referral, DATE);
      expect(decision.firedRules.map((r) => r.id)).to.include('MSK-P01');
      expect(urgencyRank(decision.urgency)).to.be.at.most(urgencyRank('urgent'));
    }
  });

  it('holds on 3,000 generated referrals with red flags, as the proof says (a cross-check, not the proof)', async () => {
    const ruleSet = compile(shipped('2.0.0'));
    const sites = ['lumbar-spine', 'cervical-spine', 'thoracic-spine', 'shoulder', 'elbow', 'wrist-hand', 'hip', 'knee', 'ankle-foot', 'multiple-joints'] as const;
    const referral = fc.record({
      site: fc.constantFrom(...sites),
      flags: fc.subarray([...RED_FLAGS], { minLength: 1 }),
      age: fc.integer({ min: 0, max: 120 }),
      onset: fc.constantFrom('gradual', 'sudden', 'injury'),
      weeks: fc.integer({ min: 0, max: 200 }),
      care: fc.integer({ min: 0, max: 60 }),
      legPain: fc.boolean(),
      swollen: fc.integer({ min: 0, max: 4 }),
      findings: fc.subarray(['cannotAbductArm', 'lockedKnee', 'thenarWasting', 'constantNumbness', 'unableToWeightBear', 'suspectedAchillesRupture', 'recentReducedDislocation']),
    }).map((r) => {
      const patch = {
        patient: { dateOfBirth: `${2026 - r.age - 1}-12-31` },
        complaint: { bodySite: r.site, onset: r.onset, durationWeeks: r.weeks },
        history: { nonSurgicalCareWeeks: r.care },
        redFlags: Object.fromEntries(r.flags.map((f) => [f, true])),
        findings: Object.fromEntries(r.findings.map((f) => [f, true])),
        inflammatory: { swollenJointCount: r.swollen },
      };
      return r.site === 'lumbar-spine' ? aReferral({ ...patch, startBack: { legPain: r.legPain } }) : aKneeReferral(patch);
    });
    await fc.assert(
      fc.asyncProperty(referral, async (r) => {
        expect(validateReferral(r)).to.equal(true);
        expect(safe(await ruleSet.evaluate(r, DATE))).to.equal(true);
      }),
      { numRuns: 3000 },
    );
  });
});
