/**
 * A clinical lead's Approve form without JavaScript (supertest): an author's approval, and a second
 * approval of the same content by the same lead, are each refused at once on the version's page,
 * with the reason in the error summary (never the error page), and nothing is stored. On a database
 * of its own, with 1.0.0 active and the 1.1.0 draft.
 */
import { expect } from 'chai';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import type { Database } from '../../src/store/database.js';
import { tokenFor } from '../support/callers.js';
import { freshDatabase } from '../support/test-database.js';
import { testApp, version1RulesDir, version1Versions, type TestApp } from '../support/test-app.js';
import { signedInAgent } from '../support/web-client.js';

/** The author the 1.1.0 fixture names (test/fixtures/msk-triage-1.1.0/ruleset.json). */
const AUTHOR = 'msk-triage founding engineers, from msk-policy-v1';
const APPROVE = '/rulesets/msk-triage/versions/1.1.0/approve';

describe("a clinical lead's Approve form", function () {
  this.timeout(60_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let t: TestApp;
  before(async () => {
    ({ db, dispose } = await freshDatabase());
    t = await testApp({ db, registry: new RuleSetRegistry(version1Versions), config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir: version1RulesDir } });
  });
  after(() => dispose());

  const approvals = async () => (await db.query<{ n: number }>('select count(*)::int as n from ruleset_approvals'))[0]?.n;

  it("refuses an author's approval at once, on the version's page with the reason, and stores nothing", async () => {
    const { agent, csrf } = await signedInAgent(t.app, await tokenFor(db, 'clinical-lead', { name: AUTHOR }));
    const res = await agent.post(APPROVE).type('form').send({ _csrf: csrf, note: 'my own work' }).expect(200);
    expect(res.text).to.contain('This was refused').and.match(/you are one of this version(&#39;|')s authors/);
    expect(res.text).to.contain('<h1>msk-triage 1.1.0</h1>').and.not.contain('Sorry, there is a problem');
    expect(await approvals()).to.equal(0);
  });

  it('refuses a second approval of the same content by the same lead, with the reason', async () => {
    const { agent, csrf } = await signedInAgent(t.app, await tokenFor(db, 'clinical-lead', { name: 'Dr S Second' }));
    await agent.post(APPROVE).type('form').send({ _csrf: csrf }).expect(303);
    const again = await agent.post(APPROVE).type('form').send({ _csrf: csrf }).expect(200);
    expect(again.text).to.contain('This was refused').and.contain('you approved this exact content already');
    expect(await approvals()).to.equal(1);
  });

  it('answers a version that is not loaded as not found, not as an error of the service', async () => {
    const { agent, csrf } = await signedInAgent(t.app, await tokenFor(db, 'clinical-lead', { name: 'Dr N Notfound' }));
    const res = await agent.post('/rulesets/msk-triage/versions/9.9.9/approve').type('form').send({ _csrf: csrf }).expect(404);
    expect(res.text).to.contain('Page not found');
  });
});
