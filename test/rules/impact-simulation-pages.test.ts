import { expect } from 'chai';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { tallyItems, VersionComparison } from '../../src/rules/impact-simulation.js';
import { simulatePages, type ReferralPage } from '../../src/rules/impact-simulation-pages.js';
import { syntheticReferrals } from '../../src/schemas/synthetic-referrals.js';
import { storedReferralPages } from '../../src/referrals/simulate-impact.js';
import { aKneeReferral } from '../support/referral-factory.js';
import { activeVersion, db, testApp, version1Registry as registry, version1RulesDir } from '../support/test-app.js';

const version = (v: string) => {
  const compiled = registry.get('msk-triage', v);
  if (!compiled) throw new Error(v);
  return compiled;
};
const items = syntheticReferrals(1500, 21).map((referral, i) => ({ id: `s${String(i).padStart(4, '0')}`, referral }));
const request = { rulesDir: version1RulesDir, ruleset: 'msk-triage', from: '1.0.0', to: '1.1.0', evaluationDate: '2026-11-22' };

/** The items as the store reads them: JSON pages of [id, referral] pairs. */
function pagesOf(size: number): AsyncIterable<ReferralPage> {
  const pages: ReferralPage[] = [];
  for (let at = 0; at < items.length; at += size) pages.push(JSON.stringify(items.slice(at, at + size).map(({ id, referral }) => [id, referral])));
  return (async function* () {
    for (const page of pages) yield await Promise.resolve(page);
  })();
}

describe('impact simulation of stored referrals page by page', function () {
  this.timeout(60_000);

  it('tallies the pages on this thread and on worker threads exactly as one tally of every referral, ids oldest first', async () => {
    const versions = { from: version('1.0.0'), to: version('1.1.0') };
    const whole = tallyItems(items, versions.from, versions.to, request.evaluationDate);
    expect(whole.changed.length).to.be.greaterThan(0);
    for (const threads of [0, 1, 2]) {
      expect(await simulatePages(request, pagesOf(200), versions, threads, { helpThreads: false }), `${threads} threads`).to.deep.equal(whole);
      expect(await simulatePages(request, pagesOf(200), versions, threads), `${threads} threads, and this one when they are busy`).to.deep.equal(whole);
    }
  });

  it('reads the stored referrals as JSON pages of [id, referral] pairs, oldest first, every one once, as they were stored', async () => {
    const t = await testApp();
    const gp = await t.gpOf('J82001');
    for (let i = 0; i < 5; i++) expect((await gp.post('/api/v1/referrals').send(aKneeReferral({ complaint: { durationWeeks: i + 1 } }))).status).to.equal(201);
    const stored = await db.query<{ id: string; referral: unknown }>('select id, referral from referrals order by received_at, id');
    const pages: Array<Array<[string, unknown]>> = [];
    for await (const page of storedReferralPages(db, { page: 3, synthetic: 'include' })) pages.push(JSON.parse(page) as Array<[string, unknown]>);
    expect(pages.every((page) => page.length <= 3)).to.equal(true);
    expect(pages.flat()).to.deep.equal(stored.map(({ id, referral }) => [id, referral]));
  });

  it('gets the new version’s route right when it lists the same rules in another order (file order breaks ties)', () => {
    const reordered = structuredClone(activeVersion.compiled.document) as RuleSet;
    reordered.rules.reverse();
    const [from, to] = [activeVersion.compiled, new CompiledRuleSet(reordered)];
    const comparison = new VersionComparison(from, to);
    let tiesBroken = 0;
    for (const { referral } of items) {
      const [before, after] = comparison.routes(referral, request.evaluationDate);
      const [full1, full2] = [from.evaluateCompiled(referral, request.evaluationDate), to.evaluateCompiled(referral, request.evaluationDate)];
      expect({ ...before?.route, review: before?.reviewRequired, winner: before?.winningRule?.id ?? null }).to.deep.equal({ pathway: full1.pathway, urgency: full1.urgency, service: full1.service, review: full1.reviewRequired, winner: full1.winningRule });
      expect({ ...after?.route, review: after?.reviewRequired, winner: after?.winningRule?.id ?? null }).to.deep.equal({ pathway: full2.pathway, urgency: full2.urgency, service: full2.service, review: full2.reviewRequired, winner: full2.winningRule });
      if (full1.winningRule !== full2.winningRule) tiesBroken += 1;
    }
    expect(tiesBroken, 'referrals whose winning rule the order changes').to.be.greaterThan(0);
  });

  it('counts a referral that cannot be evaluated under a version as failed, on a thread too', async () => {
    const broken = structuredClone(version('1.1.0').document) as RuleSet;
    broken.rules[0].conditions = { all: [{ fact: 'notAFact', operator: 'equal', value: true }] };
    const versions = { from: version('1.0.0'), to: new CompiledRuleSet(broken) };
    const tally = await simulatePages(request, pagesOf(500), versions, 1, { helpThreads: false });
    expect(tally).to.include({ referrals: items.length, failed: items.length });
  });
});
