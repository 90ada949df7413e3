/**
 * Referral contract 1.1 only adds to version 1: every version 1 referral stays valid and means the
 * same, and the new items are optional, checked, and become facts with the contract's defaults.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { RuleCases } from '../../src/generated/rule-cases.js';
import { REQUIRED_RED_FLAGS, RED_FLAGS } from '../../src/schemas/red-flags.js';
import { factMap } from '../../src/rules/derived-facts.js';
import { caseReferral } from '../../src/rules/rule-cases.js';
import { expectError, issuesOf } from '../support/error-shape.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';
import { testApp } from '../support/test-app.js';

const t = await testApp();
const triage = (body: unknown, query = '') => t.clinician.post(`/api/v1/triage${query}`).send(body as object);
const DATE = '2026-11-22';

describe('referral contract 1.1', () => {
  describe('for version 1 GP systems', () => {
    const file = JSON.parse(readFileSync('rules/msk-triage/1.0.0/cases.json', 'utf8')) as RuleCases;

    it('accepts every shipped case of 1.0.0 under contract 1.1, and 1.0.0 still decides each as its case says', async () => {
      expect(file.cases.length).to.be.greaterThan(50);
      for (const testCase of file.cases) {
        const { referral, problems } = caseReferral(file, testCase);
        expect(problems, testCase.id).to.deep.equal([]);
        const at = await testApp({ clock: () => new Date(`${testCase.evaluationDate ?? file.evaluationDate}T12:00:00Z`) });
        const res = await at.clinician
          .post('/api/v1/triage?version=1.0.0')
          .send(referral);
        expect(res.status, testCase.id).to.equal(200);
        const { pathway, urgency, reviewRequired } = testCase.expect;
        expect(res.body, testCase.id).to.deep.include({ pathway, urgency, reviewRequired });
      }
    });

    it('needs only the 15 red flags of version 1: sexual dysfunction may be left out, and then counts as false', async () => {
      expect(REQUIRED_RED_FLAGS).to.have.length(15).and.not.include('sexualDysfunction');
      expect(RED_FLAGS).to.have.length(16).and.include('sexualDysfunction');
      const v1 = aReferral();
      expect(v1.redFlags).to.not.have.property('sexualDysfunction');
      expect((await triage(v1)).status).to.equal(200);
      expect(factMap(v1, DATE)['redFlags.sexualDysfunction']).to.equal(false);
    });
  });

  describe('the new items', () => {
    it('routes new sexual dysfunction as suspected cauda equina, at any site', async () => {
      const res = await triage(aKneeReferral({ redFlags: { sexualDysfunction: true } }));
      expect(res.body).to.deep.include({ urgency: 'emergency', service: 'emergency-spinal', winningRule: 'MSK-E01' });
    });

    it('refuses a sexual-dysfunction answer that is not true or false', async () => {
      const res = await triage(aReferral({ redFlags: { sexualDysfunction: 'yes' } }));
      expectError(res, 400, 'REFERRAL_INVALID');
      expect(issuesOf(res).map((i) => i.path)).to.deep.equal(['/redFlags/sexualDysfunction']);
    });

    it('accepts the two new findings, the three separate axial SpA items and an HLA-B27 result', async () => {
      const referral = aReferral({
        findings: { suspectedAchillesRupture: false, recentReducedDislocation: false },
        inflammatory: { axialSpaFeatures: ['current-or-past-arthritis', 'enthesitis', 'psoriasis', 'buttock-pain'], hlaB27: 'positive' },
      });
      expect((await triage(referral)).status).to.equal(200);
      const facts = factMap(referral, DATE);
      expect(facts.axialSpaFeatureCount).to.equal(4);
      expect(facts['inflammatory.hlaB27']).to.equal('positive');
    });

    it('counts an absent HLA-B27 as not tested', () => {
      expect(factMap(aReferral(), DATE)['inflammatory.hlaB27']).to.equal('not-tested');
    });

    it('accepts the deprecated combined SpA item alone, counting it once', async () => {
      const referral = aReferral({ inflammatory: { axialSpaFeatures: ['arthritis-enthesitis-or-psoriasis', 'buttock-pain'] } });
      expect((await triage(referral)).status).to.equal(200);
      expect(factMap(referral, DATE).axialSpaFeatureCount).to.equal(2);
    });

    for (const separate of ['current-or-past-arthritis', 'enthesitis', 'psoriasis']) {
      it(`refuses the deprecated combined SpA item together with ${separate}, at /inflammatory/axialSpaFeatures`, async () => {
        const res = await triage(aReferral({ inflammatory: { axialSpaFeatures: ['arthritis-enthesitis-or-psoriasis', separate] } }));
        expectError(res, 400, 'REFERRAL_INVALID');
        expect(issuesOf(res)).to.deep.equal([{ path: '/inflammatory/axialSpaFeatures', message: 'may not hold arthritis-enthesitis-or-psoriasis (deprecated) together with current-or-past-arthritis, enthesitis or psoriasis: send the separate items only' }]);
      });
    }

    it('refuses an HLA-B27 result outside positive, negative and not-tested', async () => {
      const res = await triage(aReferral({ inflammatory: { hlaB27: 'weakly positive' } }));
      expectError(res, 400, 'REFERRAL_INVALID');
      expect(issuesOf(res).map((i) => i.path)).to.deep.equal(['/inflammatory/hlaB27']);
    });

    it('derives redFlagCount from all 16 items', () => {
      const none = factMap(aReferral(), DATE);
      expect(none.redFlagCount).to.equal(0);
      const three = factMap(aReferral({ redFlags: { nightPain: true, historyOfCancer: true, sexualDysfunction: true } }), DATE);
      expect(three.redFlagCount).to.equal(3);
      const all = factMap(aReferral({ redFlags: Object.fromEntries(RED_FLAGS.map((flag) => [flag, true])) }), DATE);
      expect(all.redFlagCount).to.equal(16);
    });

    it('answers very-urgent as a decision urgency, described in the OpenAPI document', async () => {
      const res = await triage(aKneeReferral({ complaint: { onset: 'injury' }, inflammatory: { swollenJointCount: 1 } }));
      expect(res.body).to.deep.include({ urgency: 'very-urgent', service: 'acute-knee-clinic', winningRule: 'MSK-V05' });
      const openapi = await t.clinician.get('/openapi.json');
      expect(JSON.stringify(openapi.body)).to.contain('"very-urgent"');
    });
  });
});
