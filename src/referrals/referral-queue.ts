/**
 * The review queue: referrals filtered by status, pathway and urgency, most urgent first (no route,
 * then emergency … routine), then oldest, in pages joined by an opaque cursor. Real referrals only,
 * unless `?synthetic=include` (or `only`) asks for the synthetic data generator's too.
 */
import { ApiError, type Issue } from '../domain/error-catalogue.js';
import type { Database } from '../store/database.js';
import { queuePage, type QueueFilter, type QueueRow, type ReferralStatus } from '../store/referral-store.js';
import { PATHWAYS, URGENCIES, type Pathway, type Urgency } from '../domain/route-order.js';
import { syntheticSelectionOf } from '../domain/synthetic-data.js';
import { ODS_CODE } from '../auth/principal.js';

export const STATUSES: readonly ReferralStatus[] = ['routed', 'awaiting-review', 'awaiting-manual-triage', 'reviewed'];
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** A plain decimal: digits only (no `1e2`, `0x10`, `+5`, ` 5`, `5.0`), and no more of them than a page size needs. */
const PLAIN_DECIMAL = /^[0-9]{1,4}$/;

function single(query: Record<string, unknown>, key: string, issues: Issue[]): string | undefined {
  const value = query[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    issues.push({ path: `/${key}`, message: 'must be given once' });
    return undefined;
  }
  return value;
}

export function queueFilter(query: Record<string, unknown>): QueueFilter {
  const issues: Issue[] = [];
  const status = single(query, 'status', issues);
  const statuses = status === undefined ? [] : status.split(',');
  if (statuses.some((s) => !STATUSES.includes(s as ReferralStatus))) issues.push({ path: '/status', message: `must be one or more of: ${STATUSES.join(', ')}, separated by commas` });
  const pathway = single(query, 'pathway', issues);
  if (pathway !== undefined && !PATHWAYS.includes(pathway as Pathway)) issues.push({ path: '/pathway', message: `must be one of: ${PATHWAYS.join(', ')}` });
  const urgency = single(query, 'urgency', issues);
  if (urgency !== undefined && !URGENCIES.includes(urgency as Urgency)) issues.push({ path: '/urgency', message: `must be one of: ${URGENCIES.join(', ')}` });
  const practice = single(query, 'practice', issues);
  if (practice !== undefined && !ODS_CODE.test(practice)) issues.push({ path: '/practice', message: 'must be an ODS code: 3 to 10 capital letters or digits' });
  const synthetic = syntheticSelectionOf(query.synthetic, issues);
  const limitText = single(query, 'limit', issues);
  // The parameters the queue takes are checked at its route (http/query-parameters.ts).
  const limit = limitText === undefined ? DEFAULT_PAGE_SIZE : PLAIN_DECIMAL.test(limitText) ? Number(limitText) : Number.NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) issues.push({ path: '/limit', message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}, in plain decimal digits` });
  const cursor = single(query, 'cursor', issues);
  const after = cursor === undefined ? undefined : decodeCursor(cursor);
  if (cursor !== undefined && !after) issues.push({ path: '/cursor', message: 'is not a cursor this service gave' });
  if (issues.length > 0) throw new ApiError('QUERY_INVALID', issues);
  return { statuses: statuses as ReferralStatus[], pathway: pathway as Pathway | undefined, urgency: urgency as Urgency | undefined, ...(practice ? { practiceOds: practice } : {}), synthetic, after, limit };
}

export function encodeCursor(after: NonNullable<QueueFilter['after']>): string {
  return Buffer.from(JSON.stringify([after.rank, after.receivedAt.toISOString(), after.id])).toString('base64url');
}

export function decodeCursor(cursor: string): QueueFilter['after'] {
  try {
    const [rank, receivedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown, unknown];
    // Only what this service could have given: a small whole rank, an ISO time of this era, a UUID.
    if (!Number.isInteger(rank) || (rank as number) < 0 || (rank as number) > 100) return undefined;
    if (typeof receivedAt !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(receivedAt)) return undefined;
    if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) return undefined;
    const date = new Date(receivedAt);
    // A time the calendar has (no 30 February rolled over into March).
    return Number.isNaN(date.getTime()) || date.toISOString() !== receivedAt || date.getUTCFullYear() < 2000 ? undefined : { rank: rank as number, receivedAt: date, id };
  } catch {
    return undefined;
  }
}

/** One referral of a list, as the API answers it: its route and status, never the referral's content but its body site. */
export const queueItem = ({ referral, service, reviewRequired, possibleDuplicate }: QueueRow) => ({
  id: referral.id,
  status: referral.status,
  pathway: referral.pathway,
  urgency: referral.urgency,
  service,
  reviewRequired,
  practiceOds: referral.practiceOds,
  bodySite: referral.referral.complaint.bodySite,
  receivedAt: referral.receivedAt.toISOString(),
  synthetic: referral.synthetic,
  possibleDuplicate,
});

/** A page of the queue as stored rows (the web pages show more of each than the API's items), and the next page's cursor. */
export async function referralQueueRows(db: Database, filter: QueueFilter): Promise<{ rows: QueueRow[]; nextCursor: string | null }> {
  const rows = await queuePage(db, { ...filter, limit: filter.limit + 1 });
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > filter.limit && last ? encodeCursor({ rank: last.rank, receivedAt: last.referral.receivedAt, id: last.referral.id }) : null };
}

export async function referralQueue(db: Database, filter: QueueFilter) {
  const { rows, nextCursor } = await referralQueueRows(db, filter);
  return { items: rows.map(queueItem), nextCursor };
}
