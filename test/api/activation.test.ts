/**
 * Activating a rule-set version over the API: refused without an approval recorded by a second
 * clinical lead (not an author, not the lead who activates; sign-offs written in the file do not
 * count) or with any check error, recorded with an audit event that names the leads only by their
 * pseudonymous person ids, swapped in without a restart while requests are in flight, and rolled back
 * by activating the previous version. Approvals are made by `secondLead` ('Dr B Lead') and
 * activations by `lead` ('Dr C Lead'). Owns a fresh database.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import request, { type Response } from 'supertest';
import { issueToken } from '../../src/auth/api-tokens.js';
import { loadValidRuleSets } from '../../src/rules/rule-set-loader.js';
import { registryFromDatabase } from '../../src/rulesets/rule-set-lifecycle.js';
import type { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import type { Database } from '../../src/store/database.js';
import { caller, tokenFor, type Caller } from '../support/callers.js';
import { expectError, issuesOf } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { asVersion, ruleSetCopies, type Copy } from '../support/rule-set-copies.js';
import { freshDatabase } from '../support/test-database.js';
import { testApp, type TestApp } from '../support/test-app.js';

const AUTHORS = 'msk-triage founding engineers, from msk-policy-v1';

describe('activating a rule-set version', function () {
  this.timeout(120_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let rulesDir: string;
  let t: TestApp;
  let registry: RuleSetRegistry;
  /** a clinical lead who signs with the name of the versions' authors */
  let author: Caller;

  before(async () => {
    ({ db, dispose } = await freshDatabase());
    rulesDir = await ruleSetCopies(
      () => undefined,
      asVersion('1.1.0', 'draft'),
      (copy: Copy) => {
        asVersion('1.2.0', 'draft')(copy);
        copy.ruleset.rules[0].conditions = { all: [{ fact: 'bmi', operator: 'greaterThan', value: 40 }] };
      },
      (copy: Copy) => {
        // a good version whose file lists a second lead's sign-off, never recorded through the service
        asVersion('1.3.0', 'draft')(copy);
        copy.ruleset.approvals = [{ name: 'Dr B Lead', role: 'clinical lead', date: '2026-11-21' }];
      },
    );
    // 1.2.0 is broken on purpose: load the good versions only, as the service does, leaving the broken draft out
    const { loaded } = await loadValidRuleSets(rulesDir);
    registry = await registryFromDatabase(db, loaded, () => new Date());
    t = await testApp({ db, registry, config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir } });
    author = caller(t.app, await tokenFor(db, 'clinical-lead', { name: AUTHORS }));
  });
  after(() => dispose());

  const activate = (version: string, by: Caller = t.lead) => by.post(`/api/v1/rulesets/msk-triage/versions/${version}/activate`).send({ reason: 'local audit of interface clinics' });
  const approve = (version: string, by: Caller = t.secondLead) => by.post(`/api/v1/rulesets/msk-triage/versions/${version}/approvals`).send({ note: 'checked against the local audit' });
  const activeVersion = async () => ((await request(t.app).get('/readyz')).body as { ruleset: { version: string } }).ruleset.version;
  const approvalCount = async () => (await db.query<{ n: number }>('select count(*)::int as n from ruleset_approvals'))[0]?.n;
  /** the audit actor of a token, from its row in the database: `person:<the id of the person who holds it>` */
  const actorOf = async (who: Caller) => {
    const sha256 = createHash('sha256').update(who.token ?? '', 'utf8').digest('hex');
    const [row] = await db.query<{ id: string }>('select person_id::text as id from api_tokens where token_sha256 = $1', [sha256]);
    if (!row) throw new Error('no such token');
    return `person:${row.id}`;
  };
  const needsApproval = (res: Response) => {
    expectError(res, 409, 'ACTIVATION_REFUSED');
    expect(issuesOf(res)).to.have.length(1);
    expect(issuesOf(res)[0]).to.include({ path: '/approvals' });
    expect(issuesOf(res)[0]?.message).to.contain('needs an approval, recorded for this exact content').and.contain('not the one activating it');
  };

  it('refuses without an approval by a clinical lead who is not an author; the active version stays', async () => {
    needsApproval(await activate('1.1.0'));
    expect(await activeVersion()).to.equal('1.0.0');
  });

  it('refuses the old fields approver, role and activatedBy with 400, recording nothing', async () => {
    const approval = await t.lead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/approvals').send({ approver: 'Dr B Lead', role: 'clinical lead' });
    expectError(approval, 400, 'REQUEST_INVALID');
    expect(issuesOf(approval)).to.deep.equal([
      { path: '/approver', message: 'is not a field here: send note' },
      { path: '/role', message: 'is not a field here: send note' },
    ]);
    const activation = await t.lead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/activate').send({ activatedBy: 'Dr B Lead', reason: 'local audit' });
    expectError(activation, 400, 'REQUEST_INVALID');
    expect(issuesOf(activation)).to.deep.equal([{ path: '/activatedBy', message: 'is not a field here: send reason' }]);
    expect(await approvalCount()).to.equal(0);
    expect(await activeVersion()).to.equal('1.0.0');
  });

  it('refuses an author’s own approval when it is given, and so never counts it', async () => {
    expectError(await approve('1.1.0', author), 409, 'APPROVAL_REFUSED');
    needsApproval(await activate('1.1.0'));
    expect(await activeVersion()).to.equal('1.0.0');
  });

  it('does not count an approval by the lead who activates, nor by another token of the same name', async () => {
    const own = await approve('1.1.0', t.lead);
    expect(own.status, JSON.stringify(own.body)).to.equal(201);
    expect(own.body).to.include({ approver: 'Dr C Lead', version: '1.1.0' });
    needsApproval(await activate('1.1.0', t.lead));
    const namesake = caller(t.app, (await issueToken(db, { role: 'clinical-lead', name: 'Dr C Lead', expiresAt: null, now: new Date() })).token);
    expect((await approve('1.1.0', namesake)).status).to.equal(201);
    needsApproval(await activate('1.1.0', t.lead));
    expect(await activeVersion()).to.equal('1.0.0');
  });

  it('refuses a version that fails its checks, listing each problem; the active version stays', async () => {
    expectError(await approve('1.2.0'), 409, 'ACTIVATION_REFUSED');
    const res = await activate('1.2.0');
    expectError(res, 409, 'ACTIVATION_REFUSED');
    expect(issuesOf(res).map((i) => i.message).join()).to.match(/rule MSK-E01 .*fact "bmi" is recorded only/);
    expect(await activeVersion()).to.equal('1.0.0');
  });

  it('does not count a sign-off written in the file’s approvals array', async () => {
    expect(JSON.parse(readFileSync(path.join(rulesDir, 'msk-triage', '1.3.0', 'ruleset.json'), 'utf8')).approvals).to.deep.equal([{ name: 'Dr B Lead', role: 'clinical lead', date: '2026-11-21' }]);
    needsApproval(await activate('1.3.0'));
    expect(await activeVersion()).to.equal('1.0.0');
  });

  it('activates with a second lead’s approval, under load: no request fails, each decision carries one whole version', async () => {
    expect((await approve('1.1.0')).status).to.equal(201);
    const load = Array.from({ length: 150 }, () => t.clinician.post('/api/v1/triage').send(aReferral()));
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
    const referred = await (await t.gpOf('J82001')).post('/api/v1/referrals').send(aReferral());
    expect(referred.status, JSON.stringify(referred.body)).to.equal(201);
    expect(referred.body.decision.ruleset.version).to.equal('1.1.0');
  });

  it('shows the lifecycle: 1.1.0 active, 1.0.0 retired, 1.2.0 draft, and the audit trail records who (by token id and role) and why', async () => {
    const res = await t.lead.get('/api/v1/rulesets');
    const versions = (res.body.rulesets[0].versions as Array<{ version: string; status: string }>).map((v) => [v.version, v.status]);
    expect(versions).to.deep.include.members([['1.0.0', 'retired'], ['1.1.0', 'active']]);
    const events = await db.query<{ event_type: string; actor: string; actor_role: string | null; ruleset_version: string }>(
      "select event_type, actor, actor_role, ruleset_version from audit_events where event_type like 'ruleset.%' order by seq",
    );
    const [byAuthor, byLead, bySecondLead] = [await actorOf(author), await actorOf(t.lead), await actorOf(t.secondLead)];
    const namesakes = await db.query<{ id: string }>("select person_id::text as id from api_tokens where name = 'Dr C Lead' order by created_at, id");
    const byNamesake = namesakes.map((row) => `person:${row.id}`).find((id) => id !== byLead);
    // the author's approval was refused when given: no event of it
    expect(events.map((e) => e.actor)).to.not.include(byAuthor);
    expect(events.map((e) => `${e.event_type} ${e.ruleset_version} ${e.actor} ${e.actor_role}`)).to.deep.equal([
      'ruleset.activated 1.0.0 msk-triage start-up system',
      `ruleset.approved 1.1.0 ${byLead} clinical-lead`,
      `ruleset.approved 1.1.0 ${byNamesake} clinical-lead`,
      `ruleset.approved 1.1.0 ${bySecondLead} clinical-lead`,
      `ruleset.activated 1.1.0 ${byLead} clinical-lead`,
    ]);
  });

  it('records the approval and the activation with the lead’s pseudonymous id `person:<uuid>` and role clinical-lead, never a name', async () => {
    const events = await db.query<{ event_type: string; actor: string; actor_role: string | null; details: unknown }>(
      "select event_type, actor, actor_role, details from audit_events where event_type in ('ruleset.approved', 'ruleset.activated') and ruleset_version = '1.1.0' order by seq",
    );
    const approved = events.filter((e) => e.event_type === 'ruleset.approved').at(-1);
    const activated = events.find((e) => e.event_type === 'ruleset.activated');
    expect(approved).to.include({ actor: await actorOf(t.secondLead), actor_role: 'clinical-lead' });
    expect(activated).to.include({ actor: await actorOf(t.lead), actor_role: 'clinical-lead' });
    for (const event of events) {
      expect(event.actor).to.match(/^person:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(JSON.stringify(event)).to.not.contain('Dr B Lead').and.not.contain('Dr C Lead').and.not.contain(AUTHORS);
    }
  });

  it('rolls back by activating the previous version, without a new approval', async () => {
    const res = await activate('1.0.0', t.secondLead);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.include({ version: '1.0.0', previousVersion: '1.1.0', activatedBy: 'Dr B Lead' });
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

  it('answers 400 for a body without why, and 404 for a version that does not exist', async () => {
    const res = await t.lead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/activate').send({});
    expectError(res, 400, 'REQUEST_INVALID');
    expect(issuesOf(res)).to.deep.equal([{ path: '/reason', message: 'is required: text of 1 to 1000 characters' }]);
    expectError(await activate('7.0.0'), 404, 'RULESET_VERSION_NOT_FOUND');
  });
});
