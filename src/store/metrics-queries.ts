/**
 * What the metrics read from the database when they are scraped (src/http/service-metrics.ts): the
 * review queue's depth and its oldest referral, the audit chain's head, and the activations recorded.
 * Counts and times only, never a referral's content. Each is the database's, the same on every instance.
 */
import type { Queryable } from './database.js';
import type { ReferralStatus } from './referral-store.js';

/** The statuses of the review queue: what a clinician still has to look at. */
export const QUEUE_STATUSES = ['awaiting-review', 'awaiting-manual-triage'] as const satisfies readonly ReferralStatus[];

export interface QueueDepth {
  status: (typeof QUEUE_STATUSES)[number];
  depth: number;
  /** when the longest-waiting referral of this status arrived; undefined when none waits */
  oldestReceivedAt: Date | undefined;
}

/** The referrals waiting in each status of the review queue (every status, 0 when empty); real ones only, as the queue shows them. */
export async function queueDepths(db: Queryable): Promise<QueueDepth[]> {
  const rows = await db.query<{ status: QueueDepth['status']; depth: number; oldest: Date | null }>(
    'select status, count(*)::int as depth, min(received_at) as oldest from referrals where status = any($1::text[]) and not synthetic group by status',
    [`{${QUEUE_STATUSES.join(',')}}`],
  );
  return QUEUE_STATUSES.map((status) => {
    const row = rows.find((r) => r.status === status);
    return { status, depth: row?.depth ?? 0, oldestReceivedAt: row?.oldest ?? undefined };
  });
}

/** The sequence number of the audit chain's last event (0 for an empty chain). */
export async function auditHeadSeq(db: Queryable): Promise<number> {
  const [row] = await db.query<{ seq: number }>('select coalesce(max(seq), 0)::int as seq from audit_events');
  return row?.seq ?? 0;
}

/** How many activations the database records for each rule set (insert-only: it only grows). */
export async function activationCounts(db: Queryable): Promise<Map<string, number>> {
  const rows = await db.query<{ ruleset_id: string; n: number }>('select ruleset_id, count(*)::int as n from ruleset_activations group by ruleset_id');
  return new Map(rows.map((row) => [row.ruleset_id, row.n]));
}
