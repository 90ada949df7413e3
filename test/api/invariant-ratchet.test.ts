/**
 * Once a version that declares the red-flag safety net is active, no version that fails it can take
 * over again: not by activation (a rollback to 1.0.0 included, approved or not) and not by pinning
 * RULESET_VERSION. Owns a fresh database, on which the shipped 2.0.0 is the first activation.
 */
import { expect } from 'chai';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import request from 'supertest';
import { todayInLondon } from '../../src/domain/calendar.js';
import { ratchetFailures } from '../../src/rules/invariant-proof.js';
import { loadRuleSets, RuleSetLoadError } from '../../src/rules/rule-set-loader.js';
import { registryFromDatabase } from '../../src/rulesets/rule-set-lifecycle.js';
import type { Database } from '../../src/store/database.js';
import { expectError, issuesOf } from '../support/error-shape.js';
import { freshDatabase } from '../support/test-database.js';
import { ruleSetCopiesOf, unchanged } from '../support/rule-set-copies.js';
import { loadedVersions, testApp, tickingClock, type TestApp } from '../support/test-app.js';

const compiled = (version: string) => {
  const found = loadedVersions.find((v) => v.compiled.version === version)?.compiled;
  if (!found) throw new Error(`msk-triage ${version} is not loaded`);
  return found;
};

describe('the safety net as a ratchet', function () {
  this.timeout(60_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let t: TestApp;

  before(async () => {
    ({ db, dispose } = await freshDatabase());
    const registry = await registryFromDatabase(db, loadedVersions, () => new Date());
    t = await testApp({ db, registry, config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir: path.resolve('rules') } });
  });
  after(() => dispose());

  it('names, for 1.0.0 after 2.0.0, each red flag it can route routine without review', async () => {
    const failures = await ratchetFailures(compiled('1.0.0'), [compiled('2.0.0')], todayInLondon());
    expect(failures).to.have.length(10);
    expect(failures[0]).to.match(/^msk-triage 1\.0\.0 may not replace 2\.0\.0 or come after it, which declares red-flag-safety-net: invariant red-flag-safety-net fails: a referral with redFlags\.\w+ true/);
    expect(await ratchetFailures(compiled('2.0.0'), [compiled('1.0.0')], todayInLondon())).to.deep.equal([]);
  });

  it('refuses to approve or activate 1.0.0 over 2.0.0, naming each counterexample, and 2.0.0 stays active', async () => {
    const approval = await t.secondLead.post('/api/v1/rulesets/msk-triage/versions/1.0.0/approvals').send({ note: 'rollback' });
    const activation = await t.lead.post('/api/v1/rulesets/msk-triage/versions/1.0.0/activate').send({ reason: 'review queue too long' });
    for (const res of [approval, activation]) {
      expectError(res, 409, 'ACTIVATION_REFUSED');
      const issues = issuesOf(res).filter((issue) => issue.path === '/invariants');
      expect(issues).to.have.length(10);
      expect(issues.map((issue) => issue.message).join('\n')).to.contain('redFlags.nightPain true').and.contain('Counterexample:');
    }
    expect((await db.query<{ n: number }>('select count(*)::int as n from ruleset_approvals'))[0]?.n).to.equal(0);
    expect(((await request(t.app).get('/readyz')).body as { ruleset: { version: string } }).ruleset.version).to.equal('2.0.0');
  });

  it('refuses to start with RULESET_VERSION pinned to 1.0.0 while 2.0.0 is the recorded active version', async () => {
    const error = await registryFromDatabase(db, await loadRuleSets('rules'), () => new Date(), { 'msk-triage': '1.0.0' }).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(RuleSetLoadError);
    const problems = (error as RuleSetLoadError).problems;
    expect(problems.map((p) => p.file)).to.deep.equal(Array(10).fill('RULESET_VERSION=1.0.0'));
    expect(problems[0]?.message).to.contain('may not replace 2.0.0');
  });

  it('cannot be escaped in two steps: after a 2.1.0 that no longer declares the net, 1.0.0 is still refused', async () => {
    const own = await freshDatabase();
    try {
      const rulesDir = await ruleSetCopiesOf('2.0.0', unchanged, (copy) => {
        copy.ruleset.version = '2.1.0';
        copy.ruleset.status = 'draft';
        delete copy.ruleset.invariants;
        copy.ruleset.changeLog.push({ version: '2.1.0', date: '2026-12-01', summary: 'the same rules, the safety net no longer declared' });
        copy.cases.version = '2.1.0';
      });
      await cp(path.join('rules', 'msk-triage', '1.0.0'), path.join(rulesDir, 'msk-triage', '1.0.0'), { recursive: true });
      const registry = await registryFromDatabase(own.db, await loadRuleSets(rulesDir), () => new Date());
      // on the day 2.0.0 (and so its copy 2.1.0) takes effect: activated, not scheduled
      const app = await testApp({ db: own.db, registry, config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir }, clock: tickingClock('2026-12-01T12:00:00Z') });
      const activate = (version: string) => app.lead.post(`/api/v1/rulesets/msk-triage/versions/${version}/activate`).send({ reason: 'audit' });
      expect((await app.secondLead.post('/api/v1/rulesets/msk-triage/versions/2.1.0/approvals').send({ note: 'same rules' })).status).to.equal(201);
      expect((await activate('2.1.0')).status).to.equal(200);
      const refused = await activate('1.0.0');
      expectError(refused, 409, 'ACTIVATION_REFUSED');
      expect(issuesOf(refused).filter((i) => i.path === '/invariants').map((i) => i.message).join('\n')).to.contain('may not replace 2.0.0 or come after it, which declares red-flag-safety-net');
    } finally {
      await own.dispose();
    }
  });
});
