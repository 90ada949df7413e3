/**
 * The service as an operator runs it, as a real process: `node dist/main.js` (the compiled build `npm start` runs), its
 * callers holding tokens issued by the command line (`node src/cli/bin.js token create`) in the same
 * data folder. A handful of tests, for the wiring only: exit codes, signals, one data folder shared by
 * two processes. What the service does at start-up is tested in this process (test/api/service.test.ts).
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import { IN_MEMORY, openPglite } from '../../src/store/database.js';
import { issueTokenWithCli } from '../support/cli-tokens.js';
import { aReferral } from '../support/referral-factory.js';
import { ruleSetCopies, type Copy } from '../support/rule-set-copies.js';
import { tempDir } from '../support/temp-dirs.js';

interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startService(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['dist/main.js'], {
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

/** The status of a GET of `path` on a connection of its own (a pooled one may be closed by a draining service). */
const statusOn = (port: number, path: string) => new Promise<number>((resolve, reject) => {
  http.get({ host: '127.0.0.1', port, path, agent: false }, (response) => {
    response.resume();
    resolve(response.statusCode ?? 0);
  }).on('error', reject);
});

const errorCode = (answer: { body: Record<string, unknown> }) => (answer.body.error as { code?: string } | undefined)?.code;

/** The reasons of the `auth.failed` events the service logged, in order. */
const authFailures = (started: Started) =>
  started.stdout().split('\n').filter((l) => l.includes('"auth.failed"')).map((l) => (JSON.parse(l) as { reason: string }).reason);

interface LoadAnswer {
  /** the HTTP status, or the client's error code (ECONNREFUSED, ECONNRESET, …) */
  status: number | string;
  id: string;
  connection: string | undefined;
  /** performance.now() when the request was sent */
  sentAt: number;
}

/** POST /api/v1/referrals 20 times a second on keep-alive connections until the service refuses connections; `stop` waits for every answer. */
function submissionsUntilGone(port: number, token: string): { stop: () => Promise<LoadAnswer[]> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const answers: Promise<LoadAnswer>[] = [];
  let refused = false;
  const send = () => new Promise<LoadAnswer>((resolve) => {
    const sentAt = performance.now();
    const body = JSON.stringify(aReferral());
    const request = http.request({ host: '127.0.0.1', port, path: '/api/v1/referrals', method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'idempotency-key': randomUUID() } }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => {
        const id = response.statusCode === 201 ? ((JSON.parse(text) as { id?: string }).id ?? '') : '';
        resolve({ status: response.statusCode ?? 0, id, connection: response.headers.connection, sentAt });
      });
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') refused = true;
      resolve({ status: error.code ?? error.message, id: '', connection: undefined, sentAt });
    });
    request.end(body);
  });
  const timer = setInterval(() => {
    if (refused) clearInterval(timer);
    else answers.push(send());
  }, 50);
  return {
    stop: async () => {
      clearInterval(timer);
      const all = await Promise.all(answers);
      agent.destroy();
      return all;
    },
  };
}

describe('the service process', function () {
  this.timeout(120_000);

  it('refuses to start on a bad setting, naming it, and exits 2', async () => {
    const started = startService({ PORT: 'eighty' });
    expect(await started.exited).to.equal(2);
    expect(started.stderr()).to.contain('PORT must be a whole number');
  });

  it('refuses to start on a rule set that breaks its checks, naming the problem, and exits 1', async () => {
    const rulesDir = await ruleSetCopies((copy: Copy) => {
      copy.ruleset.rules[0].conditions = { all: [{ fact: 'bmi', operator: 'greaterThan', value: 40 }] };
    });
    const started = startService({ RULES_DIR: rulesDir, DATA_DIR: IN_MEMORY });
    expect(await started.exited).to.equal(1);
    expect(started.stderr()).to.match(/^msk-triage: [\s\S]*msk-triage\/1\.0\.0\/ruleset\.json: rule MSK-E01 \/conditions\/all\/0: fact "bmi" is recorded only/);
  });

  it('serves the holders of tokens the command line issued in its data folder; on SIGTERM under load answers /readyz 503 during the shutdown delay while still serving, answers every request it accepted, with Connection: close, then exits 0', async () => {
    const env = { DATA_DIR: tempDir('msk-data-'), DATABASE_URL: '', SHUTDOWN_DELAY_MS: '3000' };
    const gp = await issueTokenWithCli(env, { role: 'gp', name: 'Dr G Practice', practice: 'J82001' });
    const started = startService(env);
    const port = await listeningPort(started);
    const anonymous = await call(port, undefined, 'GET', '/api/v1/referrals');
    expect(anonymous.status).to.equal(401);
    expect(errorCode(anonymous)).to.equal('AUTHENTICATION_REQUIRED');
    expect(anonymous.headers.get('www-authenticate')).to.equal('Bearer realm="msk-triage"');
    const submitted = await call(port, gp.token, 'POST', '/api/v1/referrals', aReferral());
    expect(submitted.status, JSON.stringify(submitted.body.error)).to.equal(201);
    const read = await call(port, gp.token, 'GET', `/api/v1/referrals/${submitted.body.id as string}`);
    expect(read.status).to.equal(200);
    expect(read.body).to.have.all.keys('id', 'status', 'receivedAt', 'updatedAt', 'referral', 'decision'); // the GP's view

    // Submissions keep arriving, 20 a second on keep-alive connections, while the service is told to stop.
    const load = submissionsUntilGone(port, gp.token);
    await new Promise((resolve) => setTimeout(resolve, 600));
    started.child.kill('SIGTERM');
    // During the shutdown delay a load balancer is told to stop sending (/readyz 503, at once), while
    // the service is alive and still serves.
    let readiness = 200;
    for (let i = 0; i < 100 && readiness === 200; i++) readiness = await statusOn(port, '/readyz');
    const drainingSeenAt = performance.now();
    expect(readiness).to.equal(503);
    expect(await statusOn(port, '/healthz')).to.equal(200);
    expect(await started.exited).to.equal(0);
    const answers = await load.stop();
    const answered = answers.filter((a) => a.status === 201);
    expect(answered.length, 'submissions answered before the stop').to.be.greaterThan(4);
    // 503 SERVICE_OVERLOADED is a documented answer (nothing stored) when this machine is busy.
    expect(answers.filter((a) => typeof a.status === 'number' && a.status !== 201 && a.status !== 503), 'answers other than 201 and 503').to.deep.equal([]);
    // Submissions sent while it drained were still stored and answered, each telling the client to
    // close its connection (sent after /readyz said 503, each was read after the signal).
    const sentWhileDraining = answered.filter((a) => a.sentAt > drainingSeenAt);
    const drainingAnswers = answers.filter((a) => a.sentAt > drainingSeenAt).map((a) => a.status);
    expect(sentWhileDraining, `submissions answered during the shutdown delay (all answers sent then: ${drainingAnswers.join(', ')})`).to.not.deep.equal([]);
    expect(sentWhileDraining.filter((a) => a.connection !== 'close')).to.deep.equal([]);
    // No casualties: every referral the service stored was answered to its client (a request refused
    // at the closed door, never read, is one the client knows to send again).
    const db = await openPglite(env.DATA_DIR);
    try {
      const stored = (await db.query<{ id: string }>('select id from referrals')).map((row) => row.id);
      const answeredIds = new Set([submitted.body.id as string, ...answered.map((a) => a.id)]);
      expect(stored.filter((id) => !answeredIds.has(id)), 'stored but never answered').to.deep.equal([]);
      expect(stored.length).to.equal(answeredIds.size);
    } finally {
      await db.close();
    }
    expect(started.stdout()).to.contain('"event":"shutdown.finished"');
    expect(started.stderr()).to.not.contain('no one can call');
    expect(authFailures(started)).to.deep.equal(['no-credentials']);
    expect(started.stdout() + started.stderr()).to.not.contain(gp.token);
  });
});
