/**
 * Checkpoints of the audit chain's head outside the database: the service appends the head it sees
 * (sequence, hash, time), signed with the audit key, to `audit-checkpoints.jsonl` in
 * AUDIT_CHECKPOINT_DIR at a fixed interval and when it stops. The file lives where the database's
 * users cannot write (another disk, another host's mount). `audit verify --checkpoints DIR` checks
 * every checkpoint against the chain: a row a checkpoint names that is gone or has another hash means
 * the chain was cut, rewritten or re-chained since, whoever held the database.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AuditKeyRing } from './audit-keys.js';

export const CHECKPOINT_FILE = 'audit-checkpoints.jsonl';

export interface Checkpoint {
  seq: number;
  hash: string;
  at: string;
  keyId: string;
  mac: string;
}

const signedText = (seq: number, hash: string, at: string) => `msk-triage audit checkpoint\n${seq}\n${hash}\n${at}`;

/** Appends a signed checkpoint of `head` (one line, to a file that is only ever appended to). */
export async function appendCheckpoint(dir: string, ring: AuditKeyRing, head: { seq: number; hash: string }, at: Date): Promise<Checkpoint> {
  const time = at.toISOString();
  const { keyId, mac } = ring.sign(signedText(head.seq, head.hash, time));
  const checkpoint: Checkpoint = { seq: head.seq, hash: head.hash, at: time, keyId, mac };
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await appendFile(path.join(dir, CHECKPOINT_FILE), `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 });
  return checkpoint;
}

/**
 * Every checkpoint in `dir` against the chain (`hashAt(seq)`: the hash of the row with that seq, if
 * any): one line for each that is not signed by a key of `ring`, or whose row is gone or different.
 */
export async function checkpointProblems(dir: string, ring: AuditKeyRing, hashAt: (seq: number) => Promise<string | undefined>): Promise<{ checked: number; problems: string[]; last?: Checkpoint }> {
  let text: string;
  try {
    text = await readFile(path.join(dir, CHECKPOINT_FILE), 'utf8');
  } catch {
    return { checked: 0, problems: [`${path.join(dir, CHECKPOINT_FILE)} cannot be read`] };
  }
  const problems: string[] = [];
  let last: Checkpoint | undefined;
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  for (const [i, line] of lines.entries()) {
    let checkpoint: Checkpoint;
    try {
      checkpoint = JSON.parse(line) as Checkpoint;
    } catch {
      problems.push(`checkpoint line ${i + 1} is not JSON`);
      continue;
    }
    const { seq, hash, at, keyId, mac } = checkpoint;
    if (typeof mac !== 'string' || typeof keyId !== 'string' || ring.check(signedText(seq, hash, at), keyId, mac) !== 'valid') {
      problems.push(`checkpoint line ${i + 1} (row ${seq}, ${at}) is not signed by the audit key`);
      continue;
    }
    const now = await hashAt(seq);
    if (now === undefined) problems.push(`row ${seq}, checkpointed at ${at}, is gone: the chain was cut`);
    else if (now !== hash) problems.push(`row ${seq} is not the row checkpointed at ${at}: the chain was rewritten or re-chained`);
    last = checkpoint;
  }
  return { checked: lines.length, problems, ...(last ? { last } : {}) };
}

/**
 * Appends a checkpoint every `intervalMs` while the chain's head moves, and once more when stopped;
 * `head()` reads the chain's last row. A checkpoint that cannot be written is logged by `onError`,
 * and the next one tries again: the service never stops for it.
 */
export function checkpointEvery(options: {
  dir: string; intervalMs: number; ring: () => AuditKeyRing | undefined; clock: () => Date;
  head: () => Promise<{ seq: number; hash: string } | undefined>; onError: (error: unknown) => void;
}): { stop: () => Promise<void>; now: () => Promise<void> } {
  let written: string | undefined;
  let running = Promise.resolve();
  const once = async () => {
    const ring = options.ring();
    const head = await options.head();
    if (!ring || !head || written === `${head.seq}:${head.hash}`) return;
    await appendCheckpoint(options.dir, ring, head, options.clock());
    written = `${head.seq}:${head.hash}`;
  };
  const now = () => (running = running.then(once).catch(options.onError));
  const timer = setInterval(() => void now(), options.intervalMs);
  timer.unref();
  return {
    now,
    stop: async () => {
      clearInterval(timer);
      await now();
    },
  };
}
