/**
 * The audit trail in the database: appending events to the one chain (under the chain's lock, so
 * that concurrent transactions, and instances, append one at a time), reading a referral's events,
 * and verifying the whole chain. The SQL is src/store/audit-store.ts.
 */
import type { AuditEvent, AuditEventInput } from '../domain/audit-event-types.js';
import type { Database, Queryable } from '../store/database.js';
import { approvalEventsOf, auditEventsAfter, auditEventsOfReferral, insertAuditEvents, lockAuditChainHead, missingAuditEvents, referralStateMismatches } from '../store/audit-store.js';
import { URGENCIES } from '../domain/route-order.js';
import { auditContent, chainEvent, chainHash, GENESIS_HASH } from './audit-event.js';
import { recordHashMismatches, withRecordHashes } from './record-hashes.js';
import { auditKeys, type AuditKeyRing } from './audit-keys.js';

/** Appends events, in order, inside the caller's transaction. */
export async function appendAuditEvents(tx: Queryable, inputs: readonly AuditEventInput[]): Promise<AuditEvent[]> {
  // The hashes of the records the events name, read before the chain's lock is taken (record-hashes.ts).
  const covered = await withRecordHashes(tx, inputs);
  const last = await lockAuditChainHead(tx);
  const events: AuditEvent[] = [];
  const ring = auditKeys();
  for (const input of covered) events.push(chainEvent(events.at(-1) ?? last ?? null, input, ring));
  await insertAuditEvents(tx, events);
  return events;
}

export async function referralAuditTrail(db: Queryable, referralId: string): Promise<AuditEvent[]> {
  return auditEventsOfReferral(db, referralId);
}

export type ChainVerification =
  | { ok: true; rows: number; head: { seq: number; hash: string } | null }
  | { ok: false; rows: number; brokenAt: number; reason: string };

const PAGE = 2000;

/**
 * Recomputes the whole chain, oldest first, and reports the first broken row: a row whose content
 * no longer matches its hash, whose previous hash is not its predecessor's, or a gap in the numbering
 * (a deleted row). A deleted last row leaves no gap; verifyCoverage catches that case.
 */
export async function verifyAuditChain(db: Queryable, ring: AuditKeyRing | undefined = auditKeys()): Promise<ChainVerification> {
  let previous = { seq: 0, hash: GENESIS_HASH };
  let rows = 0;
  let signedSince: number | undefined;
  for (;;) {
    const page = await auditEventsAfter(db, previous.seq, PAGE);
    for (const event of page) {
      const broken = (reason: string): ChainVerification => ({ ok: false, rows, brokenAt: event.seq, reason });
      if (event.seq !== previous.seq + 1) return { ok: false, rows, brokenAt: previous.seq + 1, reason: `row ${previous.seq + 1} is missing` };
      if (event.prevHash !== previous.hash) return broken(`row ${event.seq} does not follow row ${previous.seq}`);
      if (chainHash(event.prevHash, auditContent(event)) !== event.hash) return broken(`row ${event.seq} was changed after it was written`);
      if (event.mac === null || event.keyId === null) {
        // Rows are unsigned only before the first signed one: after it, an unsigned row was written without the key.
        if (signedSince !== undefined) return broken(`row ${event.seq} is not signed, though row ${signedSince} and those after it are: it was written without the audit key`);
      } else {
        signedSince ??= event.seq;
        const check = ring?.check(event.hash, event.keyId, event.mac);
        if (check === 'mismatch') return broken(`row ${event.seq}'s signature does not match: it was written or re-chained without the audit key`);
        if (check === 'unknown-key') return broken(`row ${event.seq} is signed with key ${event.keyId}, which is not in the audit key file`);
      }
      previous = event;
      rows += 1;
    }
    if (page.length < PAGE) return { ok: true, rows, head: previous.seq === 0 ? null : { seq: previous.seq, hash: previous.hash } };
  }
}

/**
 * The approvals of a version that its own signed `ruleset.approved` event vouches for: the event's
 * content matches its hash, its signature is the audit key's (when the service has one), and it names
 * the approval, its content hash and its approver. An approval row inserted behind the service's back
 * has none, and so does not count towards an activation (rule-set-activation.ts).
 */
export async function vouchedApprovalIds(
  db: Queryable, rulesetId: string, version: string, approvals: ReadonlyArray<{ id: string; sha256: string; approverId: string | null }>, ring: AuditKeyRing | undefined = auditKeys(),
): Promise<Set<string>> {
  const byId = new Map(approvals.map((approval) => [approval.id, approval]));
  const vouched = new Set<string>();
  for (const event of await approvalEventsOf(db, rulesetId, version)) {
    const approval = byId.get(String(event.details.approvalId));
    if (!approval || approval.sha256 !== event.ruleset?.sha256 || approval.approverId !== event.actor) continue;
    if (chainHash(event.prevHash, auditContent(event)) !== event.hash) continue;
    if (ring && (event.keyId === null || event.mac === null || ring.check(event.hash, event.keyId, event.mac) !== 'valid')) continue;
    vouched.add(approval.id);
  }
  return vouched;
}

/**
 * Cross-checks the trail against the state it records: every referral has its submitted event,
 * every decision and review has the event that announced it (catches a deleted last row), and every
 * token, approval, schedule and activation its own (catches one inserted behind the service's
 * back); and every referral's status, current decision, route and queue rank are what its
 * append-only decisions and reviews say (catches `update referrals set status = 'reviewed', urgency = 'routine'`).
 */
export async function verifyCoverage(db: Database): Promise<string[]> {
  return [...(await missingAuditEvents(db)), ...(await referralStateMismatches(db, URGENCIES))];
}

/** Every referral, decision and review an event vouches for, recomputed from its row: what changed since, or is gone. */
export async function verifyRecords(db: Database): Promise<string[]> {
  return recordHashMismatches(db);
}
