/**
 * The servers under test run as child processes, each with its own event loop, so that the load
 * generator in this process never competes with them for one. Only 127.0.0.1 is ever used.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
/** Kept only to explain a failed start; the servers log no referral content. */
const OUTPUT_TAIL_CHARS = 4_000;
const CLOCK_TICKS_PER_SECOND = 100;

export interface ChildServer {
  name: string;
  origin: URL;
  /** Throws when the process has gone: numbers measured against a dead server mean nothing. */
  assertAlive(): void;
  /**
   * The CPU time the process has used so far (user and system, from /proc: Linux only), in
   * seconds: what a request costs whatever else the machine is doing.
   */
  cpuSeconds(): number | undefined;
  /** The process's resident memory (VmRSS, from /proc: Linux only), in megabytes. */
  residentMegabytes(): number | undefined;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// A backstop for a crash that skips the `finally`: no server outlives the bench.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** /proc/<pid>/stat: utime and stime are fields 14 and 15, in clock ticks (100 a second on Linux). */
function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/status: `VmRSS:   123456 kB`. */
function residentMegabytesOf(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function isReady(url: URL): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Starts `node [nodeArgs] <script>` (with `--import tsx` for a TypeScript script) with PORT and HOST
 * set, and waits until `readyPath` answers 200.
 */
export async function startServer(
  name: string,
  script: string,
  readyPath: string,
  options: { cwd: string; env?: Record<string, string>; nodeArgs?: readonly string[]; pollMs?: number },
): Promise<ChildServer> {
  const port = await freePort();
  const origin = new URL(`http://${HOST}:${port}`);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...(script.endsWith('.ts') ? ['--import', 'tsx'] : []), script], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env, PORT: String(port), HOST },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let tail = '';
  const keepTail = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  // Always drained, so that a chatty child never blocks on a full pipe.
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => live.delete(child), () => undefined);

  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const died = () => new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${tail}`);

  const stop = async () => {
    if (gone()) return;
    child.kill('SIGTERM');
    // Unref'd: a child that stops at once must not leave a timer holding the bench open for seconds.
    const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS, undefined, { ref: false }).then(() => false)]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await isReady(new URL(readyPath, origin)))) {
    if (gone()) throw died();
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${tail}`);
    }
    await sleep(options.pollMs ?? 100);
  }
  return {
    name,
    origin,
    assertAlive: () => {
      if (gone()) throw died();
    },
    cpuSeconds: () => (child.pid === undefined ? undefined : cpuSecondsOf(child.pid)),
    residentMegabytes: () => (child.pid === undefined ? undefined : residentMegabytesOf(child.pid)),
    stop,
  };
}
