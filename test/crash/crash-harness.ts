/**
 * Crash safety: start the service, submit referrals from several concurrent clients (each with its
 * own Idempotency-Key), kill the service with SIGKILL mid-load, restart it, and check that every
 * referral acknowledged with 201 or 202 is there. Submissions cut off without an answer are retried
 * with the same key after the restart, as a GP system would: each must be answered, once. At the
 * end the audit chain is verified by the command line. Only 127.0.0.1; bounded in time and count.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { syntheticReferrals } from '../../src/referrals/synthetic-referrals.js';

export interface CrashOptions {
  kills: number;
  clients: number;
  /** the service's storage: DATA_DIR for PGlite, or a DATABASE_URL */
  env: Record<string, string>;
  /** random kill time, after the service is ready */
  killAfterMs: [number, number];
  log?: (line: string) => void;
}

export interface CrashReport {
  kills: number;
  acknowledged: number;
  lost: string[];
  cutOff: number;
  cutOffFoundCommitted: number;
  retriedAnswered: number;
  auditVerify: string;
  auditOk: boolean;
}

interface Submission {
  key: string;
  body: object;
}

async function startService(env: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
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

async function post(base: string, s: Submission): Promise<{ status: number; id?: string } | undefined> {
  try {
    const res = await fetch(`${base}/api/v1/referrals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': s.key },
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
  const bodies = syntheticReferrals(5000, 99);
  let next = 0;
  const acknowledged = new Map<string, string>(); // key -> referral id
  const cutOff: Submission[] = [];

  for (let round = 1; round <= options.kills; round++) {
    const { child, base } = await startService(options.env);
    let stop = false;
    const clients = Array.from({ length: options.clients }, async () => {
      while (!stop) {
        const submission = { key: randomUUID(), body: bodies[next++ % bodies.length] as object };
        const answer = await post(base, submission);
        if (answer && (answer.status === 201 || answer.status === 202) && answer.id) acknowledged.set(submission.key, answer.id);
        else if (!answer) cutOff.push(submission);
        else if (answer.status >= 500) cutOff.push(submission);
      }
    });
    const [min, max] = options.killAfterMs;
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
      const res = await fetch(`${base}/api/v1/referrals/${id}`);
      if (res.status !== 200) lost.push(`${id} (key ${key})`);
      await res.arrayBuffer();
    }
    for (const submission of cutOff) {
      const res = await fetch(`${base}/api/v1/referrals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': submission.key },
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
  const verify = spawnSync(process.execPath, ['src/cli/bin.js', 'audit', 'verify'], { env: { ...process.env, ...options.env }, encoding: 'utf8' });
  return {
    kills: options.kills,
    acknowledged: acknowledged.size,
    lost,
    cutOff: cutOff.length,
    cutOffFoundCommitted,
    retriedAnswered,
    auditVerify: verify.stdout.trim(),
    auditOk: verify.status === 0,
  };
}
