/**
 * Impact simulation at scale: N synthetic referrals generated straight into a new embedded database
 * of the bench's own (not through HTTP), then a rule change's impact on all of them, as
 * `msk-triage rules simulate` makes it from stored referrals: every page read from the database (on
 * this thread, where the embedded database runs) while the page before is tallied on a worker
 * thread, overlapped. Timed whole, reading included; the baselines of the same run are the same
 * pages read and tallied one after the other on this one thread, and the pages read alone (the
 * database's share, which nothing that tallies can go below).
 */
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { storedReferralPages } from '../../src/referrals/simulate-impact.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { defaultTallyThreads, simulatePages } from '../../src/rules/impact-simulation-pages.js';
import { mulberry32, syntheticReferral } from '../../src/schemas/synthetic-referrals.js';
import { openPglite } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';

export interface SimulationResult {
  referrals: number;
  insertSeconds: number;
  /** read and tallied overlapped, as `rules simulate` does, on `threads` tallying threads beside this one */
  simulateSeconds: number;
  threads: number;
  /** the baselines, when measured: read and tallied one after the other on this thread; read alone */
  oneThreadSeconds?: number;
  readOnlySeconds?: number;
  changed: number;
}

const BATCH = 10_000;

/** The active version and a draft of it: R10 and R11 at 8 weeks of first-line care instead of 6. */
function versions(rootDir: string): { from: CompiledRuleSet; to: CompiledRuleSet } {
  const document = JSON.parse(readFileSync(path.join(rootDir, 'rules', 'msk-triage', '2.0.0', 'ruleset.json'), 'utf8')) as RuleSet;
  const draft = structuredClone(document);
  draft.version = '2.1.0';
  for (const rule of draft.rules.filter((r) => r.id === 'MSK-R10' || r.id === 'MSK-R11')) {
    const leaf = rule.conditions.all?.find((c) => c.fact === 'history.nonSurgicalCareWeeks');
    if (leaf) leaf.value = 8;
  }
  return { from: new CompiledRuleSet(document), to: new CompiledRuleSet(draft) };
}

const since = (started: number) => (performance.now() - started) / 1000;

/** `baselines`: also time the same work on this one thread, and the reading alone (at 100,000; each takes as long again). */
export async function measureSimulation(rootDir: string, count: number, options: { baselines: boolean; seed?: number }): Promise<SimulationResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'msk-bench-simulation-'));
  const db = await openPglite(path.join(dir, 'pglite'));
  try {
    await migrate(db);
    const random = mulberry32(options.seed ?? 1);
    const base = Date.parse('2026-01-01T00:00:00Z');
    let started = performance.now();
    for (let done = 0; done < count; done += BATCH) {
      const rows = Array.from({ length: Math.min(BATCH, count - done) }, (_, i) => ({
        id: randomUUID(),
        referral: syntheticReferral(random),
        received_at: new Date(base + (done + i) * 1000).toISOString(),
      }));
      await db.query(
        `insert into referrals (id, practice_ods, referral, status, queue_rank, received_at, updated_at, synthetic)
         select (r->>'id')::uuid, r->'referral'->'referrer'->>'odsCode', r->'referral', 'routed', 5, (r->>'received_at')::timestamptz, (r->>'received_at')::timestamptz, true
           from jsonb_array_elements($1::jsonb) as r`,
        [JSON.stringify(rows)],
      );
    }
    const insertSeconds = since(started);
    const { from, to } = versions(rootDir);
    const request = { rulesDir: path.join(rootDir, 'rules'), ruleset: 'msk-triage', from: from.version, to: to.version, evaluationDate: '2026-12-01' };
    // The bench's referrals are synthetic: a simulation takes them only when asked.
    const pages = () => storedReferralPages(db, { synthetic: 'only' });

    // The reading alone first, when it is measured at all, so that the database's caches are as warm for each run after it.
    let readOnlySeconds: number | undefined;
    if (options.baselines) {
      started = performance.now();
      for await (const page of pages()) if (page.length === 0) throw new Error('an empty page');
      readOnlySeconds = since(started);
    }

    const threads = defaultTallyThreads();
    started = performance.now();
    const tally = await simulatePages(request, pages(), { from, to }, threads);
    const simulateSeconds = since(started);
    if (tally.referrals !== count) throw new Error(`the simulation tallied ${tally.referrals} referrals of ${count}`);
    const result: SimulationResult = { referrals: count, insertSeconds, simulateSeconds, threads, changed: tally.changed.length };
    if (!options.baselines) return result;

    started = performance.now();
    const here = await simulatePages(request, pages(), { from, to }, 0);
    const oneThreadSeconds = since(started);
    if (here.changed.length !== tally.changed.length || here.referrals !== count) throw new Error('the threads and this thread tallied differently');
    return { ...result, oneThreadSeconds, ...(readOnlySeconds === undefined ? {} : { readOnlySeconds }) };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
