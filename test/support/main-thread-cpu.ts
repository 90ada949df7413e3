/**
 * The CPU time of this process's main thread (Linux's /proc/<pid>/task/<tid>/schedstat, whose first
 * field is the nanoseconds the thread has run), to time what the code on the main thread costs even
 * on a machine so busy with other work that wall-clock time says more about the machine than about
 * the code: work that holds the event loop for 50 ms takes 50 ms of CPU however long the thread
 * waits for a core. Where the kernel does not say, it is wall-clock time.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const SCHEDSTAT = `/proc/${process.pid}/task/${process.pid}/schedstat`;

const fromKernel = (): number | undefined => {
  try {
    const ns = Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]);
    return Number.isFinite(ns) && ns > 0 ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
};
const measured = fromKernel() !== undefined;

/** Milliseconds of CPU the main thread has used (or, where the kernel does not say, of wall-clock time). */
export function mainThreadCpuMs(): number {
  return measured ? (fromKernel() as number) : performance.now();
}

/**
 * The longest the event loop went without turning, in the main thread's CPU time, sampled every
 * `intervalMs` of wall-clock time until `stop()`: what synchronous work on the main thread makes
 * every request wait.
 */
export function longestStall(intervalMs = 5): { stop: () => number } {
  let last = mainThreadCpuMs();
  let longest = 0;
  const timer = setInterval(() => {
    const now = mainThreadCpuMs();
    longest = Math.max(longest, now - last);
    last = now;
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return longest;
    },
  };
}
