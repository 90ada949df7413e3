import { expect } from 'chai';
import { factMap } from '../../src/rules/derived-facts.js';
import { FACTS } from '../../src/rules/fact-catalogue.js';
import { FACT_SLOTS, FactVectorReader } from '../../src/rules/fact-vector.js';
import { syntheticReferrals } from '../../src/schemas/synthetic-referrals.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';

const ALL = new FactVectorReader(FACTS.map((fact) => fact.name));
const referrals = [
  aReferral(),
  aKneeReferral(),
  aKneeReferral({ inflammatory: { swollenJointCount: 2, axialSpaFeatures: ['psoriasis'] }, findings: { lockedKnee: true } }),
  aReferral({ redFlags: { sexualDysfunction: true }, startBack: null }),
  ...syntheticReferrals(500, 7),
];

describe('the fact vector of bulk evaluation', () => {
  it('holds in each catalogue fact’s slot exactly the value the fact map has for it', () => {
    for (const referral of referrals) {
      const [map, vector] = [factMap(referral, '2026-12-01'), ALL.read(referral, '2026-12-01')];
      for (const fact of FACTS) expect(vector[FACT_SLOTS.get(fact.name) as number], fact.name).to.equal(map[fact.name]);
    }
  });

  it('fills only the slots of the facts it was made for, and leaves out names that are not facts', () => {
    const some = new FactVectorReader(['age', 'redFlags.nightPain', 'findings.lockedKnee', 'notAFact']);
    const vector = some.read(aKneeReferral(), '2026-12-01');
    const filled = FACTS.filter((fact) => vector[FACT_SLOTS.get(fact.name) as number] !== undefined).map((fact) => fact.name);
    expect(filled).to.deep.equal(['redFlags.nightPain', 'findings.lockedKnee', 'age']);
    expect(vector).to.have.length(FACTS.length);
  });

  it('reads own properties only, as the fact map does', () => {
    const inherited = aKneeReferral();
    inherited.findings = Object.create({ lockedKnee: true }) as NonNullable<typeof inherited.findings>;
    expect(ALL.read(inherited, '2026-12-01')[FACT_SLOTS.get('findings.lockedKnee') as number]).to.equal(false);
    expect(factMap(inherited, '2026-12-01')['findings.lockedKnee']).to.equal(false);
  });
});
