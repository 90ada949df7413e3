/**
 * Overload is answered, not queued. Work under /api/v1 is admitted at most `maxInFlight` requests at
 * a time; a request beyond that waits its turn for at most `maxWaitMs`, in a queue of at most
 * `maxQueued`, and is otherwise answered at once `503 SERVICE_OVERLOADED` with `Retry-After`, in the
 * documented error shape, before anything of it touches the database (this runs before the token is
 * looked up). /healthz and /readyz are mounted before it: they never wait behind clinical work.
 *
 * While the service drains (SIGTERM), every answer says `Connection: close`, so that no client
 * sends another request on a connection that is about to close.
 */
import type { RequestHandler } from 'express';
import { ApiError } from '../domain/error-catalogue.js';
import type { Readiness } from './health-router.js';
import onHeaders from 'on-headers';

export interface AdmissionLimits {
  /** requests under /api/v1 being worked on at once */
  maxInFlight: number;
  /** requests waiting for a turn; beyond it, 503 at once */
  maxQueued: number;
  /** how long a request may wait for its turn */
  maxWaitMs: number;
}

/** Seconds a client is asked to wait before it retries. */
const RETRY_AFTER_SECONDS = '1';

export class Admission {
  private inFlight = 0;
  private readonly waiting: Array<{ admit: () => void }> = [];

  constructor(private readonly limits: AdmissionLimits) {}

  /** The requests being worked on and those waiting (metrics, tests). */
  get load(): { inFlight: number; queued: number } {
    return { inFlight: this.inFlight, queued: this.waiting.length };
  }

  /** Resolves true when the request may start, false when it must be refused. */
  private enter(): Promise<boolean> | boolean {
    if (this.inFlight < this.limits.maxInFlight) {
      this.inFlight += 1;
      return true;
    }
    if (this.waiting.length >= this.limits.maxQueued || this.limits.maxWaitMs === 0) return false;
    return new Promise((resolve) => {
      const entry = {
        admit: () => {
          clearTimeout(timer);
          this.inFlight += 1;
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        resolve(false);
      }, this.limits.maxWaitMs);
      this.waiting.push(entry);
    });
  }

  private leave(): void {
    this.inFlight -= 1;
    this.waiting.shift()?.admit();
  }

  middleware(): RequestHandler {
    return async (_req, res, next) => {
      const entered = this.enter();
      if (!(entered === true || (await entered))) throw new ApiError('SERVICE_OVERLOADED', [], { 'Retry-After': RETRY_AFTER_SECONDS });
      let left = false;
      const leave = () => {
        if (left) return;
        left = true;
        this.leave();
      };
      res.once('finish', leave);
      res.once('close', leave);
      next();
    };
  }
}

/**
 * While draining, every answer closes its connection: decided when the answer's headers are written,
 * so that a request that came in before the signal and is answered after it says so too.
 */
export function closeWhileDraining(readiness: Readiness): RequestHandler {
  return (_req, res, next) => {
    onHeaders(res, () => {
      if (readiness.shuttingDown) res.setHeader('Connection', 'close');
    });
    next();
  };
}
