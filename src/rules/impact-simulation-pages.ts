/**
 * Impact simulation of stored referrals read a page at a time: each page parsed and tallied on this
 * thread as it comes, or, with cores to spare, on a worker thread while the database reads the next
 * one (the embedded database runs on the reading thread), reading and tallying overlapped. A page
 * goes to its thread as the JSON text the database made of it, an array of [id, referral] pairs: no
 * object is cloned between threads. The tallies come back page by page and are added up in page
 * order, so that the ids are listed oldest first, as on one thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Referral } from '../generated/referral.js';
import type { CompiledRuleSet } from './compiled-rule-set.js';
import { mergeTallies, Tallier, type SimulationRequest, type Tally } from './impact-simulation.js';
import { threadExecArgv } from '../domain/threads.js';

/** JSON text of an array of [id, referral] pairs, oldest first: one page of the stored referrals. */
export type ReferralPage = string;

/** At most this many pages per thread are read ahead of the tallies, so that memory stays bounded. */
const PAGES_AHEAD = 2;

/**
 * Threads to tally on besides this one (which reads): one (the reading is the longer part) when there
 * are more than two cores; none on two or fewer. Measured on the 2-core box, which is shared with
 * other work (test/bench/simulation.ts, 100,000 referrals): a tallying thread beside the reading
 * took 2.5 s against 2.7-3.0 s on the reading thread alone while a core was free, but 4.7-5.6 s
 * against 2.9-3.4 s while the machine was busy, at 40-60% more CPU time in all (its start, its own
 * compiled code, a second heap), which a process's share of a busy machine has to pay for.
 */
export const defaultTallyThreads = (): number => (availableParallelism() > 2 ? 1 : 0);

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
      execArgv: threadExecArgv(),
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

/**
 * Compares the two versions on every referral of `pages`, tallying on `threads` threads (none: on
 * this one). A page goes to a thread with fewer than PAGES_AHEAD pages waiting; when every thread has
 * that many (still starting, or short of a core on a busy machine), this thread tallies the page
 * itself rather than wait, unless `helpThreads` is false: so that the threads can make the
 * simulation faster, never much slower.
 */
export async function simulatePages(
  request: SimulationRequest,
  pages: AsyncIterable<ReferralPage>,
  versions: { from: CompiledRuleSet; to: CompiledRuleSet },
  threads = defaultTallyThreads(),
  options: { helpThreads?: boolean } = {},
): Promise<Tally> {
  const here = new Tallier(versions.from, versions.to, request.evaluationDate);
  if (threads === 0) {
    for await (const page of pages) tallyPage(here, page);
    return here.take();
  }
  const workers = Array.from({ length: threads }, () => new TallyThread(request, versions));
  const tallies: Array<Promise<Tally>> = [];
  try {
    for await (const page of pages) {
      const worker = workers.reduce((least, w) => (w.pending < least.pending ? w : least));
      if (worker.pending < PAGES_AHEAD) {
        tallies.push(worker.tally(page));
      } else if (options.helpThreads !== false) {
        tallyPage(here, page);
        tallies.push(Promise.resolve(here.take()));
      } else {
        // Read ahead no further than the threads can keep up with.
        while (workers.every((w) => w.pending >= PAGES_AHEAD)) await Promise.race(workers.map((w) => w.nextReply()));
        tallies.push(workers.reduce((least, w) => (w.pending < least.pending ? w : least)).tally(page));
      }
    }
    return mergeTallies(await Promise.all(tallies));
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}
