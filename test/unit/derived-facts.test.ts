import { expect } from 'chai';
import { deriveFacts, factMap, scoreStartBack, type StartBack } from '../../src/rules/derived-facts.js';
import { FACTS } from '../../src/rules/fact-catalogue.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';

const NONE: StartBack = {
  legPain: false,
  shoulderOrNeckPain: false,
  walkedShortDistancesOnly: false,
  dressedMoreSlowly: false,
  notSafeToBeActive: false,
  worryingThoughts: false,
  painTerribleNeverBetter: false,
  notEnjoyedThings: false,
  bothersomeness: 'not-at-all',
};
const answers = (items: Partial<StartBack>): StartBack => ({ ...NONE, ...items });

describe('derived facts', () => {
  describe('STarT Back scoring', () => {
    it('scores each agreement 1 and nothing for no agreement', () => {
      expect(scoreStartBack(NONE)).to.deep.equal({ total: 0, psychosocial: 0, risk: 'low' });
    });

    it('puts a total of 3 in low risk, even with a subscale of 3', () => {
      const score = scoreStartBack(answers({ notSafeToBeActive: true, worryingThoughts: true, painTerribleNeverBetter: true }));
      expect(score).to.deep.equal({ total: 3, psychosocial: 3, risk: 'low' });
    });

    it('puts a total of 4 with a subscale of 3 in medium risk', () => {
      const score = scoreStartBack(
        answers({ legPain: true, notSafeToBeActive: true, worryingThoughts: true, painTerribleNeverBetter: true }),
      );
      expect(score).to.deep.equal({ total: 4, psychosocial: 3, risk: 'medium' });
    });

    it('puts a subscale of 4 in high risk', () => {
      const score = scoreStartBack(
        answers({ notSafeToBeActive: true, worryingThoughts: true, painTerribleNeverBetter: true, notEnjoyedThings: true }),
      );
      expect(score).to.deep.equal({ total: 4, psychosocial: 4, risk: 'high' });
    });

    it('keeps a total of 7 with subscale 3 at medium', () => {
      const score = scoreStartBack(
        answers({ legPain: true, shoulderOrNeckPain: true, walkedShortDistancesOnly: true, dressedMoreSlowly: true, notSafeToBeActive: true, worryingThoughts: true, notEnjoyedThings: true }),
      );
      expect(score).to.deep.equal({ total: 7, psychosocial: 3, risk: 'medium' });
    });

    it('scores bothersomeness only for very much or extremely, in both total and subscale', () => {
      for (const [bothersomeness, point] of [['not-at-all', 0], ['slightly', 0], ['moderately', 0], ['very-much', 1], ['extremely', 1]] as const) {
        expect(scoreStartBack(answers({ bothersomeness })), bothersomeness).to.include({ total: point, psychosocial: point });
      }
    });

    it('scores all nine items as 9 and 5', () => {
      const all = answers({ legPain: true, shoulderOrNeckPain: true, walkedShortDistancesOnly: true, dressedMoreSlowly: true, notSafeToBeActive: true, worryingThoughts: true, painTerribleNeverBetter: true, notEnjoyedThings: true, bothersomeness: 'extremely' });
      expect(scoreStartBack(all)).to.deep.equal({ total: 9, psychosocial: 5, risk: 'high' });
    });
  });

  describe('age and age at onset', () => {
    it('computes age in whole years at the evaluation date', () => {
      const referral = aReferral({ patient: { dateOfBirth: '1976-11-22' } });
      expect(deriveFacts(referral, '2026-11-21').age).to.equal(49);
      expect(deriveFacts(referral, '2026-11-22').age).to.equal(50);
    });

    it('subtracts the duration in years of 52 weeks from the age', () => {
      const referral = aReferral({ patient: { dateOfBirth: '1980-11-01' }, complaint: { durationWeeks: 52 } });
      expect(deriveFacts(referral, '2026-11-01').ageAtOnset).to.equal(45);
      const longer = aReferral({ patient: { dateOfBirth: '1980-11-01' }, complaint: { durationWeeks: 53 } });
      expect(deriveFacts(longer, '2026-11-01').ageAtOnset).to.be.closeTo(44.98, 0.01);
    });
  });

  it('calls the three spinal sites spinal and no other', () => {
    const sites = ['lumbar-spine', 'thoracic-spine', 'cervical-spine', 'shoulder', 'elbow', 'wrist-hand', 'hip', 'knee', 'ankle-foot', 'multiple-joints'];
    const spinal = sites.filter((bodySite) => deriveFacts(aReferral({ complaint: { bodySite } }), '2026-11-01').spinal);
    expect(spinal).to.deep.equal(['lumbar-spine', 'thoracic-spine', 'cervical-spine']);
  });

  it('counts axial SpA features, 0 when the list or the object is absent', () => {
    expect(deriveFacts(aKneeReferral(), '2026-11-01').axialSpaFeatureCount).to.equal(0);
    expect(deriveFacts(aKneeReferral({ inflammatory: { swollenJointCount: 1 } }), '2026-11-01').axialSpaFeatureCount).to.equal(0);
    const four = aKneeReferral({ inflammatory: { axialSpaFeatures: ['onset-before-35', 'buttock-pain', 'improves-with-movement', 'wakes-second-half-of-night'] } });
    expect(deriveFacts(four, '2026-11-01').axialSpaFeatureCount).to.equal(4);
  });

  it('leaves the STarT scores absent and the risk not-assessed without startBack', () => {
    const facts = deriveFacts(aKneeReferral(), '2026-11-01');
    expect(facts.startBackRisk).to.equal('not-assessed');
    expect(facts).to.not.have.property('startBackTotal');
    expect(facts).to.not.have.property('startBackPsychosocial');
  });

  describe('the fact map the engine sees', () => {
    it('holds every catalogue fact by its dotted name', () => {
      const facts = factMap(aReferral(), '2026-11-01');
      for (const fact of FACTS) expect(Object.hasOwn(facts, fact.name), fact.name).to.equal(true);
      expect(facts['redFlags.saddleAnaesthesia']).to.equal(false);
      expect(facts['complaint.bodySite']).to.equal('lumbar-spine');
    });

    it('gives absent findings false and absent inflammatory counts 0, booleans false and lists empty', () => {
      const facts = factMap(aKneeReferral(), '2026-11-01');
      expect(facts['findings.lockedKnee']).to.equal(false);
      expect(facts['inflammatory.swollenJointCount']).to.equal(0);
      expect(facts['inflammatory.morningStiffnessMinutes']).to.equal(0);
      expect(facts['inflammatory.smallJointsHandsFeet']).to.equal(false);
      expect(facts['inflammatory.axialSpaFeatures']).to.deep.equal([]);
    });

    it('leaves absent startBack answers absent rather than false', () => {
      const facts = factMap(aKneeReferral(), '2026-11-01');
      expect(facts['startBack.legPain']).to.equal(undefined);
      expect(facts.startBackTotal).to.equal(undefined);
    });

    it('never offers bmi, smoker, notes or identifiers as facts', () => {
      const facts = factMap(aReferral({ bmi: 38, smoker: true }), '2026-11-01');
      for (const name of ['bmi', 'smoker', 'notes', 'patient.nhsNumber', 'patient.dateOfBirth', 'externalReference', 'referrer.clinicianName']) {
        expect(Object.hasOwn(facts, name), name).to.equal(false);
      }
    });
  });
});
