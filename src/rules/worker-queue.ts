/**
 * Work that takes seconds of CPU (a version's checks, its cases, the checker's search) done in a
 * worker thread, so that the service's event loop goes on answering while it runs. One thread per
 * kind of work, one job at a time: the others wait their turn, in order. The thread is started for
 * the first job and ended after a while idle; it holds the process open only while it has a job.
 * A job whose thread fails (the work throws, or the thread dies) is rejected with that error, and
 * the next job gets a new thread.
 */
import { Worker } from 'node:worker_threads';
import { threadExecArgv } from '../domain/threads.js';

/** What a thread answers to `{ id, request }`: the result, or the error the work threw. */
export type WorkerReply<R> = { id: number; result: R } | { id: number; error: { name: string; message: string; stack?: string } };

interface Job<R> {
  id: number;
  resolve: (result: R) => void;
  reject: (error: Error) => void;
}

const IDLE_MS = 30_000;

export class WorkerQueue<Q, R> {
  private worker: Worker | undefined;
  private current: Job<R> | undefined;
  private turn: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 1;

  /** `script` is a thread body that answers each `{ id, request }` message with a WorkerReply. */
  constructor(private readonly kind: string, private readonly script: URL, private readonly idleMs = IDLE_MS) {}

  /** Runs one job in the thread once the jobs before it are done. */
  run(request: Q): Promise<R> {
    const job = this.turn.then(() => this.send(request));
    this.turn = job.catch(() => undefined);
    return job;
  }

  private send(request: Q): Promise<R> {
    clearTimeout(this.idleTimer);
    const worker = (this.worker ??= this.start());
    worker.ref();
    return new Promise<R>((resolve, reject) => {
      this.current = { id: this.nextId++, resolve, reject };
      worker.postMessage({ id: this.current.id, request });
    }).finally(() => {
      this.current = undefined;
      if (this.worker !== worker) return;
      worker.unref();
      this.idleTimer = setTimeout(() => this.stop(worker), this.idleMs).unref();
    });
  }

  private start(): Worker {
    const worker = new Worker(this.script, { execArgv: threadExecArgv() });
    worker.on('message', (reply: WorkerReply<R>) => {
      const job = this.current;
      if (!job || reply.id !== job.id) return;
      if ('error' in reply) job.reject(Object.assign(new Error(reply.error.message), { name: reply.error.name, stack: reply.error.stack }));
      else job.resolve(reply.result);
    });
    worker.on('error', (error) => this.fail(worker, error));
    worker.on('exit', (code) => this.fail(worker, new Error(`the ${this.kind} thread stopped (exit code ${code})`)));
    return worker;
  }

  private fail(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    void worker.terminate();
    this.current?.reject(error);
  }

  private stop(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    void worker.terminate();
  }
}
