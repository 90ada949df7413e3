/**
 * Crash safety: start the service, submit referrals from several concurrent clients (each with its
 * own Idempotency-Key), kill the service with SIGKILL mid-load, restart it, and check that every
 * referral acknowledged with 201 or 202 is there. Submissions cut off without an answer are retried
 * with the same key after the restart, as a GP system would: each must be answered, once. At the
 * end the audit chain is verified by the command line. Only 127.0.0.1; bounded in time and count.
 *
 * The callers are real: before the first start the command line issues a GP token (every referral
 * is sent as from that GP's practice) and a triage clinician's token (who reads the acknowledged
 * referrals back). The rate limits are raised out of the way: this measures the service, not the
 * limiter. Any answer that is neither an acknowledgement nor a 5xx (401, 403, 429, 400...) is
 * counted in `refused`: a run that was refused proves nothing about crashes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { syntheticReferrals } from '../../src/schemas/synthetic-referrals.js';
import { issueTokenWithCli, NO_RATE_LIMITS, runCli } from '../support/cli-tokens.js';

/** The practice every submission is sent from: the GP token's. */
const PRACTICE = 'J82001';

export interface CrashOptions {
  kills: number;
  clients: number;
  /** the service's storage: DATA_DIR for PGlite, or a DATABASE_URL */
  env: Record<string, string>;
  /** random kill time, after the service is ready */
  killAfterMs: [number, number];
  /** Wait until this round has acknowledged this many referrals before the random delay (a loaded machine is slow to start). */
  minAcknowledgedBeforeKill?: number;
  log?: (line: string) => void;
}

export interface CrashReport {
  kills: number;
  acknowledged: number;
  lost: string[];
  cutOff: number;
  cutOffFoundCommitted: number;
  retriedAnswered: number;
  /** answers that were neither 201/202 nor 5xx, by status: should be none */
  refused: Record<string, number>;
  auditVerify: string;
  auditOk: boolean;
}

interface Submission {
  key: string;
  body: object;
}

async function startService(env: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...NO_RATE_LIMITS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  for (let i = 0; i < 1200; i++) {
    const line = out.split('\n').find((l) => l.includes('"startup.listening"'));
    if (line) return { child, base: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the service did not start within 60 s (exit ${String(child.exitCode ?? child.signalCode)}): ${err.slice(-500)}`);
}

/** Waits for a child to end, also when it already has. */
async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await once(child, 'exit');
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function post(base: string, token: string, s: Submission): Promise<{ status: number; id?: string } | undefined> {
  try {
    const res = await fetch(`${base}/api/v1/referrals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': s.key, ...bearer(token) },
      body: JSON.stringify(s.body),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { id?: string };
    return { status: res.status, id: body.id };
  } catch {
    return undefined; // cut off: no answer
  }
}

export async function runCrashTest(options: CrashOptions): Promise<CrashReport> {
  const log = options.log ?? (() => undefined);
  const bodies = syntheticReferrals(5000, 99).map((referral) => ({ ...referral, referrer: { ...referral.referrer, odsCode: PRACTICE } }));
  let next = 0;
  const acknowledged = new Map<string, string>(); // key -> referral id
  const cutOff: Submission[] = [];
  const refused: Record<string, number> = {};
  // The command line in this process (its `main`): what is tested here is the service's process.
  const gp = (await issueTokenWithCli(options.env, { role: 'gp', name: 'crash-test GP', practice: PRACTICE, inProcess: true })).token;
  const clinician = (await issueTokenWithCli(options.env, { role: 'triage-clinician', name: 'crash-test clinician', inProcess: true })).token;

  for (let round = 1; round <= options.kills; round++) {
    const { child, base } = await startService(options.env);
    let stop = false;
    const clients = Array.from({ length: options.clients }, async () => {
      while (!stop) {
        const submission = { key: randomUUID(), body: bodies[next++ % bodies.length] as object };
        const answer = await post(base, gp, submission);
        if (answer && (answer.status === 201 || answer.status === 202) && answer.id) acknowledged.set(submission.key, answer.id);
        else if (!answer) cutOff.push(submission);
        else if (answer.status >= 500) cutOff.push(submission);
        else refused[answer.status] = (refused[answer.status] ?? 0) + 1;
      }
    });
    const [min, max] = options.killAfterMs;
    const before = acknowledged.size;
    const deadline = Date.now() + 60_000;
    while (acknowledged.size - before < (options.minAcknowledgedBeforeKill ?? 0) && Date.now() < deadline && child.exitCode === null) await sleep(50);
    await sleep(min + Math.random() * (max - min));
    child.kill('SIGKILL');
    stop = true; // no new submissions after the kill: those in flight are cut off
    await exited(child);
    await Promise.all(clients);
    log(`round ${round}: killed; ${acknowledged.size} acknowledged so far, ${cutOff.length} cut off`);
  }

  const { child, base } = await startService(options.env);
  const lost: string[] = [];
  let cutOffFoundCommitted = 0;
  let retriedAnswered = 0;
  try {
    for (const [key, id] of acknowledged) {
      const res = await fetch(`${base}/api/v1/referrals/${id}`, { headers: bearer(clinician) });
      if (res.status !== 200) lost.push(`${id} (key ${key})`);
      await res.arrayBuffer();
    }
    for (const submission of cutOff) {
      const res = await fetch(`${base}/api/v1/referrals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': submission.key, ...bearer(gp) },
        body: JSON.stringify(submission.body),
      });
      await res.arrayBuffer();
      if (res.status === 201 || res.status === 202) retriedAnswered += 1;
      if (res.headers.get('idempotency-replayed') === 'true') cutOffFoundCommitted += 1;
    }
  } finally {
    child.kill('SIGTERM');
    await exited(child);
  }
  const verify = await runCli(options.env, ['audit', 'verify'], { inProcess: true });
  return {
    kills: options.kills,
    acknowledged: acknowledged.size,
    lost,
    cutOff: cutOff.length,
    cutOffFoundCommitted,
    retriedAnswered,
    refused,
    auditVerify: verify.stdout.trim(),
    auditOk: verify.status === 0,
  };
}
