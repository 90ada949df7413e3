/**
 * Impact simulation at scale: N synthetic referrals generated straight into a new embedded database
 * of the bench's own (not through HTTP), then a rule change's impact on all of them, as
 * `msk-triage rules simulate` does it: read every stored referral (keyset pages), then compare the
 * active version with a draft on worker threads. Timed as read, simulate and both; the same tally
 * on this one thread is the baseline the threads are compared with.
 */
import { availableParallelism } from 'node:os';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { storedReferrals } from '../../src/referrals/simulate-impact.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { simulateInWorkers, tallyItems } from '../../src/rules/impact-simulation.js';
import { mulberry32, syntheticReferral } from '../../src/schemas/synthetic-referrals.js';
import { openPglite } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';

export interface SimulationResult {
  referrals: number;
  insertSeconds: number;
  readSeconds: number;
  simulateSeconds: number;
  oneThreadSeconds: number;
  workers: number;
  changed: number;
}

const BATCH = 2_000;

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

export async function measureSimulation(rootDir: string, count: number, seed = 1): Promise<SimulationResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'msk-bench-simulation-'));
  const db = await openPglite(path.join(dir, 'pglite'));
  try {
    await migrate(db);
    const random = mulberry32(seed);
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
    const insertSeconds = (performance.now() - started) / 1000;
    const { from, to } = versions(rootDir);
    const request = { rulesDir: path.join(rootDir, 'rules'), ruleset: 'msk-triage', from: from.version, to: to.version, evaluationDate: '2026-12-01' };

    started = performance.now();
    const items = await storedReferrals(db, { synthetic: 'only' });
    const readSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const tally = await simulateInWorkers(request, items, { from, to });
    const simulateSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const here = tallyItems(items, from, to, request.evaluationDate);
    const oneThreadSeconds = (performance.now() - started) / 1000;
    if (here.changed.length !== tally.changed.length || tally.referrals !== count) throw new Error('the threads and this thread tallied differently');
    return { referrals: count, insertSeconds, readSeconds, simulateSeconds, oneThreadSeconds, workers: availableParallelism(), changed: tally.changed.length };
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
