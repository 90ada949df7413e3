/**
 * What the load generators send: JSON referral bodies taken in turn from a pool made beforehand (so
 * that making them costs the load generator nothing while it measures), each request with its own
 * `Idempotency-Key`. For POST /api/v1/referrals every request is then a new submission of a
 * referral not sent before (as long as the pool lasts), never a replay of an earlier one; the
 * evaluate-only endpoint and the echo ignore the header, and get requests of the same shape and size.
 * `headers` are sent on every request as well: the bearer token of the caller the bench acts as.
 */
import { randomBytes } from 'node:crypto';

export interface BenchRequest {
  body: string;
  headers: Record<string, string>;
}

export class RequestSource {
  readonly #bodies: readonly string[];
  readonly #keyPrefix: string;
  readonly #headers: Readonly<Record<string, string>>;
  #issued = 0;

  constructor(bodies: readonly string[], label: string, headers: Readonly<Record<string, string>> = {}) {
    if (bodies.length === 0) throw new Error('a request source needs at least one body');
    this.#bodies = bodies;
    this.#headers = headers;
    // Unique to this run, so that no key ever meets one from an earlier run on the same database.
    this.#keyPrefix = `bench-${label}-${randomBytes(6).toString('hex')}`;
  }

  /** The next request: the next body of the pool, and a key never used before. */
  next(): BenchRequest {
    const i = this.#issued++;
    return {
      body: this.#bodies[i % this.#bodies.length] as string,
      headers: { ...this.#headers, 'content-type': 'application/json', 'idempotency-key': `${this.#keyPrefix}-${i}` },
    };
  }

  /** How many requests were made (a closed-loop client builds its next one before it knows the run has ended). */
  get issued(): number {
    return this.#issued;
  }

  /** How many requests carried a body that an earlier request of this source had carried already. */
  get repeatedBodies(): number {
    return Math.max(0, this.#issued - this.#bodies.length);
  }
}
