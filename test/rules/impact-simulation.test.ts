import { expect } from 'chai';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { report, simulateInWorkers, tallyItems, VersionComparison } from '../../src/rules/impact-simulation.js';
import { syntheticReferrals } from '../../src/schemas/synthetic-referrals.js';
import { searchReferrals } from '../../src/rules/rule-set-lint.js';
import { expectError } from '../support/error-shape.js';
import { aKneeReferral } from '../support/referral-factory.js';
import { db, version1Registry as registry, version1RulesDir, testApp, type TestApp } from '../support/test-app.js';
import { storedReferralPages } from '../../src/referrals/simulate-impact.js';

const version = (v: string) => {
  const compiled = registry.get('msk-triage', v);
  if (!compiled) throw new Error(v);
  return compiled;
};
const elbowAfter = (weeks: number) => aKneeReferral({ complaint: { bodySite: 'elbow' }, history: { nonSurgicalCareWeeks: weeks } });

describe('impact simulation', function () {
  this.timeout(60_000);

  it('gets each version’s route from one full evaluation exactly as evaluating both versions would', async () => {
    const altered = structuredClone(version('1.1.0').document) as RuleSet;
    const e04 = altered.rules.find((r) => r.id === 'MSK-E04');
    if (e04) e04.route.urgency = 'urgent'; // a route change on unchanged conditions
    altered.rules.splice(5, 1); // a removed rule
    altered.rules.push({ ...structuredClone(altered.rules[0]), id: 'MSK-X01', conditions: { all: [{ fact: 'complaint.painScore', operator: 'greaterThan', value: 8 }] }, route: { pathway: 'gp', urgency: 'soon', service: 'gp-review' } });
    const pairs: Array<[CompiledRuleSet, CompiledRuleSet]> = [[version('1.0.0'), version('1.1.0')], [version('1.0.0'), new CompiledRuleSet(altered)]];
    for (const [from, to] of pairs) {
      const comparison = new VersionComparison(from, to);
      for (const referral of [...syntheticReferrals(250, 3), ...searchReferrals(to.document.rules, 250)]) {
        const [before, after] = comparison.routes(referral, '2026-11-22');
        const [full1, full2] = [await from.evaluate(referral, '2026-11-22'), await to.evaluate(referral, '2026-11-22')];
        expect({ ...before?.route, review: before?.reviewRequired }).to.deep.equal({ pathway: full1.pathway, urgency: full1.urgency, service: full1.service, review: full1.reviewRequired });
        expect({ ...after?.route, review: after?.reviewRequired }).to.deep.equal({ pathway: full2.pathway, urgency: full2.urgency, service: full2.service, review: full2.reviewRequired });
      }
    }
  });

  it('counts 1.0.0 → 1.1.0 transitions: an elbow after 6 or 7 weeks moves from the interface service to physio', () => {
    const items = [6, 7, 8, 12, 3].map((weeks) => ({ id: `elbow-${weeks}`, referral: elbowAfter(weeks) }));
    const tally = tallyItems(items, version('1.0.0'), version('1.1.0'), '2026-11-22');
    expect(tally.changed).to.deep.equal(['elbow-6', 'elbow-7']);
    expect(tally.transitions).to.deep.equal({ 'community / routine → physio / routine': 2, 'community / routine → community / routine': 2, 'physio / routine → physio / routine': 1 });
    expect(tally.newlyNeedReview).to.deep.equal([]);
  });

  it('reports referrals that would newly need review', () => {
    const doc = structuredClone(version('1.1.0').document) as RuleSet;
    const r10 = doc.rules.find((r) => r.id === 'MSK-R10');
    if (r10) r10.reviewRequired = true;
    const tally = tallyItems([{ id: 'a', referral: elbowAfter(2) }], version('1.0.0'), new CompiledRuleSet(doc), '2026-11-22');
    expect(tally.newlyNeedReview).to.deep.equal(['a']);
  });

  it('spreads the work over worker threads and adds their tallies up', async () => {
    const items = syntheticReferrals(1200, 12).map((referral, i) => ({ id: `s${i}`, referral }));
    const request = { rulesDir: version1RulesDir, ruleset: 'msk-triage', from: '1.0.0', to: '1.1.0', evaluationDate: '2026-11-22' };
    const [threads, here] = [await simulateInWorkers(request, items, { from: version('1.0.0'), to: version('1.1.0') }, 2), tallyItems(items, version('1.0.0'), version('1.1.0'), '2026-11-22')];
    expect(threads.referrals).to.equal(1200);
    expect(threads.transitions).to.deep.equal(here.transitions);
    expect([...threads.changed].sort()).to.deep.equal([...here.changed].sort());
  });

  it('lists transitions of equal count most urgent first, very-urgent between emergency and urgent', () => {
    const transitions = { 'gp / routine → gp / routine': 2, 'secondary / urgent → secondary / urgent': 2, 'secondary / very-urgent → secondary / very-urgent': 2, 'secondary / emergency → secondary / emergency': 2, 'physio / routine → physio / routine': 5 };
    const r = report({ rulesDir: 'rules', ruleset: 'msk-triage', from: '1.0.0', to: '2.0.0', evaluationDate: '2026-12-01' }, { referrals: 13, failed: 0, transitions, changed: [], newlyNeedReview: [] }, { withIds: false });
    expect(r.transitions.map((t) => t.from)).to.deep.equal(['physio / routine', 'secondary / emergency', 'secondary / very-urgent', 'secondary / urgent', 'gp / routine']);
  });

  it('reads every stored referral once, oldest first, page after page', async () => {
    const t = await testApp();
    const gp = await t.gpOf('J82001');
    for (let i = 0; i < 5; i++) expect((await gp.post('/api/v1/referrals').send(elbowAfter(i))).status).to.equal(201);
    const all = (await db.query<{ id: string }>('select id from referrals order by received_at, id')).map((r) => r.id);
    const paged: string[] = [];
    for await (const page of storedReferralPages(db, { page: 3, synthetic: 'include' })) paged.push(...(JSON.parse(page) as Array<[string, unknown]>).map(([id]) => id));
    expect(paged).to.deep.equal(all);
    expect(new Set(paged).size).to.equal(paged.length);
  });

  describe('POST /api/v1/rulesets/{id}/versions/{version}/simulate', () => {
    let t: TestApp;
    before(async () => {
      t = await testApp({ registry, config: { rulesetId: 'msk-triage', bodyLimitBytes: 64 * 1024, rulesDir: version1RulesDir } });
    });
    const simulate = (version: string) => t.lead.post(`/api/v1/rulesets/msk-triage/versions/${version}/simulate`);

    it('simulates on the stored referrals and answers de-identified aggregates, with no referral ids', async () => {
      expect((await (await t.gpOf('J82001')).post('/api/v1/referrals').send(elbowAfter(6))).status).to.equal(201);
      const res = await simulate('1.1.0').send({ from: '1.0.0' });
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ ruleset: 'msk-triage', from: '1.0.0', to: '1.1.0' });
      expect(res.body.referrals).to.be.greaterThan(0);
      expect(res.body.changed.count).to.be.greaterThan(0);
      expect(res.body.changed).to.not.have.property('ids');
      expect(res.body.transitions).to.deep.include({ from: 'community / routine', to: 'physio / routine', count: res.body.changed.count });
    });

    it('compares with the active version by default', async () => {
      const res = await simulate('1.1.0').set('content-type', 'application/json').send('{}');
      expect(res.body.from).to.equal('1.0.0');
    });

    it('answers 404 for an unknown version and 400 for a malformed one', async () => {
      expectError(await simulate('9.0.0').send({}), 404, 'RULESET_VERSION_NOT_FOUND');
      expectError(await simulate('1.1.0').send({ from: 'latest' }), 400, 'QUERY_INVALID');
    });
  });
});
