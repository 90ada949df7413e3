/**
 * A GP's own practice's referrals, newest first, in pages joined by an opaque cursor: what the GP's
 * system (GET /api/v1/referrals with a GP's token) and the GP's web page list. Synthetic referrals
 * are a practice's own too, and marked so.
 */
import { ApiError, type Issue } from '../domain/error-catalogue.js';
import type { Database } from '../store/database.js';
import { practicePage, type ReferralStatus } from '../store/referral-store.js';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, MAX_PAGE_SIZE, queueItem, STATUSES } from './referral-queue.js';

const QUERY_KEYS = new Set(['status', 'limit', 'cursor']);

export interface PracticeFilter {
  /** only these statuses (all when empty) */
  statuses: readonly ReferralStatus[];
  before?: { receivedAt: Date; id: string };
  limit: number;
}

/** The list's query: `status` (one or more, comma-separated), `limit` (1–200) and a `cursor` this service gave; anything else is 400 QUERY_INVALID. */
export function practiceFilter(query: Record<string, unknown>): PracticeFilter {
  const issues: Issue[] = [];
  for (const key of Object.keys(query)) if (!QUERY_KEYS.has(key)) issues.push({ path: '/(unnamed)', message: `is not a query parameter of a practice's referrals: use ${[...QUERY_KEYS].join(', ')}` });
  const status = query.status;
  const statuses = status === undefined ? [] : typeof status === 'string' ? status.split(',') : [''];
  if (statuses.some((s) => !STATUSES.includes(s as ReferralStatus))) issues.push({ path: '/status', message: `must be one or more of: ${STATUSES.join(', ')}, separated by commas` });
  const limitText = query.limit;
  const limit = limitText === undefined ? DEFAULT_PAGE_SIZE : typeof limitText === 'string' ? Number(limitText) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) issues.push({ path: '/limit', message: `must be a whole number from 1 to ${MAX_PAGE_SIZE}` });
  const cursor = query.cursor;
  const before = typeof cursor === 'string' ? decodePracticeCursor(cursor) : undefined;
  if (cursor !== undefined && !before) issues.push({ path: '/cursor', message: 'is not a cursor this service gave' });
  if (issues.length > 0) throw new ApiError('QUERY_INVALID', issues);
  return { statuses: statuses as ReferralStatus[], limit, ...(before ? { before } : {}) };
}

// The queue's cursors (rank, arrival, id): a practice's list ignores the rank, so any cursor this service gives reads the same way.
const encodePracticeCursor = (at: { receivedAt: Date; id: string }) => encodeCursor({ rank: 0, ...at });
function decodePracticeCursor(cursor: string): PracticeFilter['before'] {
  const after = decodeCursor(cursor);
  return after ? { receivedAt: after.receivedAt, id: after.id } : undefined;
}

/** A page of the practice's referrals as stored rows (the GP's page shows more of each than the API's items), and the next page's cursor. */
export async function practiceReferralRows(db: Database, practiceOds: string, filter: PracticeFilter) {
  const rows = await practicePage(db, { practiceOds, statuses: filter.statuses, limit: filter.limit + 1, ...(filter.before ? { before: filter.before } : {}) });
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > filter.limit && last ? encodePracticeCursor({ receivedAt: last.referral.receivedAt, id: last.referral.id }) : null };
}

export async function practiceReferrals(db: Database, practiceOds: string, filter: PracticeFilter) {
  const { rows, nextCursor } = await practiceReferralRows(db, practiceOds, filter);
  return {
    // Never whether it may duplicate another: that other referral may be another practice's, which a GP may not learn of.
    items: rows.map((row) => {
      const { possibleDuplicate: _theirs, ...item } = queueItem(row);
      return item;
    }),
    nextCursor,
  };
}
