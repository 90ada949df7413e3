import { expect } from 'chai';
import { isValidNhsNumber } from '../../src/domain/nhs-number.js';
import { syntheticReferrals } from '../../src/schemas/synthetic-referrals.js';
import { issuesFrom } from '../../src/schemas/schema-issues.js';
import { validateReferral } from '../../src/schemas/schema-registry.js';

const BODY_SITES = [
  'lumbar-spine',
  'thoracic-spine',
  'cervical-spine',
  'shoulder',
  'elbow',
  'wrist-hand',
  'hip',
  'knee',
  'ankle-foot',
  'multiple-joints',
];

describe('synthetic referrals', () => {
  const referrals = syntheticReferrals(2000, 7);

  it('gives 2,000 referrals that all pass the referral contract', () => {
    expect(referrals).to.have.length(2000);
    const failures = referrals.flatMap((referral, index) =>
      validateReferral(referral) ? [] : [{ index, issues: issuesFrom(validateReferral.errors) }],
    );
    expect(failures).to.deep.equal([]);
  });

  it('gives NHS numbers from the 999 test range with a valid check digit', () => {
    for (const { patient } of referrals) {
      expect(patient.nhsNumber).to.match(/^999\d{7}$/);
      expect(isValidNhsNumber(patient.nhsNumber)).to.equal(true);
    }
  });

  it('gives the same referrals for the same seed and different ones for a different seed', () => {
    expect(syntheticReferrals(200, 42)).to.deep.equal(syntheticReferrals(200, 42));
    expect(syntheticReferrals(200, 43)).not.to.deep.equal(syntheticReferrals(200, 42));
  });

  it('covers all ten body sites, every side and every onset', () => {
    expect(new Set(referrals.map((r) => r.complaint.bodySite))).to.have.all.keys(...BODY_SITES);
    expect(new Set(referrals.map((r) => r.complaint.side))).to.have.all.keys('left', 'right', 'bilateral', 'not-applicable');
    expect(new Set(referrals.map((r) => r.complaint.onset))).to.have.all.keys('gradual', 'sudden', 'injury');
  });

  it('always sends STarT Back answers with a lumbar referral', () => {
    const lumbar = referrals.filter((r) => r.complaint.bodySite === 'lumbar-spine');
    expect(lumbar).not.to.be.empty;
    expect(lumbar.filter((r) => r.startBack === undefined)).to.deep.equal([]);
  });

  it('sends red flags rarely, so that most referrals take the routine rules', () => {
    const withRedFlag = referrals.filter((r) => Object.values(r.redFlags).some(Boolean)).length;
    expect(withRedFlag).to.be.above(0);
    expect(withRedFlag / referrals.length).to.be.below(0.5);
  });

  it('gives dates of birth 18 to 95 years before 2026-11-01', () => {
    for (const { patient } of referrals) {
      expect(patient.dateOfBirth >= '1931-11-01' && patient.dateOfBirth <= '2008-11-01', patient.dateOfBirth).to.equal(true);
    }
  });
});
