/**
 * An audit event and its place in the hash chain, built by pure functions: each event stores the
 * hash of the one before it and the hash of its own canonical content, so that editing, deleting or
 * reordering any row breaks the chain at that row.
 *
 *   hash(n) = SHA-256( hash(n-1) + "\n" + canonicalJSON(content(n)) )
 *   mac(n)  = HMAC-SHA256( audit key, hash(n) )        (audit-keys.ts: a key the database never holds)
 */
import type { AuditEvent, AuditEventInput } from '../domain/audit-event-types.js';
import { canonicalJson, sha256Hex } from '../rules/content-hash.js';
import type { AuditKeyRing } from './audit-keys.js';

export const GENESIS_HASH = '0'.repeat(64);

/** The content the hash covers: every column but the hashes themselves. */
export function auditContent(event: AuditEventInput & { seq: number }): string {
  return canonicalJson({
    seq: event.seq,
    id: event.id,
    referralId: event.referralId,
    type: event.type,
    actor: event.actor,
    // Only when recorded, so that rows written before roles were recorded still verify.
    ...(event.actorRole !== null ? { actorRole: event.actorRole } : {}),
    occurredAt: event.occurredAt.toISOString(),
    ruleset: event.ruleset,
    details: event.details,
  });
}

export const chainHash = (prevHash: string, content: string): string => sha256Hex(`${prevHash}\n${content}`);

/** The next event of the chain after `previous` (null for the first), signed with `ring`'s current key when there is one. */
export function chainEvent(previous: { seq: number; hash: string } | null, input: AuditEventInput, ring?: AuditKeyRing): AuditEvent {
  const seq = (previous?.seq ?? 0) + 1;
  const prevHash = previous?.hash ?? GENESIS_HASH;
  const hash = chainHash(prevHash, auditContent({ ...input, seq }));
  return { ...input, seq, prevHash, hash, ...(ring ? ring.sign(hash) : { keyId: null, mac: null }) };
}
