/**
 * Impact simulation of stored referrals read a page at a time: each page parsed and tallied on a
 * worker thread while the database reads the next one (the embedded database runs on the reading
 * thread), reading and tallying overlapped, or, on one core, on this thread as it comes. A page
 * goes to its thread as the JSON text the database made of it, an array of [id, referral] pairs: no
 * object is cloned between threads. The tallies come back page by page and are added up in page
 * order, so that the ids are listed oldest first, as on one thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Referral } from '../generated/referral.js';
import type { CompiledRuleSet } from './compiled-rule-set.js';
import { mergeTallies, Tallier, type SimulationRequest, type Tally } from './impact-simulation.js';

/** JSON text of an array of [id, referral] pairs, oldest first: one page of the stored referrals. */
export type ReferralPage = string;

/** At most this many pages per thread are read ahead of the tallies, so that memory stays bounded. */
const PAGES_AHEAD = 2;

/**
 * Threads to tally on besides this one (which reads): one, when there is a second core; none on one.
 * One is enough: the reading is the longer part. Measured on the 2-core box (test/bench/simulation.ts,
 * 100,000 referrals): with a core free, 2.5 s against 2.7-3.0 s on the reading thread alone, at
 * about 40% more CPU time in all; on a machine busy with other work, slower than the reading thread
 * alone, as the two threads then share one core. It also keeps a service's event loop free.
 */
export const defaultTallyThreads = (): number => (availableParallelism() > 1 ? 1 : 0);

/** Adds one page's referrals to a tally. */
export function tallyPage(tallier: Tallier, page: ReferralPage): void {
  for (const [id, referral] of JSON.parse(page) as Array<[string, Referral]>) tallier.add(id, referral);
}

/** A thread tallying pages, one reply per page, in the order sent. */
class TallyThread {
  private readonly worker: Worker;
  private readonly waiting: Array<{ tally: Promise<Tally>; resolve: (tally: Tally) => void; reject: (error: unknown) => void }> = [];

  constructor(request: SimulationRequest, versions: { from: CompiledRuleSet; to: CompiledRuleSet }) {
    this.worker = new Worker(new URL('./impact-simulation-worker.js', import.meta.url), {
      workerData: { request, documents: { from: versions.from.document, to: versions.to.document } },
    });
    this.worker.on('message', (tally: Tally) => this.waiting.shift()?.resolve(tally));
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code) => this.failAll(new Error(`simulation worker exited with ${code}`)));
  }

  get pending(): number {
    return this.waiting.length;
  }

  tally(page: ReferralPage): Promise<Tally> {
    let resolve!: (tally: Tally) => void;
    let reject!: (error: unknown) => void;
    const tally = new Promise<Tally>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    tally.catch(() => undefined); // the caller awaits it, in page order
    this.waiting.push({ tally, resolve, reject });
    this.worker.postMessage(page);
    return tally;
  }

  /** Settles when the oldest page sent has its tally (the thread's next reply). */
  nextReply(): Promise<unknown> {
    return this.waiting[0]?.tally ?? Promise.resolve();
  }

  private failAll(error: unknown): void {
    for (const { reject } of this.waiting.splice(0)) reject(error);
  }

  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

/** Compares the two versions on every referral of `pages`, tallying on `threads` threads (none: on this one). */
export async function simulatePages(
  request: SimulationRequest,
  pages: AsyncIterable<ReferralPage>,
  versions: { from: CompiledRuleSet; to: CompiledRuleSet },
  threads = defaultTallyThreads(),
): Promise<Tally> {
  if (threads === 0) {
    const tallier = new Tallier(versions.from, versions.to, request.evaluationDate);
    for await (const page of pages) tallyPage(tallier, page);
    return tallier.take();
  }
  const workers = Array.from({ length: threads }, () => new TallyThread(request, versions));
  const tallies: Array<Promise<Tally>> = [];
  try {
    for await (const page of pages) {
      const worker = workers.reduce((least, w) => (w.pending < least.pending ? w : least));
      tallies.push(worker.tally(page));
      // Read ahead no further than the threads can keep up with.
      while (workers.every((w) => w.pending >= PAGES_AHEAD)) await Promise.race(workers.map((w) => w.nextReply()));
    }
    return mergeTallies(await Promise.all(tallies));
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}
