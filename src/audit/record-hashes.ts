/**
 * The audit trail covers the clinical records, not only itself: an event that records a referral,
 * a decision or a review carries the SHA-256 of that record's content as stored (referralSha256,
 * decisionSha256, reviewSha256 in its details), taken in the same transaction that wrote the record,
 * so that the chain's hash covers it too. `audit verify` recomputes each from the rows and names a
 * record that was edited after its event, or that is gone.
 */
import type { AuditEventInput } from '../domain/audit-event-types.js';
import { canonicalJson, sha256Hex } from '../rules/content-hash.js';
import { eventsWithRecordHashes, recordContents, type RecordKind } from '../store/audit-store.js';
import type { Queryable } from '../store/database.js';

const HASH_FIELD: Record<RecordKind, string> = { referral: 'referralSha256', decision: 'decisionSha256', review: 'reviewSha256' };
const KINDS = Object.keys(HASH_FIELD) as RecordKind[];

/** The hash of a record's content, whatever the order of its keys (RFC 8785 canonical JSON). */
export const recordHash = (content: string): string => sha256Hex(canonicalJson(JSON.parse(content) as unknown));

/** The record of each kind an event names: a submission its referral, any event its decisionId and reviewId. */
function recordIds(event: Pick<AuditEventInput, 'type' | 'referralId' | 'details'>): Partial<Record<RecordKind, string>> {
  const { decisionId, reviewId } = event.details;
  return {
    ...(event.type === 'referral.submitted' && event.referralId ? { referral: event.referralId } : {}),
    ...(typeof decisionId === 'string' ? { decision: decisionId } : {}),
    ...(typeof reviewId === 'string' ? { review: reviewId } : {}),
  };
}

async function contentsOf(db: Queryable, named: ReadonlyArray<Partial<Record<RecordKind, string>>>): Promise<Record<RecordKind, Map<string, string>>> {
  const entries = await Promise.all(KINDS.map(async (kind) => [kind, await recordContents(db, kind, [...new Set(named.flatMap((ids) => ids[kind] ?? []))])] as const));
  return Object.fromEntries(entries) as Record<RecordKind, Map<string, string>>;
}

/** The events with the hashes of the records they name, read in the transaction that wrote those records. */
export async function withRecordHashes(tx: Queryable, inputs: readonly AuditEventInput[]): Promise<AuditEventInput[]> {
  const named = inputs.map(recordIds);
  if (named.every((ids) => Object.keys(ids).length === 0)) return [...inputs];
  const contents = await contentsOf(tx, named);
  return inputs.map((input, i) => {
    const hashes: Record<string, string> = {};
    for (const [kind, id] of Object.entries(named[i] ?? {}) as Array<[RecordKind, string]>) {
      const content = contents[kind].get(id);
      if (content !== undefined) hashes[HASH_FIELD[kind]] = recordHash(content);
    }
    return Object.keys(hashes).length === 0 ? input : { ...input, details: { ...input.details, ...hashes } };
  });
}

const PAGE = 1000;

/** Every record an event vouches for, recomputed: one line for each that was changed since, or is gone (at most 20). */
export async function recordHashMismatches(db: Queryable): Promise<string[]> {
  const problems: string[] = [];
  let after = 0;
  for (;;) {
    const page = await eventsWithRecordHashes(db, after, PAGE);
    const named = page.map(({ referralId, details }) => ({
      ...(typeof details.referralSha256 === 'string' && referralId ? { referral: referralId } : {}),
      ...(typeof details.decisionSha256 === 'string' && typeof details.decisionId === 'string' ? { decision: details.decisionId } : {}),
      ...(typeof details.reviewSha256 === 'string' && typeof details.reviewId === 'string' ? { review: details.reviewId } : {}),
    }));
    const contents = await contentsOf(db, named);
    for (const [i, { seq, details }] of page.entries()) {
      for (const [kind, id] of Object.entries(named[i] ?? {}) as Array<[RecordKind, string]>) {
        const content = contents[kind].get(id);
        if (content === undefined) problems.push(`${kind} ${id}, recorded by row ${seq}, is gone`);
        else if (recordHash(content) !== details[HASH_FIELD[kind]]) problems.push(`${kind} ${id} was changed after row ${seq} recorded it`);
      }
    }
    if (problems.length >= 20 || page.length < PAGE) return problems.slice(0, 20);
    after = page.at(-1)?.seq ?? after;
  }
}
