/**
 * The key the audit trail is signed with, which the database never holds. Each event's chain hash
 * is authenticated with HMAC-SHA256 under the current key (its `mac`, with the key's id), so that
 * rows inserted or re-chained by anyone with database access but without the key fail `audit
 * verify`: a forged override with a correctly chained hash included.
 *
 * The key file (`AUDIT_KEY_FILE`, or `DATA_DIR/audit-key`, made on first use, mode 0600) holds one
 * key per line as 64 hexadecimal digits; the first line signs, and every line verifies. To rotate,
 * put a new key on the first line and keep the old ones below it: rows signed before still verify
 * under their key's id. Every instance of one service reads the same file.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const AUDIT_KEY_FILE_NAME = 'audit-key';

export interface AuditKey {
  /** the first 16 hex digits of SHA-256(key): names the key in each row, never reveals it */
  id: string;
  secret: Buffer;
}

export class AuditKeyRing {
  private readonly byId: Map<string, AuditKey>;

  constructor(readonly keys: readonly AuditKey[]) {
    if (keys.length === 0) throw new Error('an audit key ring needs at least one key');
    this.byId = new Map(keys.map((key) => [key.id, key]));
  }

  /** The key new rows are signed with. */
  get current(): AuditKey {
    return this.keys[0] as AuditKey;
  }

  sign(hash: string): { keyId: string; mac: string } {
    return { keyId: this.current.id, mac: macOf(this.current.secret, hash) };
  }

  /** `valid`, `unknown-key` (signed with a key not in this ring) or `mismatch`. */
  check(hash: string, keyId: string, mac: string): 'valid' | 'unknown-key' | 'mismatch' {
    const key = this.byId.get(keyId);
    if (!key) return 'unknown-key';
    const expected = Buffer.from(macOf(key.secret, hash), 'hex');
    const given = Buffer.from(mac, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected) ? 'valid' : 'mismatch';
  }
}

const macOf = (secret: Buffer, hash: string): string => createHmac('sha256', secret).update(hash, 'utf8').digest('hex');
export const keyIdOf = (secret: Buffer): string => createHash('sha256').update(secret).digest('hex').slice(0, 16);

/** The keys of a key file, first the one that signs. Throws naming the file and line of a bad key. */
export function readAuditKeys(file: string): AuditKeyRing {
  const lines = readFileSync(file, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const keys = lines.map((line, i) => {
    if (!/^[0-9a-f]{64}$/i.test(line)) throw new Error(`${file}: line ${i + 1} is not a key (64 hexadecimal digits)`);
    const secret = Buffer.from(line, 'hex');
    return { id: keyIdOf(secret), secret };
  });
  if (keys.length === 0) throw new Error(`${file} holds no key`);
  return new AuditKeyRing(keys);
}

/** A new key file with one random key, readable by its owner only. */
export function writeNewAuditKeyFile(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
}

/**
 * `AUDIT_KEY_FILE` if set; else `DATA_DIR/audit-key`, made on first use; with an in-memory database
 * and no key file, a key of this process's own (its trail lives no longer than the process).
 */
export function auditKeyRingFor(options: { auditKeyFile: string | undefined; dataDir: string; inMemory: boolean }): AuditKeyRing {
  if (!options.auditKeyFile && options.inMemory) {
    const secret = randomBytes(32);
    return new AuditKeyRing([{ id: keyIdOf(secret), secret }]);
  }
  const file = options.auditKeyFile ?? path.join(options.dataDir, AUDIT_KEY_FILE_NAME);
  if (!options.auditKeyFile && !existsSync(file)) {
    try {
      writeNewAuditKeyFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return readAuditKeys(file);
}

/**
 * The process's key ring lives on globalThis under a registered symbol, so that every copy of this
 * module in the process shares it (a process may load it twice: as an ES module and through require,
 * as mocha's --require does).
 */
const RING = Symbol.for('msk-triage.audit-key-ring');
const holder = globalThis as { [RING]?: AuditKeyRing };

/** The key ring this process signs and verifies with (the service and every command set it at start). */
export function useAuditKeys(ring: AuditKeyRing | undefined): void {
  holder[RING] = ring;
}

export function auditKeys(): AuditKeyRing | undefined {
  return holder[RING];
}
