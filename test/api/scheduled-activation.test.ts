/**
 * effectiveFrom means something: activating an approved version before its effectiveFrom schedules
 * it; it switches on by itself at the start of that day in Europe/London, on every instance, once,
 * recorded like any activation; the list shows the schedule; it can be cancelled; activating it
 * before the day takes an override with a reason. All on a hand-moved clock: nothing waits for a date.
 * 1.1.0 here is a copy of 1.0.0 effective from 1 June 2027 (British Summer Time: the day starts at
 * 23:00 UTC on 31 May). Owns a fresh database.
 */
import { expect } from 'chai';
import request from 'supertest';
import { loadValidRuleSets } from '../../src/rules/rule-set-loader.js';
import type { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { watchActivations, type ActivationWatch } from '../../src/rulesets/activation-watch.js';
import { registryFromDatabase } from '../../src/rulesets/rule-set-lifecycle.js';
import type { Database } from '../../src/store/database.js';
import { inProcessCli } from '../support/cli.js';
import { expectError, issuesOf } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { asVersion, ruleSetCopies, type Copy } from '../support/rule-set-copies.js';
import { freshDatabase } from '../support/test-database.js';
import { capturingLogger, testApp, type TestApp } from '../support/test-app.js';

const EFFECTIVE_FROM = '2027-06-01';
const LONDON_MIDNIGHT = Date.parse('2027-05-31T23:00:00Z');

/** 1.0.0 active, and 1.1.0 (and 1.2.0) drafts that take effect on 1 June 2027. */
const futureDraft = (version: string) => (copy: Copy) => {
  asVersion(version, 'draft')(copy);
  copy.ruleset.effectiveFrom = EFFECTIVE_FROM;
};

describe('activating a version before its effectiveFrom', function () {
  this.timeout(120_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let rulesDir: string;
  let now = Date.parse('2026-12-02T10:00:00Z');
  const clock = () => new Date(now);
  /** two instances on the one database, each with its registry and its watch */
  let a: TestApp;
  let registryA: RuleSetRegistry;
  let registryB: RuleSetRegistry;
  const watches: ActivationWatch[] = [];
  const { logger, lines } = capturingLogger();

  before(async () => {
    ({ db, dispose } = await freshDatabase());
    rulesDir = await ruleSetCopies(() => undefined, futureDraft('1.1.0'), futureDraft('1.2.0'));
    registryA = await registryFromDatabase(db, (await loadValidRuleSets(rulesDir)).loaded, clock);
    registryB = await registryFromDatabase(db, (await loadValidRuleSets(rulesDir)).loaded, clock);
    for (const registry of [registryA, registryB]) watches.push(await watchActivations({ db, registry, rulesDir, logger, intervalMs: 3_600_000, clock }));
    a = await testApp({ db, registry: registryA, clock, config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir } });
    for (const version of ['1.1.0', '1.2.0']) expect((await a.secondLead.post(`/api/v1/rulesets/msk-triage/versions/${version}/approvals`).send({})).status).to.equal(201);
  });
  after(async () => {
    for (const stop of watches) await stop();
    await dispose();
  });

  const activate = (version: string, body: object = { reason: 'new pathway from June' }) => a.lead.post(`/api/v1/rulesets/msk-triage/versions/${version}/activate`).send(body);
  const listing = async () => ((await a.clinician.get('/api/v1/rulesets')).body as { rulesets: Array<{ id: string; activeVersion: string; scheduled: Array<Record<string, unknown>> }> }).rulesets[0];
  const checkEverywhere = () => Promise.all(watches.map((watch) => watch.checkNow()));
  const activations = () => db.query<{ version: string; schedule_id: string | null; effective_from_override: string | null; activated_by: string }>('select version, schedule_id::text as schedule_id, effective_from_override, activated_by from ruleset_activations order by seq');

  it('schedules it, answering 202 with the day; nothing changes until then', async () => {
    const res = await activate('1.1.0');
    expect(res.status, JSON.stringify(res.body)).to.equal(202);
    expect(res.body).to.include({ rulesetId: 'msk-triage', version: '1.1.0', effectiveFrom: EFFECTIVE_FROM, scheduledBy: 'Dr C Lead', reason: 'new pathway from June' });
    expect(res.body.scheduleId).to.be.a('string');
    expect(res.body.sha256).to.equal(registryA.get('msk-triage', '1.1.0')?.sha256);
    await checkEverywhere();
    expect(registryA.active('msk-triage')?.version).to.equal('1.0.0');
    expect((await activations()).map((row) => row.version)).to.deep.equal(['1.0.0']);
  });

  it('shows the schedule in GET /api/v1/rulesets and in msk-triage rules list', async () => {
    const msk = await listing();
    expect(msk?.activeVersion).to.equal('1.0.0');
    expect(msk?.scheduled).to.have.length(1);
    expect(msk?.scheduled[0]).to.include({ version: '1.1.0', effectiveFrom: EFFECTIVE_FROM, scheduledBy: 'Dr C Lead', reason: 'new pathway from June' });
    const cli = inProcessCli({ db, env: { RULES_DIR: rulesDir }, clock });
    const list = await cli('rules', 'list');
    expect(list.status, list.stderr).to.equal(0);
    expect(list.stdout).to.match(/^msk-triage: active 1\.0\.0$/m);
    expect(list.stdout).to.match(/^ {2}1\.1\.0 +draft +effective from 2027-06-01 +[0-9a-f]{12} +scheduled: activates on 2027-06-01 at the start of the day \(Europe\/London\), by Dr C Lead: new pathway from June$/m);
    const json = JSON.parse((await cli('rules', 'list', '--json')).stdout) as { rulesets: Array<{ scheduled: Array<{ version: string }> }> };
    expect(json.rulesets[0]?.scheduled.map((s) => s.version)).to.deep.equal(['1.1.0']);
  });

  it('refuses a second schedule for the rule set while one is pending', async () => {
    const res = await activate('1.2.0');
    expectError(res, 409, 'ACTIVATION_REFUSED');
    expect(issuesOf(res)[0]?.message).to.equal('msk-triage 1.1.0 is already scheduled to be activated on 2027-06-01 (by Dr C Lead): cancel that schedule first; one rule set has one schedule at a time');
  });

  it('switches on by itself at the start of that day in London, on every instance, once, recorded like any activation', async () => {
    now = LONDON_MIDNIGHT - 1000; // 23:59:59 on 31 May in London
    await checkEverywhere();
    expect(registryA.active('msk-triage')?.version).to.equal('1.0.0');
    now = LONDON_MIDNIGHT;
    await checkEverywhere(); // both instances see the day come at once
    for (const registry of [registryA, registryB]) expect(registry.active('msk-triage')?.version).to.equal('1.1.0');
    const rows = await activations();
    expect(rows.map((row) => row.version)).to.deep.equal(['1.0.0', '1.1.0']);
    expect(rows[1]).to.include({ activated_by: 'Dr C Lead', effective_from_override: null });
    expect(rows[1]?.schedule_id).to.be.a('string');
    await checkEverywhere();
    expect(await activations()).to.have.length(2);
    expect((await a.clinician.post('/api/v1/triage').send(aReferral())).body.ruleset.version).to.equal('1.1.0');
    expect((await listing())?.scheduled).to.deep.equal([]);

    const events = await db.query<{ event_type: string; ruleset_version: string; actor_role: string; details: Record<string, unknown> }>(
      "select event_type, ruleset_version, actor_role, details from audit_events where event_type like 'ruleset.%' and ruleset_version = '1.1.0' and event_type <> 'ruleset.approved' order by seq",
    );
    expect(events.map((e) => `${e.event_type} ${e.actor_role}`)).to.deep.equal(['ruleset.activation-scheduled clinical-lead', 'ruleset.activated clinical-lead']);
    expect(events[1]?.details).to.deep.equal({ previousVersion: '1.0.0', rollback: false, scheduleId: rows[1]?.schedule_id, effectiveFrom: EFFECTIVE_FROM });
    expect(events[0]?.details).to.include({ scheduleId: rows[1]?.schedule_id, effectiveFrom: EFFECTIVE_FROM, activeVersion: '1.0.0' });
    // One instance carried it out; the other followed it as it follows any activation.
    const switched = lines.map((l) => JSON.parse(l) as { event?: string; scheduleId?: string }).filter((l) => l.event === 'ruleset.switched');
    expect(switched.map((l) => l.scheduleId ?? 'followed')).to.have.members([rows[1]?.schedule_id, 'followed']);
  });

  it('is cancelled by a clinical lead, and then never switches on; a second cancellation is 409 NOT_SCHEDULED', async () => {
    now = Date.parse('2026-12-03T10:00:00Z');
    const rulesDir2 = await ruleSetCopies(() => undefined, futureDraft('1.1.0'));
    const own = await freshDatabase();
    try {
      const registry = await registryFromDatabase(own.db, (await loadValidRuleSets(rulesDir2)).loaded, clock);
      const watch = await watchActivations({ db: own.db, registry, rulesDir: rulesDir2, logger, intervalMs: 3_600_000, clock });
      const t = await testApp({ db: own.db, registry, clock, config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir: rulesDir2 } });
      expect((await t.secondLead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/approvals').send({})).status).to.equal(201);
      expect((await t.lead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/activate').send({ reason: 'June' })).status).to.equal(202);
      const cancelled = await t.lead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/cancel-schedule').send({ reason: ' the pathway starts later ' });
      expect(cancelled.status, JSON.stringify(cancelled.body)).to.equal(200);
      expect(cancelled.body).to.include({ rulesetId: 'msk-triage', version: '1.1.0', effectiveFrom: EFFECTIVE_FROM, cancelledBy: 'Dr C Lead', reason: 'the pathway starts later' });
      expectError(await t.lead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/cancel-schedule').send({ reason: 'again' }), 409, 'NOT_SCHEDULED');
      expectError(await t.lead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/cancel-schedule').send({}), 400, 'REQUEST_INVALID');
      expectError(await t.clinician.post('/api/v1/rulesets/msk-triage/versions/1.1.0/cancel-schedule').send({ reason: 'x' }), 403, 'FORBIDDEN');
      now = LONDON_MIDNIGHT + 3_600_000;
      await watch.checkNow();
      await watch();
      expect(registry.active('msk-triage')?.version).to.equal('1.0.0');
      const events = await own.db.query<{ event_type: string }>("select event_type from audit_events where event_type in ('ruleset.activation-scheduled', 'ruleset.schedule-cancelled', 'ruleset.activated') order by seq");
      expect(events.map((e) => e.event_type)).to.deep.equal(['ruleset.activated', 'ruleset.activation-scheduled', 'ruleset.schedule-cancelled']);
    } finally {
      await own.dispose();
    }
  });

  it('activates before the day only with an override that says why, recorded with the activation', async () => {
    now = Date.parse('2026-12-04T10:00:00Z');
    expectError(await activate('1.2.0', { reason: 'x', overrideEffectiveFrom: '  ' }), 400, 'REQUEST_INVALID');
    const res = await activate('1.2.0', { reason: 'urgent fix', overrideEffectiveFrom: 'the June pathway opened early' });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body).to.include({ version: '1.2.0', previousVersion: '1.1.0', activatedBy: 'Dr C Lead' });
    expect(registryA.active('msk-triage')?.version).to.equal('1.2.0');
    expect((await activations()).at(-1)).to.include({ version: '1.2.0', effective_from_override: 'the June pathway opened early', schedule_id: null });
    const [event] = await db.query<{ details: Record<string, unknown> }>("select details from audit_events where event_type = 'ruleset.activated' and ruleset_version = '1.2.0'");
    expect(event?.details).to.deep.equal({ previousVersion: '1.1.0', rollback: false, effectiveFrom: EFFECTIVE_FROM, beforeEffectiveFrom: true });
  });

  it('answers /readyz with the switched version on the other instance too', async () => {
    await checkEverywhere();
    expect(registryB.active('msk-triage')?.version).to.equal('1.2.0');
    expect((await request(a.app).get('/readyz')).body.ruleset.version).to.equal('1.2.0');
  });
});

describe('msk-triage rules activate before effectiveFrom, and rules cancel-schedule', function () {
  this.timeout(120_000);

  it('schedules, lists and cancels at the command line; --override-effective-from activates at once', async () => {
    const { db, dispose } = await freshDatabase();
    try {
      const rulesDir = await ruleSetCopies(() => undefined, futureDraft('1.1.0'));
      const cli = inProcessCli({ db, env: { RULES_DIR: rulesDir }, clock: () => new Date('2026-12-02T10:00:00Z'), checkerSearchSize: 300 });
      expect((await cli('rules', 'approve', 'msk-triage', '1.1.0', '--name', 'Dr B Lead', '--role', 'clinical lead')).status).to.equal(0);
      const scheduled = await cli('rules', 'activate', 'msk-triage', '1.1.0', '--by', 'Dr C Lead', '--reason', 'June pathway');
      expect(scheduled.status, scheduled.stdout + scheduled.stderr).to.equal(0);
      expect(scheduled.stdout).to.contain('scheduled msk-triage 1.1.0 to be activated on 2027-06-01 (its effectiveFrom), at the start of that day in Europe/London');
      expect((await cli('rules', 'list')).stdout).to.contain('scheduled: activates on 2027-06-01');
      const cancelled = await cli('rules', 'cancel-schedule', 'msk-triage', '1.1.0', '--by', 'Dr C Lead', '--reason', 'later');
      expect(cancelled.stdout).to.equal('cancelled the activation of msk-triage 1.1.0 scheduled for 2027-06-01; the active version is unchanged\n');
      const again = await cli('rules', 'cancel-schedule', 'msk-triage', '1.1.0', '--by', 'Dr C Lead', '--reason', 'later');
      expect(again.status).to.equal(1);
      expect(again.stdout).to.equal('nothing cancelled: This rule-set version has no scheduled activation to cancel.\n');
      expect((await cli('rules', 'list')).stdout).to.not.contain('scheduled:');
      const now = await cli('rules', 'activate', 'msk-triage', '1.1.0', '--by', 'Dr C Lead', '--reason', 'June pathway', '--override-effective-from', 'opened early');
      expect(now.stdout).to.contain('activated msk-triage 1.1.0 (was 1.0.0)');
      expect((await cli('rules', 'list')).stdout).to.match(/^msk-triage: active 1\.1\.0$/m);
    } finally {
      await dispose();
    }
  });
});
