/**
 * Drafts never block the service: a broken draft is left out at start-up, with an error line naming
 * the file and the problem and /readyz saying so (still 200), while a broken released version still
 * stops it; new and changed draft folders are picked up without a restart (the watch's check, or
 * `msk-triage rules reload`); and approve, simulate, activate and `?version=` refuse a version the
 * service has not loaded, saying why. The service runs in-process (startService) on a database of
 * its own; its periodic check is also made by hand (checkRuleSets), so that nothing waits on a timer.
 */
import { expect } from 'chai';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { loadValidRuleSets } from '../../src/rules/rule-set-loader.js';
import { scanRulesFolder } from '../../src/rules/rules-folder-scan.js';
import { reloadDrafts } from '../../src/rulesets/draft-reload.js';
import { registryFromDatabase } from '../../src/rulesets/rule-set-lifecycle.js';
import { startService, StartupError, type RunningService } from '../../src/service.js';
import type { Database } from '../../src/store/database.js';
import { inProcessCli } from '../support/cli.js';
import { expectError, issuesOf } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { asVersion, ruleSetCopies, unchanged, type Copy } from '../support/rule-set-copies.js';
import { freshDatabase } from '../support/test-database.js';
import { capturingLogger, GENEROUS_LIMITS, testApp } from '../support/test-app.js';
import { runAuditKey } from '../support/audit-key.js';

const withBmiRule = (version: string) => (copy: Copy) => {
  asVersion(version, 'draft')(copy);
  copy.ruleset.rules[0].conditions = { all: [{ fact: 'bmi', operator: 'greaterThan', value: 40 }] };
};
const BMI_PROBLEM = /msk-triage\/(1\.[12]\.0)\/ruleset\.json: rule MSK-E01 \/conditions\/all\/0: fact "bmi" is recorded only/;

async function start(db: Database, rulesDir: string) {
  const { logger, lines } = capturingLogger();
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', RULES_DIR: rulesDir, ...runAuditKey() });
  const service = await startService(config, { logger, notice: () => undefined, db, app: { rateLimits: GENEROUS_LIMITS, checkerSearchSize: 300 } });
  return { service, lines, events: (name: string) => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === name) };
}

interface LeftOut { id: string; version: string; problems: string[]; problemCount: number }
/** What these tests read of an answer. */
interface Answer {
  ruleset?: { version: string };
  leftOut?: LeftOut[];
  rulesets?: Array<{ leftOut: LeftOut[] }>;
}

async function call(service: RunningService, token: string | undefined, method: 'GET' | 'POST', url: string, body?: object) {
  const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`http://127.0.0.1:${service.port}${url}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as Answer };
}

/** Copies rules/<id>/1.0.0 of `rulesDir` to another version folder, changed by `change`. */
function copyVersion(rulesDir: string, version: string, change: (ruleset: RuleSet) => void = () => undefined): string {
  const dir = path.join(rulesDir, 'msk-triage', version);
  cpSync(path.join(rulesDir, 'msk-triage', '1.0.0'), dir, { recursive: true });
  const ruleset = JSON.parse(readFileSync(path.join(dir, 'ruleset.json'), 'utf8')) as RuleSet;
  Object.assign(ruleset, { version, status: 'draft', changeLog: [...ruleset.changeLog, { version, date: '2026-11-22', summary: 'a try' }] });
  change(ruleset);
  writeFileSync(path.join(dir, 'ruleset.json'), JSON.stringify(ruleset, null, 2));
  writeFileSync(path.join(dir, 'cases.json'), readFileSync(path.join(dir, 'cases.json'), 'utf8').replace('"version": "1.0.0"', `"version": "${version}"`));
  return dir;
}
const breakRule = (ruleset: RuleSet) => {
  ruleset.rules[0].conditions = { all: [{ fact: 'bmi', operator: 'greaterThan', value: 40 }] };
};

describe('drafts, as the running service sees them', function () {
  this.timeout(120_000);
  let own: Awaited<ReturnType<typeof freshDatabase>>;
  beforeEach(async () => (own = await freshDatabase()));
  afterEach(async () => own.dispose());

  const tokenOf = async (role: string, name: string) => {
    const result = await inProcessCli({ db: own.db })('token', 'create', '--role', role, '--name', name);
    expect(result.status, result.stderr).to.equal(0);
    return result.stdout.trimEnd().split('\n').at(-1) ?? '';
  };

  it('starts with a broken draft left out, logging the file and the problem, and /readyz lists it (still 200)', async () => {
    const rulesDir = await ruleSetCopies(unchanged, withBmiRule('1.2.0'));
    const { service, events } = await start(own.db, rulesDir);
    try {
      const [line] = events('ruleset.draft-left-out');
      expect(line).to.include({ level: 'error', rulesetId: 'msk-triage', version: '1.2.0', problemCount: 1 });
      expect(line?.file).to.match(/msk-triage\/1\.2\.0\/ruleset\.json$/);
      expect(line?.message).to.match(BMI_PROBLEM);
      expect((line?.problems as string[])[0]).to.match(BMI_PROBLEM);
      const ready = await call(service, undefined, 'GET', '/readyz');
      expect(ready.status).to.equal(200);
      expect(ready.body.ruleset?.version).to.equal('1.0.0');
      expect(ready.body.leftOut).to.have.length(1);
      expect(ready.body.leftOut?.[0]).to.include({ id: 'msk-triage', version: '1.2.0', problemCount: 1 });
      expect(ready.body.leftOut?.[0]?.problems[0]).to.match(BMI_PROBLEM);
    } finally {
      await service.stop('SIGTERM');
    }
  });

  it('starts beside a new rule set whose versions are all drafts, leaving it out and saying why', async () => {
    const rulesDir = await ruleSetCopies(unchanged, (copy) => {
      asVersion('0.1.0', 'draft')(copy);
      copy.ruleset.id = 'msk-paediatrics';
      copy.cases.ruleset = 'msk-paediatrics';
    });
    const { service, events } = await start(own.db, rulesDir);
    try {
      const [line] = events('ruleset.draft-left-out');
      expect(line).to.include({ level: 'error', rulesetId: 'msk-paediatrics', version: '0.1.0' });
      expect(line?.message).to.match(/msk-paediatrics\/0\.1\.0\/ruleset\.json: rule set msk-paediatrics has no active version/);
      const ready = await call(service, undefined, 'GET', '/readyz');
      expect(ready.status).to.equal(200);
      expect(ready.body.ruleset?.version).to.equal('1.0.0');
      expect(ready.body.leftOut?.map((entry: { id: string }) => entry.id)).to.deep.equal(['msk-paediatrics']);
      // The commands run beside it too.
      const cli = await inProcessCli({ db: own.db, env: { RULES_DIR: rulesDir } })('rules', 'list');
      expect(cli.status, cli.stderr).to.equal(0);
      expect(cli.stdout).to.match(/^ {2}1\.0\.0 +active/m);
    } finally {
      await service.stop('SIGTERM');
    }
  });

  it('still refuses to start on a broken released version, naming the file and the problem', async () => {
    const rulesDir = await ruleSetCopies(unchanged, asVersion('1.1.0', 'draft'));
    const cli = inProcessCli({ db: own.db, env: { RULES_DIR: rulesDir }, checkerSearchSize: 300 });
    expect((await cli('rules', 'approve', 'msk-triage', '1.1.0', '--name', 'Dr B Lead', '--role', 'clinical lead')).status).to.equal(0);
    expect((await cli('rules', 'activate', 'msk-triage', '1.1.0', '--by', 'Dr C Lead', '--reason', 'audit')).status).to.equal(0);
    // 1.0.0 is now retired, and its file (which still says "active") breaks
    const file = path.join(rulesDir, 'msk-triage', '1.0.0', 'ruleset.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"rules": [', '"rules": [,'));
    const error = await start(own.db, rulesDir).then(
      async ({ service }) => { await service.stop('test'); throw new Error('the service started'); },
      (e: unknown) => e as StartupError,
    );
    expect(error).to.be.instanceOf(StartupError);
    expect(error.message).to.match(/rule sets failed to load:\n {2}.*msk-triage\/1\.0\.0\/ruleset\.json: is not valid JSON/);
  });

  it('refuses to start when a version scheduled for activation has changed since, naming the file and both hashes', async () => {
    const rulesDir = await ruleSetCopies(unchanged, (copy: Copy) => {
      asVersion('1.1.0', 'draft')(copy);
      copy.ruleset.effectiveFrom = '2027-06-01';
    });
    const cli = inProcessCli({ db: own.db, env: { RULES_DIR: rulesDir }, clock: () => new Date('2026-12-02T10:00:00Z'), checkerSearchSize: 300 });
    expect((await cli('rules', 'approve', 'msk-triage', '1.1.0', '--name', 'Dr B Lead', '--role', 'clinical lead')).status).to.equal(0);
    expect((await cli('rules', 'activate', 'msk-triage', '1.1.0', '--by', 'Dr C Lead', '--reason', 'June')).stdout).to.match(/^scheduled msk-triage 1\.1\.0/);
    const file = path.join(rulesDir, 'msk-triage', '1.1.0', 'ruleset.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Physiotherapy first.', 'Physiotherapy first, edited.'));
    const error = await start(own.db, rulesDir).then(
      async ({ service }) => { await service.stop('test'); throw new Error('the service started'); },
      (e: unknown) => e as StartupError,
    );
    expect(error.message).to.match(/msk-triage\/1\.1\.0\/ruleset\.json: version 1\.1\.0 is scheduled to be activated on 2027-06-01 with content hash [0-9a-f]{64}, but the file now hashes to [0-9a-f]{64}: undo the change, or cancel the schedule/);
  });

  it('picks up a new draft without a restart, triaging with it as soon as it passes its checks', async () => {
    const rulesDir = await ruleSetCopies(unchanged);
    const token = await tokenOf('triage-clinician', 'Nurse T Clinician');
    const { service, events } = await start(own.db, rulesDir);
    try {
      copyVersion(rulesDir, '1.1.0');
      await service.checkRuleSets();
      const tried = await call(service, token, 'POST', '/api/v1/triage?version=1.1.0', aReferral());
      expect(tried.status, JSON.stringify(tried.body)).to.equal(200);
      expect(tried.body.ruleset?.version).to.equal('1.1.0');
      expect(events('ruleset.draft-loaded')[0]).to.include({ rulesetId: 'msk-triage', version: '1.1.0', replaced: false });

      // broken while the service runs: left out, and said so; fixed: back
      const dir = path.join(rulesDir, 'msk-triage', '1.1.0');
      const good = readFileSync(path.join(dir, 'ruleset.json'), 'utf8');
      copyVersion(rulesDir, '1.1.0', breakRule);
      await service.checkRuleSets();
      expect((await call(service, token, 'POST', '/api/v1/triage?version=1.1.0', aReferral())).status).to.equal(404);
      const ready = await call(service, undefined, 'GET', '/readyz');
      expect(ready.status).to.equal(200);
      expect(ready.body.leftOut?.map((v) => v.version)).to.deep.equal(['1.1.0']);
      expect(events('ruleset.draft-left-out')[0]?.message).to.match(BMI_PROBLEM);
      writeFileSync(path.join(dir, 'ruleset.json'), good);
      await service.checkRuleSets();
      expect((await call(service, token, 'POST', '/api/v1/triage?version=1.1.0', aReferral())).body.ruleset?.version).to.equal('1.1.0');
      expect((await call(service, undefined, 'GET', '/readyz')).body.leftOut).to.deep.equal([]);
    } finally {
      await service.stop('SIGTERM');
    }
  });

  it('reads every folder again at its next check after msk-triage rules reload, which says what it found', async () => {
    const rulesDir = await ruleSetCopies(unchanged, withBmiRule('1.2.0'));
    const { service, events } = await start(own.db, rulesDir);
    try {
      copyVersion(rulesDir, '1.1.0');
      const reload = await inProcessCli({ db: own.db, env: { RULES_DIR: rulesDir } })('rules', 'reload');
      expect(reload.status, reload.stderr).to.equal(0);
      expect(reload.stdout).to.match(/^msk-triage 1\.1\.0: passes its checks \(content hash [0-9a-f]{12}\)$/m);
      expect(reload.stdout).to.match(/^msk-triage 1\.2\.0: fails its checks; a running service leaves it out \(a draft\) or keeps the version it has \(a released one\):\n {2}.*bmi/m);
      expect(reload.stdout).to.match(/^reload requested \(#\d+\): every running service reads .* again at its next check/m);
      await service.checkRuleSets();
      expect(events('ruleset.reloaded')).to.have.length.greaterThanOrEqual(1);
      expect(service.registry.get('msk-triage', '1.1.0')).to.not.equal(undefined);
      expect(service.registry.leftOut().map((v) => v.version)).to.deep.equal(['1.2.0']);
    } finally {
      await service.stop('SIGTERM');
    }
  });

  it('lists the drafts left out in GET /api/v1/rulesets and msk-triage rules list', async () => {
    const rulesDir = await ruleSetCopies(unchanged, withBmiRule('1.2.0'));
    const lead = await tokenOf('clinical-lead', 'Dr C Lead');
    const { service } = await start(own.db, rulesDir);
    try {
      const list = await call(service, lead, 'GET', '/api/v1/rulesets');
      expect(list.body.rulesets?.[0]?.leftOut).to.have.length(1);
      expect(list.body.rulesets?.[0]?.leftOut[0]).to.include({ version: '1.2.0', problemCount: 1 });
      const cli = await inProcessCli({ db: own.db, env: { RULES_DIR: rulesDir } })('rules', 'list');
      expect(cli.stdout).to.match(/^ {2}1\.2\.0 +left out: fails its checks \(1 problem\)\n {12}.*bmi/m);
      expect(cli.stdout).to.match(/^ {2}1\.0\.0 +active +effective from 2026-11-22/m);
    } finally {
      await service.stop('SIGTERM');
    }
  });
});

describe('approving, simulating and activating a version the service has not loaded', function () {
  this.timeout(120_000);

  it('is refused with 404 and why until the service has read the folder, and then goes ahead', async () => {
    const { db, dispose } = await freshDatabase();
    try {
      const rulesDir = await ruleSetCopies(unchanged);
      const registry = await registryFromDatabase(db, (await loadValidRuleSets(rulesDir)).loaded, () => new Date());
      const t = await testApp({ db, registry, config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir } });
      const scan = await scanRulesFolder(rulesDir);
      // written after the service read the folder
      copyVersion(rulesDir, '1.1.0');
      const at = (action: string) => `/api/v1/rulesets/msk-triage/versions/1.1.0/${action}`;
      const answers = [
        await t.secondLead.post(at('approvals')).send({}),
        await t.lead.post(at('simulate')).send({}),
        await t.lead.post(at('activate')).send({ reason: 'audit' }),
      ];
      for (const res of answers) {
        expectError(res, 404, 'RULESET_VERSION_NOT_FOUND');
        expect(issuesOf(res)).to.have.length(1);
        expect(issuesOf(res)[0]?.message).to.match(/msk-triage\/1\.1\.0 is not loaded by this service yet: a running service loads a new or changed draft folder within seconds .* or at once after `msk-triage rules reload`; try again then$/);
      }
      expectError(await t.clinician.post('/api/v1/triage?version=1.1.0').send(aReferral()), 404, 'RULESET_VERSION_NOT_FOUND');
      expect(await db.query('select * from ruleset_approvals')).to.deep.equal([]);

      const { logger } = capturingLogger();
      const reloaded = await reloadDrafts({ registry, rulesDir, logger }, scan);
      expect((await t.secondLead.post(at('approvals')).send({})).status).to.equal(201);
      expect((await t.lead.post(at('simulate')).send({})).status).to.equal(200);

      // changed again after it was loaded: refused until read again, so that what is approved is what is served
      copyVersion(rulesDir, '1.1.0', (ruleset) => { ruleset.description = `${String(ruleset.description)} Changed.`; });
      const changed = await t.secondLead.post(at('approvals')).send({});
      expectError(changed, 409, 'ACTIVATION_REFUSED');
      expect(issuesOf(changed).map((i) => i.message).join('\n')).to.match(/msk-triage\/1\.1\.0 changed since this service loaded it \(content hash [0-9a-f]{64}, now [0-9a-f]{64}\)/);
      expectError(await t.lead.post(at('simulate')).send({}), 409, 'RULESET_VERSION_INVALID');
      await reloadDrafts({ registry, rulesDir, logger }, reloaded);
      expect((await t.secondLead.post(at('approvals')).send({})).status).to.equal(201);
      const activated = await t.lead.post(at('activate')).send({ reason: 'audit' });
      expect(activated.status, JSON.stringify(activated.body)).to.equal(200);
    } finally {
      await dispose();
    }
  });
});
