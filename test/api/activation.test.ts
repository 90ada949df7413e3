/**
 * Activating a rule-set version over the API: refused without a second clinical lead's approval or
 * with any check error, recorded with an audit event, swapped in without a restart while requests are
 * in flight, and rolled back by activating the previous version. Owns a fresh database.
 */
import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { loadRuleSets } from '../../src/rules/rule-set-loader.js';
import { registryFromDatabase } from '../../src/rules/rule-set-lifecycle.js';
import type { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import type { Database } from '../../src/store/database.js';
import { expectError, issuesOf } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { asVersion, ruleSetCopies, type Copy } from '../support/rule-set-copies.js';
import { freshDatabase } from '../support/test-database.js';
import { testApp } from '../support/test-app.js';

describe('activating a rule-set version', function () {
  this.timeout(120_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let rulesDir: string;
  let app: ReturnType<typeof testApp>['app'];
  let registry: RuleSetRegistry;

  before(async () => {
    ({ db, dispose } = await freshDatabase());
    rulesDir = await ruleSetCopies(() => undefined, asVersion('1.1.0', 'draft'), (copy: Copy) => {
      asVersion('1.2.0', 'draft')(copy);
      copy.ruleset.rules[0].conditions = { all: [{ fact: 'bmi', operator: 'greaterThan', value: 40 }] };
    });
    // 1.2.0 is broken on purpose: load the good versions only, as a service started before it was written would have
    const loaded = (await loadRuleSets(await ruleSetCopies(() => undefined, asVersion('1.1.0', 'draft'))));
    for (const version of loaded) version.dir = path.join(rulesDir, version.compiled.id, version.compiled.version);
    registry = await registryFromDatabase(db, loaded, () => new Date());
    ({ app } = testApp({ db, registry, config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir } }));
  });
  after(() => dispose());

  const activate = (version: string, by = 'Dr C Lead') => request(app).post(`/api/v1/rulesets/msk-triage/versions/${version}/activate`).send({ activatedBy: by, reason: 'local audit of interface clinics' });
  const approve = (version: string, approver: string) => request(app).post(`/api/v1/rulesets/msk-triage/versions/${version}/approvals`).send({ approver, role: 'clinical lead' });
  const activeVersion = async () => ((await request(app).get('/readyz')).body as { ruleset: { version: string } }).ruleset.version;

  it('refuses without an approval by a clinical lead who is not an author; the active version stays', async () => {
    const res = await activate('1.1.0');
    expectError(res, 409, 'ACTIVATION_REFUSED');
    expect(issuesOf(res).map((i) => i.message).join()).to.contain('needs an approval by a clinical lead who is not one of its authors');
    expect(await activeVersion()).to.equal('1.0.0');
  });

  it('does not count an author’s own approval', async () => {
    expect((await approve('1.1.0', 'msk-triage founding engineers, from msk-policy-v1')).status).to.equal(201);
    expectError(await activate('1.1.0'), 409, 'ACTIVATION_REFUSED');
  });

  it('refuses a version that fails its checks, listing each problem; the active version stays', async () => {
    expectError(await approve('1.2.0', 'Dr B Lead'), 409, 'ACTIVATION_REFUSED');
    const res = await activate('1.2.0');
    expectError(res, 409, 'ACTIVATION_REFUSED');
    expect(issuesOf(res).map((i) => i.message).join()).to.match(/rule MSK-E01 .*fact "bmi" is recorded only/);
    expect(await activeVersion()).to.equal('1.0.0');
  });

  it('activates with a second lead’s approval, under load: no request fails, each decision carries one whole version', async () => {
    expect((await approve('1.1.0', 'Dr B Lead')).status).to.equal(201);
    const load = Array.from({ length: 150 }, () => request(app).post('/api/v1/triage').send(aReferral()));
    const [activation, ...answers] = await Promise.all([activate('1.1.0'), ...load]);
    expect(activation.status, JSON.stringify(activation.body)).to.equal(200);
    expect(activation.body).to.include({ version: '1.1.0', previousVersion: '1.0.0', activatedBy: 'Dr C Lead' });
    const hashes = { '1.0.0': registry.get('msk-triage', '1.0.0')?.sha256, '1.1.0': registry.get('msk-triage', '1.1.0')?.sha256 };
    for (const answer of answers) {
      expect(answer.status).to.equal(200);
      const { version, sha256 } = answer.body.ruleset as { version: '1.0.0' | '1.1.0'; sha256: string };
      expect(sha256).to.equal(hashes[version]);
    }
    expect(await activeVersion()).to.equal('1.1.0');
    expect((await request(app).post('/api/v1/referrals').send(aReferral())).body.decision.ruleset.version).to.equal('1.1.0');
  });

  it('shows the lifecycle: 1.1.0 active, 1.0.0 retired, 1.2.0 draft, and the audit trail records who and why', async () => {
    const res = await request(app).get('/api/v1/rulesets');
    const versions = (res.body.rulesets[0].versions as Array<{ version: string; status: string }>).map((v) => [v.version, v.status]);
    expect(versions).to.deep.include.members([['1.0.0', 'retired'], ['1.1.0', 'active']]);
    const events = await db.query<{ event_type: string; actor: string; ruleset_version: string }>("select event_type, actor, ruleset_version from audit_events where event_type like 'ruleset.%' order by seq");
    expect(events.map((e) => `${e.event_type} ${e.ruleset_version} ${e.actor}`)).to.deep.equal([
      'ruleset.activated 1.0.0 msk-triage start-up',
      'ruleset.approved 1.1.0 msk-triage founding engineers, from msk-policy-v1',
      'ruleset.approved 1.1.0 Dr B Lead',
      'ruleset.activated 1.1.0 Dr C Lead',
    ]);
  });

  it('rolls back by activating the previous version, without a new approval', async () => {
    const res = await activate('1.0.0', 'Dr B Lead');
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.include({ version: '1.0.0', previousVersion: '1.1.0' });
    expect(await activeVersion()).to.equal('1.0.0');
  });

  it('refuses to activate a released version whose file was edited since', async () => {
    const file = path.join(rulesDir, 'msk-triage', '1.1.0', 'ruleset.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Physiotherapy first.', 'Physiotherapy first, edited.'));
    const res = await activate('1.1.0');
    expectError(res, 409, 'ACTIVATION_REFUSED');
    expect(issuesOf(res).map((i) => i.message).join()).to.contain('A released version is never edited');
    expect(await activeVersion()).to.equal('1.0.0');
  });

  it('answers 400 for a body without who and why, and 404 for a version that does not exist', async () => {
    expectError(await request(app).post('/api/v1/rulesets/msk-triage/versions/1.1.0/activate').send({}), 400, 'REQUEST_INVALID');
    expectError(await activate('7.0.0'), 404, 'RULESET_VERSION_NOT_FOUND');
  });
});
