/**
 * Every command beside a running service on the embedded database: the service serves its data
 * folder on a socket, and each command connects to it instead of refusing to run. What a command
 * changes (a token issued or revoked, a version approved and activated) is in effect in the
 * service within a second, with nothing restarted, and the service answers throughout.
 */
import { expect } from 'chai';
import { statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../src/config.js';
import { startService, type RunningService } from '../../src/service.js';
import { inProcessCli, type InProcessCli } from '../support/cli.js';
import { aReferral } from '../support/referral-factory.js';
import { version1RulesFolder } from '../support/rule-set-copies.js';
import { capturingLogger, GENEROUS_LIMITS } from '../support/test-app.js';
import { tempDir } from '../support/temp-dirs.js';
import { runAuditKey } from '../support/audit-key.js';

/** Polls `check` until it holds, for at most `ms`; returns how long it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > ms) throw new Error(`not in effect within ${ms} ms`);
    await sleep(25);
  }
  return Date.now() - started;
}

describe('every command beside a running service, on the embedded database', function () {
  this.timeout(60_000);
  let service: RunningService;
  let cli: InProcessCli;
  let base: string;
  const tokens: Record<string, { id: string; token: string }> = {};
  const status = async (token: string, url: string, body?: object) =>
    (await fetch(`${base}${url}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) })).status;
  const activeVersion = async () => ((await (await fetch(`${base}/readyz`)).json()) as { ruleset: { version: string } }).ruleset.version;

  before(async () => {
    const env = { DATA_DIR: tempDir('msk-beside-'), RULES_DIR: await version1RulesFolder() };
    service = await startService(loadConfig({ ...env, PORT: '0', ...runAuditKey() }), { logger: capturingLogger().logger, notice: () => undefined, app: { rateLimits: GENEROUS_LIMITS, checkerSearchSize: 300 } });
    base = `http://127.0.0.1:${service.port}`;
    cli = inProcessCli({ env, checkerSearchSize: 300 });
  });
  after(async () => service?.stop('test'));

  async function issue(key: string, ...args: string[]): Promise<void> {
    const result = await cli('token', 'create', ...args);
    expect(result.status, result.stderr).to.equal(0);
    const lines = result.stdout.trimEnd().split('\n');
    tokens[key] = { id: /^created token (\S+) /.exec(lines[0] ?? '')?.[1] ?? '', token: lines.at(-1) ?? '' };
  }

  it('serves its embedded database on a socket in DATA_DIR that only its user can open', () => {
    const socket = statSync(service.socketPath ?? 'none');
    expect(socket.isSocket()).to.equal(true);
    expect(socket.mode & 0o777).to.equal(0o600);
  });

  it('takes turns between connections by whole queries and transactions: no answer goes to the wrong one', async () => {
    const { db } = service;
    // Each a different statement with its own parameter, so that a statement or a parameter of another connection shows.
    const answers = await Promise.all(Array.from({ length: 400 }, (_, i) => db.query<{ v: string }>(`select $1::text || '/${i}' as v`, [`q${i}`])));
    expect(answers.map((rows) => rows[0]?.v)).to.deep.equal(Array.from({ length: 400 }, (_, i) => `q${i}/${i}`));
    // A transaction holds the database to its end: queries of other connections wait, and never run inside it.
    const inside = db.transaction(async (tx) => {
      await tx.query("select set_config('msk.turn', 'mine', true)");
      await sleep(50);
      return (await tx.query<{ v: string }>("select current_setting('msk.turn', true) as v"))[0]?.v;
    });
    const outside = Promise.all(Array.from({ length: 10 }, () => db.query<{ v: string | null }>("select current_setting('msk.turn', true) as v")));
    expect(await inside).to.equal('mine');
    expect((await outside).map((rows) => rows[0]?.v ?? '')).to.not.include('mine');
  });

  it('a token issued at the command line is served at once', async () => {
    await issue('gp', '--role', 'gp', '--name', 'Dr G Practice', '--practice', 'J82001');
    expect(await status(tokens.gp?.token ?? '', '/api/v1/referrals', aReferral())).to.equal(201);
  });

  it('approve and activate at the command line: the service switches within a second', async () => {
    expect(await activeVersion()).to.equal('1.0.0');
    expect((await cli('rules', 'approve', 'msk-triage', '1.1.0', '--name', 'Dr B Lead', '--role', 'clinical lead')).status).to.equal(0);
    // 1.1.0 takes effect on 2027-01-04: activated now, before its date, with the override that says why
    const activated = await cli('rules', 'activate', 'msk-triage', '1.1.0', '--by', 'Dr C Lead', '--reason', 'interface audit', '--override-effective-from', 'tried beside the service before its date');
    expect(activated.status, activated.stdout + activated.stderr).to.equal(0);
    await within(1_500, async () => (await activeVersion()) === '1.1.0');
  });

  it('a token revoked at the command line is refused within a second', async () => {
    expect((await cli('token', 'revoke', tokens.gp?.id ?? '')).status).to.equal(0);
    await within(1_500, async () => (await status(tokens.gp?.token ?? '', '/api/v1/referrals/00000000-0000-4000-8000-000000000000')) === 401);
  });

  it('audit verify, token list, referrals generate, replay and simulate run beside it, and it answers throughout', async () => {
    const health = (async () => {
      const answers: number[] = [];
      for (let i = 0; i < 20; i++) {
        answers.push((await fetch(`${base}/healthz`)).status);
        await sleep(20);
      }
      return answers;
    })();
    // The GP's referral above is real: synthetic ones beside it take saying so, and asking for them.
    expect((await cli('referrals', 'generate', '--count', '20', '--seed', '3', '--into-real-database')).status).to.equal(0);
    expect((await cli('referrals', 'replay', '--all', '--synthetic', 'include')).stdout).to.contain('0 differ');
    expect((await cli('rules', 'simulate', 'msk-triage', '--from', '1.0.0', '--to', '1.1.0', '--synthetic', 'include')).status).to.equal(0);
    expect((await cli('token', 'list')).stdout).to.contain('Dr G Practice');
    const verify = await cli('audit', 'verify');
    expect(verify.status, verify.stdout).to.equal(0);
    expect(verify.stdout).to.match(/^audit chain verified/);
    expect(new Set(await health)).to.deep.equal(new Set([200]));
  });
});
