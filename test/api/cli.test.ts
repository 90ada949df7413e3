/**
 * The command line as an operator runs it (`npx msk-triage …`), on an embedded database in a
 * temporary DATA_DIR: generate synthetic referrals, verify the audit chain, replay, and find the
 * row someone edited behind the service's back.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openPglite } from '../../src/store/database.js';
import { tempDir } from '../support/temp-dirs.js';

function cli(dataDir: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['src/cli/bin.js', ...args], {
    env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the msk-triage command line', function () {
  this.timeout(120_000);
  const dataDir = tempDir('msk-cli-');

  it('generates synthetic referrals through the submission path', () => {
    const result = cli(dataDir, 'referrals', 'generate', '--count', '40', '--seed', '5');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^submitted 40 synthetic referrals \(seed 5\)/);
  });

  it('verifies the whole audit chain and prints its head', () => {
    const result = cli(dataDir, 'audit', 'verify');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^audit chain verified: all 81 rows; head 81:[0-9a-f]{64}/); // 40 referrals × 2 events + the first activation
  });

  it('replays every stored referral to the same decision', () => {
    const result = cli(dataDir, 'referrals', 'replay', '--all');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.contain('replayed 40: 40 matched, 0 differ, 0 unavailable');
  });

  it('names the first broken row after an edit in the database, and exits 1', async () => {
    const db = await openPglite(dataDir);
    await db.exec("alter table audit_events disable trigger user; update audit_events set actor = 'mallory' where seq = 12; alter table audit_events enable trigger user;");
    await db.close();
    const result = cli(dataDir, 'audit', 'verify');
    expect(result.status).to.equal(1);
    expect(result.stdout).to.contain('audit chain BROKEN at row 12: row 12 was changed after it was written');
  });

  it('explains its usage and exits 2 for a wrong command', () => {
    const result = cli(dataDir, 'audit', 'verfy');
    expect(result.status).to.equal(2);
    expect(result.stderr).to.contain('usage:');
    expect(cli(dataDir, 'referrals', 'generate', '--count', 'many').status).to.equal(2);
  });
});

describe('the msk-triage rules commands', function () {
  this.timeout(60_000);
  const run = (...args: string[]) => spawnSync(process.execPath, ['src/cli/bin.js', ...args], { encoding: 'utf8', timeout: 60_000 });

  it('rules test: passes every shipped version, with a coverage line', () => {
    const result = run('rules', 'test');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/rules\/msk-triage\/1\.0\.0: 80 cases, 80 passed, 0 failed/);
    expect(result.stdout).to.match(/coverage: rules fired by a case 26\/26; routes reached 19\/20 \(never: community \/ routine \/ msk-triage-clinician\)/);
  });

  it('rules test: prints a failing case as expected vs actual with the rules that fired, and exits 1', async () => {
    const { ruleSetCopies } = await import('../support/rule-set-copies.js');
    const dir = await ruleSetCopies((copy) => {
      const e06 = copy.ruleset.rules.find((r) => r.id === 'MSK-E06');
      if (e06) e06.route.urgency = 'urgent';
    });
    const result = run('rules', 'test', dir);
    expect(result.status).to.equal(1);
    expect(result.stdout).to.contain('FAIL E06-gca-age-72');
    expect(result.stdout).to.contain('expected secondary / emergency / rheumatology-same-day, review not required; fires MSK-E06, MSK-R10');
    expect(result.stdout).to.contain('actual   secondary / urgent / rheumatology-same-day, review not required; fired MSK-E06, MSK-R10');
  });

  it('rules diff: shows what changed from 1.0.0 to 1.1.0', () => {
    const result = run('rules', 'diff', 'msk-triage', '1.0.0', '1.1.0');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.contain('condition all[1]: history.nonSurgicalCareWeeks < 6  →  history.nonSurgicalCareWeeks < 8');
    const json = JSON.parse(run('rules', 'diff', 'msk-triage', '1.0.0', '1.1.0', '--json').stdout) as { changed: Array<{ id: string }> };
    expect(json.changed.map((c) => c.id)).to.deep.equal(['MSK-R10', 'MSK-R11']);
  });
});

describe('a clinical lead’s way from a new version to activation, on the command line', function () {
  this.timeout(180_000);

  it('checks, simulates, approves and activates 1.1.0 while a broken 1.2.0 draft sits beside it', () => {
    // the shipped 1.0.0 and 1.1.0, and a 1.2.0 copied from 1.1.0 and broken
    const rulesDir = tempDir('msk-lead-rules-');
    cpSync('rules/msk-triage', path.join(rulesDir, 'msk-triage'), { recursive: true });
    const v120 = path.join(rulesDir, 'msk-triage', '1.2.0');
    cpSync(path.join(rulesDir, 'msk-triage', '1.1.0'), v120, { recursive: true });
    const ruleset = JSON.parse(readFileSync(path.join(v120, 'ruleset.json'), 'utf8')) as { version: string; changeLog: object[]; rules: Array<{ conditions: object }> };
    ruleset.version = '1.2.0';
    ruleset.changeLog.push({ version: '1.2.0', date: '2026-11-22', summary: 'try' });
    const [first] = ruleset.rules;
    if (first) first.conditions = { all: [{ fact: 'smoker', operator: 'equal', value: true }] };
    writeFileSync(path.join(v120, 'ruleset.json'), JSON.stringify(ruleset));
    writeFileSync(path.join(v120, 'cases.json'), readFileSync(path.join(v120, 'cases.json'), 'utf8').replace('"version": "1.1.0"', '"version": "1.2.0"'));
    const dataDir = tempDir('msk-lead-');
    const run = (...args: string[]) => spawnSync(process.execPath, ['src/cli/bin.js', ...args], { env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', RULES_DIR: rulesDir }, encoding: 'utf8', timeout: 120_000 });

    const check = run('rules', 'check');
    expect(check.status).to.equal(1);
    expect(check.stdout).to.match(/1\.2\.0\/ruleset\.json: rule MSK-E01 \/conditions\/all\/0: fact "smoker" is recorded only/);
    expect(check.stdout).to.match(/msk-triage\/1\.1\.0: 0 errors, 0 warnings/);

    expect(run('referrals', 'generate', '--count', '300', '--seed', '21').status).to.equal(0);
    const simulate = run('rules', 'simulate', 'msk-triage', '--from', '1.0.0', '--to', '1.1.0');
    expect(simulate.status, simulate.stderr).to.equal(0);
    expect(simulate.stdout).to.match(/msk-triage 1\.0\.0 → 1\.1\.0: 300 referrals/);
    expect(simulate.stdout, simulate.stdout).to.match(/community \/ routine\s+physio \/ routine\s+\d+/);

    expect(run('rules', 'activate', 'msk-triage', '1.1.0', '--by', 'Dr C Lead', '--reason', 'audit').status).to.equal(1);
    expect(run('rules', 'approve', 'msk-triage', '1.1.0', '--name', 'Dr B Lead', '--role', 'clinical lead').status).to.equal(0);
    const activate = run('rules', 'activate', 'msk-triage', '1.1.0', '--by', 'Dr C Lead', '--reason', 'interface audit');
    expect(activate.status, activate.stdout + activate.stderr).to.equal(0);
    expect(activate.stdout).to.contain('activated msk-triage 1.1.0 (was 1.0.0)');

    const broken = run('rules', 'activate', 'msk-triage', '1.2.0', '--by', 'Dr C Lead', '--reason', 'try');
    expect(broken.status).to.equal(1);
    expect(broken.stdout).to.contain('activation refused; msk-triage 1.2.0 is not active');
    expect(run('audit', 'verify').stdout).to.match(/^audit chain verified/);
  });
});
