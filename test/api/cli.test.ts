/**
 * The command line as an operator runs it (`npx msk-triage …`), on an embedded database in a
 * temporary DATA_DIR: generate synthetic referrals, verify the audit chain, replay, and find the
 * row someone edited behind the service's back.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
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
    expect(result.stdout).to.match(/^audit chain verified: all 80 rows; head 80:[0-9a-f]{64}/);
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
