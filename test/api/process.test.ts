/**
 * The service as an operator runs it: `node --import tsx src/main.ts`. It refuses to start on a
 * broken rule set, naming the file and the problem, and drains and exits cleanly on SIGTERM. Its
 * callers carry bearer tokens issued by the command line (`msk-triage token create`), which it
 * refuses once revoked or expired.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { issueTokenWithCli, runCli } from '../support/cli-tokens.js';
import { aReferral } from '../support/referral-factory.js';
import { asVersion, ruleSetCopies, type Copy } from '../support/rule-set-copies.js';
import { tempDir } from '../support/temp-dirs.js';

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startService(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: tempDir('msk-data-'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function listeningPort(started: Started): Promise<number> {
  for (let i = 0; i < 1200; i++) { // up to 60 s: PGlite's first start in a new folder takes 2–12 s on a loaded machine
    const line = started.stdout().split('\n').find((l) => l.includes('"startup.listening"'));
    if (line) return (JSON.parse(line) as { port: number }).port;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  started.child.kill('SIGKILL');
  throw new Error(`the service did not start: ${started.stderr()}`);
}

/** One request to the service on `port`, as the holder of `token` (none: no Authorization header). */
async function call(port: number, token: string | undefined, method: 'GET' | 'POST', url: string, body?: object): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`http://127.0.0.1:${port}${url}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const errorCode = (answer: { body: Record<string, unknown> }) => (answer.body.error as { code?: string } | undefined)?.code;

/** The reasons of the `auth.failed` events the service logged, in order. */
const authFailures = (started: Started) =>
  started.stdout().split('\n').filter((l) => l.includes('"auth.failed"')).map((l) => (JSON.parse(l) as { reason: string }).reason);

describe('the service process', function () {
  this.timeout(120_000);

  it('refuses to start on a rule set that breaks its checks, naming the file, rule and problem', async () => {
    const rulesDir = await ruleSetCopies((copy: Copy) => {
      copy.ruleset.rules[0].conditions = { all: [{ fact: 'bmi', operator: 'greaterThan', value: 40 }] };
    });
    const started = startService({ RULES_DIR: rulesDir });
    expect(await started.exited).to.equal(1);
    expect(started.stderr()).to.match(/msk-triage\/1\.0\.0\/ruleset\.json: rule MSK-E01 \/conditions\/all\/0: fact "bmi" is recorded only/);
  });

  it('refuses to start after a released version’s file was edited, naming the file', async () => {
    const rulesDir = await ruleSetCopies(() => undefined);
    const dataDir = tempDir('msk-data-');
    const first = startService({ RULES_DIR: rulesDir, DATA_DIR: dataDir });
    await listeningPort(first);
    first.child.kill('SIGTERM');
    expect(await first.exited).to.equal(0);
    const file = path.join(rulesDir, 'msk-triage', '1.0.0', 'ruleset.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('Physiotherapy first.', 'Physiotherapy first, edited.'));
    const second = startService({ RULES_DIR: rulesDir, DATA_DIR: dataDir });
    expect(await second.exited).to.equal(1);
    expect(second.stderr()).to.match(/msk-triage\/1\.0\.0\/ruleset\.json: version 1\.0\.0 was released .* A released version is never edited/);
  });

  it('refuses to start on a bad setting, naming it', async () => {
    const started = startService({ PORT: 'eighty' });
    expect(await started.exited).to.equal(2);
    expect(started.stderr()).to.contain('PORT must be a whole number');
  });

  it('answers /readyz 503 during the shutdown delay while still serving, then exits 0', async () => {
    const started = startService({ SHUTDOWN_DELAY_MS: '1500' });
    const port = await listeningPort(started);
    started.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(503);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
    expect(await started.exited).to.equal(0);
  });

  it('serves with the pinned version and exits 0 after draining on SIGTERM', async () => {
    const rulesDir = await ruleSetCopies(() => undefined, asVersion('1.1.0', 'draft'));
    const started = startService({ RULES_DIR: rulesDir, RULESET_VERSION: '1.1.0' });
    const port = await listeningPort(started);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).to.equal(200);
    expect(((await ready.json()) as { ruleset: { version: string } }).ruleset.version).to.equal('1.1.0');
    started.child.kill('SIGTERM');
    expect(await started.exited).to.equal(0);
    expect(started.stdout()).to.contain('"event":"shutdown.finished"');
    expect(started.stderr(), 'a service with no token says so at start').to.contain('msk-triage: no one can call /api/v1 yet: issue a token with  npx msk-triage token create');
  });

  it('serves the holders of tokens issued by the command line, and refuses a token once revoked or expired', async () => {
    const env = { DATA_DIR: tempDir('msk-data-'), DATABASE_URL: '' };
    const gp = await issueTokenWithCli(env, { role: 'gp', name: 'Dr G Practice', practice: 'J82001' });
    const clinician = await issueTokenWithCli(env, { role: 'triage-clinician', name: 'Nurse T Clinician' });

    const first = startService(env);
    const port = await listeningPort(first);
    const anonymous = await call(port, undefined, 'GET', '/api/v1/referrals');
    expect(anonymous.status).to.equal(401);
    expect(errorCode(anonymous)).to.equal('AUTHENTICATION_REQUIRED');
    expect(anonymous.headers.get('www-authenticate')).to.equal('Bearer realm="msk-triage"');
    const submitted = await call(port, gp.token, 'POST', '/api/v1/referrals', aReferral());
    expect(submitted.status, JSON.stringify(submitted.body.error)).to.equal(201);
    const id = submitted.body.id as string;
    const read = await call(port, gp.token, 'GET', `/api/v1/referrals/${id}`);
    expect(read.status).to.equal(200);
    expect(read.body).to.have.all.keys('id', 'status', 'receivedAt', 'updatedAt', 'referral', 'decision'); // the GP's view
    expect(errorCode(await call(port, gp.token, 'GET', '/api/v1/referrals'))).to.equal('FORBIDDEN');
    const queue = await call(port, clinician.token, 'GET', '/api/v1/referrals');
    expect(queue.status).to.equal(200);
    expect((queue.body.items as Array<{ id: string }>).map((item) => item.id)).to.include(id);
    first.child.kill('SIGTERM');
    expect(await first.exited).to.equal(0);
    expect(first.stderr()).to.not.contain('no one can call');
    expect(authFailures(first)).to.deep.equal(['no-credentials']);

    // With the service stopped (PGlite: one process per data folder): revoke the GP's token, and
    // issue a clinician's token that expires a few seconds from now: twice what a command takes
    // here, so that it is still in the future when the command checks it, on a fast machine or a slow one.
    const revokeStarted = Date.now();
    const revoked = await runCli(env, ['token', 'revoke', gp.id]);
    expect(revoked.status, revoked.stderr).to.equal(0);
    const expiresAt = new Date(Date.now() + Math.max(4_000, 2 * (Date.now() - revokeStarted) + 2_000));
    const shortLived = await issueTokenWithCli(env, { role: 'triage-clinician', name: 'Nurse S Short', expires: expiresAt.toISOString() });

    const second = startService(env);
    const secondPort = await listeningPort(second);
    await sleep(Math.max(0, expiresAt.getTime() - Date.now() + 100));
    const byRevoked = await call(secondPort, gp.token, 'GET', `/api/v1/referrals/${id}`);
    expect(byRevoked.status).to.equal(401);
    expect(errorCode(byRevoked)).to.equal('TOKEN_INVALID');
    const byExpired = await call(secondPort, shortLived.token, 'GET', `/api/v1/referrals/${id}`);
    expect(byExpired.status).to.equal(401);
    expect(errorCode(byExpired)).to.equal('TOKEN_INVALID');
    expect((await call(secondPort, clinician.token, 'GET', `/api/v1/referrals/${id}`)).status, 'a token still valid is served').to.equal(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).to.equal(0);
    expect(authFailures(second)).to.deep.equal(['revoked', 'expired']);
    for (const { token } of [gp, clinician, shortLived]) expect(first.stdout() + first.stderr() + second.stdout() + second.stderr()).to.not.contain(token);
  });
});
