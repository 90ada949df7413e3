/**
 * Command-line tokens looked up recently, kept in this process so that a caller's requests do not
 * each cost a database query. An entry lives at most `ttlMs` (1 s): a token revoked from the
 * command line or on another instance is refused everywhere within a second. A token revoked
 * through this process (`revokeToken`) is refused here from the next request on.
 *
 * Only tokens the database knows are kept, never a miss: a token issued a moment ago must work at
 * once, and guessing cannot fill the cache. Entries are keyed by the token's SHA-256, as in the
 * database; the token itself is never kept. Expiry is still checked on every request, against the
 * request's clock (api-tokens.ts).
 */
import type { TokenRecord } from '../store/token-store.js';

export const VERIFIED_TOKEN_TTL_MS = 1_000;
const MAX_ENTRIES = 10_000;

/**
 * The ids of tokens revoked through this process: never served from a cache again, nor put in one.
 * Kept for the process's life (revocations are rare operator acts), so that a look-up which read the
 * row just before a revocation committed cannot put the token back.
 */
const revokedHere = new Set<string>();

/** Called by `revokeToken` once the row is marked: every cache of this process drops the token at once. */
export function forgetRevokedToken(id: string): void {
  revokedHere.add(id);
}

export interface VerifiedTokenOptions {
  ttlMs?: number;
  maxEntries?: number;
  /** a monotonic clock in milliseconds (performance.now by default): a test moves it by hand */
  now?: () => number;
}

export class VerifiedTokens {
  readonly #entries = new Map<string, { record: TokenRecord; storedAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: VerifiedTokenOptions = {}) {
    this.#ttlMs = Math.min(options.ttlMs ?? VERIFIED_TOKEN_TTL_MS, VERIFIED_TOKEN_TTL_MS);
    this.#maxEntries = options.maxEntries ?? MAX_ENTRIES;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The record looked up less than `ttlMs` ago for this hash, unless revoked here since. */
  get(tokenSha256: string): TokenRecord | undefined {
    const entry = this.#entries.get(tokenSha256);
    if (!entry) return undefined;
    if (this.#now() - entry.storedAt >= this.#ttlMs || revokedHere.has(entry.record.id)) {
      this.#entries.delete(tokenSha256);
      return undefined;
    }
    return entry.record;
  }

  /**
   * The record for this hash: from the cache, or from `read` (the database), kept when found. Its
   * second is counted from before the read, so that no entry outlives the row it was read from by
   * more than `ttlMs`, however long the read took.
   */
  async lookUp(tokenSha256: string, read: () => Promise<TokenRecord | undefined>): Promise<TokenRecord | undefined> {
    const cached = this.get(tokenSha256);
    if (cached) return cached;
    const askedAt = this.#now();
    const record = await read();
    if (record) this.set(tokenSha256, record, askedAt);
    return record;
  }

  /** Keeps a record read at `readAt` (by this cache's clock; now by default). */
  set(tokenSha256: string, record: TokenRecord, readAt = this.#now()): void {
    if (revokedHere.has(record.id)) return;
    this.#entries.delete(tokenSha256);
    // The oldest first: Map keeps insertion order.
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size < this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
    this.#entries.set(tokenSha256, { record, storedAt: readAt });
  }

  get size(): number {
    return this.#entries.size;
  }
}
