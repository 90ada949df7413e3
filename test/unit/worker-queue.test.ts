/**
 * The queue of one kind of CPU-heavy work in its worker thread: one job at a time, in order; a job
 * whose work fails or whose thread dies is rejected with that error, and the next job gets a new
 * thread; an idle thread is ended.
 */
import { expect } from 'chai';
import { WorkerQueue } from '../../src/rules/worker-queue.js';

/** A thread that answers each job after `ms`, with when it ran and on which thread; or fails as asked. */
const THREAD = new URL(`data:text/javascript,${encodeURIComponent(`
  import { parentPort, threadId } from 'node:worker_threads';
  let running = 0;
  parentPort.on('message', async ({ id, request }) => {
    if (request.exit !== undefined) process.exit(request.exit);
    if (request.fail) return parentPort.postMessage({ id, error: { name: 'RangeError', message: request.fail } });
    running += 1;
    const started = performance.timeOrigin + performance.now();
    await new Promise((resolve) => setTimeout(resolve, request.ms ?? 0));
    parentPort.postMessage({ id, result: { started, ended: performance.timeOrigin + performance.now(), threadId, alongside: running - 1 } });
    running -= 1;
  });
`)}`);

interface Job {
  ms?: number;
  fail?: string;
  exit?: number;
}
interface Ran {
  started: number;
  ended: number;
  threadId: number;
  alongside: number;
}

describe('a worker queue', () => {
  it('runs one job at a time, in the order asked', async () => {
    const queue = new WorkerQueue<Job, Ran>('test', THREAD);
    const ran = await Promise.all([queue.run({ ms: 40 }), queue.run({ ms: 10 }), queue.run({ ms: 20 })]);
    for (const [i, job] of ran.entries()) {
      expect(job.alongside).to.equal(0);
      if (i > 0) expect(job.started).to.be.at.least((ran[i - 1] as Ran).ended);
    }
    expect(new Set(ran.map((job) => job.threadId)).size, 'one thread for them all').to.equal(1);
  });

  it('rejects a job whose work fails with its error, and goes on', async () => {
    const queue = new WorkerQueue<Job, Ran>('test', THREAD);
    const failed = await queue.run({ fail: 'no such version' }).catch((error: unknown) => error);
    expect(failed).to.be.instanceOf(Error).and.include({ name: 'RangeError', message: 'no such version' });
    expect((await queue.run({})).alongside).to.equal(0);
  });

  it('rejects the job of a thread that dies, and gives the next job a new thread', async () => {
    const queue = new WorkerQueue<Job, Ran>('rule-set check', THREAD);
    const before = await queue.run({});
    const waiting = queue.run({});
    const died = await queue.run({ exit: 3 }).catch((error: unknown) => error);
    expect(died).to.be.instanceOf(Error).with.property('message', 'the rule-set check thread stopped (exit code 3)');
    const after = await queue.run({});
    expect((await waiting).threadId).to.equal(before.threadId);
    expect(after.threadId).to.not.equal(before.threadId);
  });

  it('ends a thread left idle, and starts another for the next job', async () => {
    const queue = new WorkerQueue<Job, Ran>('test', THREAD, 20);
    const first = await queue.run({});
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await queue.run({})).threadId).to.not.equal(first.threadId);
  });
});
