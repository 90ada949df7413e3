/**
 * Impact simulation at scale: N synthetic referrals generated straight into a new embedded database
 * of the bench's own (not through HTTP), then a rule change's impact on all of them, as
 * `msk-triage rules simulate` makes it from stored referrals: every page read from the database (on
 * this thread, where the embedded database runs) and tallied, on this thread or, with cores to
 * spare, on a worker thread while the next page is read (impact-simulation-pages.ts). Timed whole,
 * reading included; beside it in the same run, the other way of tallying, and the pages read alone
 * (the database's share, which nothing that tallies can go below).
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
  /** read and tallied as a simulation of stored referrals does, on `threads` tallying threads beside this one (0: on this one) */
  simulateSeconds: number;
  /** the CPU time of each (this process, every thread), which other work on the machine disturbs less */
  cpuSeconds: { simulate: number; other?: number; readOnly?: number };
  threads: number;
  /** the baselines, when measured: the other way of tallying (0 threads beside this one if `threads` is 1, else 1); the reading alone */
  otherThreads?: number;
  otherSeconds?: number;
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
const cpuSince = (started: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(started);
  return (user + system) / 1e6;
};

/** `baselines`: also time the same work on this one thread, and the reading alone (at 100,000; each takes as long again). */
export async function measureSimulation(rootDir: string, count: number, options: { baselines: boolean; seed?: number }): Promise<SimulationResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'msk-bench-simulation-'));
  const db = await openPglite(path.join(dir, 'pglite'));
  try {
    await migrate(db);
    const random = mulberry32(options.seed ?? 1);
    const base = Date.parse('2026-01-01T00:00:00Z');
    let started = performance.now();
    let cpu = process.cpuUsage();
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
    let readOnly: { seconds: number; cpu: number } | undefined;
    if (options.baselines) {
      [started, cpu] = [performance.now(), process.cpuUsage()];
      for await (const page of pages()) if (page.length === 0) throw new Error('an empty page');
      readOnly = { seconds: since(started), cpu: cpuSince(cpu) };
    }

    const threads = defaultTallyThreads();
    [started, cpu] = [performance.now(), process.cpuUsage()];
    const tally = await simulatePages(request, pages(), { from, to }, threads);
    const [simulateSeconds, simulateCpu] = [since(started), cpuSince(cpu)];
    if (tally.referrals !== count) throw new Error(`the simulation tallied ${tally.referrals} referrals of ${count}`);
    const result: SimulationResult = { referrals: count, insertSeconds, simulateSeconds, cpuSeconds: { simulate: simulateCpu }, threads, changed: tally.changed.length };
    if (!options.baselines || !readOnly) return result;

    const otherThreads = threads === 0 ? 1 : 0;
    [started, cpu] = [performance.now(), process.cpuUsage()];
    const other = await simulatePages(request, pages(), { from, to }, otherThreads);
    const [otherSeconds, otherCpu] = [since(started), cpuSince(cpu)];
    if (other.changed.length !== tally.changed.length || other.referrals !== count) throw new Error('the threads and this thread tallied differently');
    return { ...result, otherThreads, otherSeconds, readOnlySeconds: readOnly.seconds, cpuSeconds: { simulate: simulateCpu, other: otherCpu, readOnly: readOnly.cpu } };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
