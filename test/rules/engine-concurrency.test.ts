/**
 * json-rules-engine keeps one run status per Engine. When run B finishes while run A on the same
 * engine awaits an asynchronous fact, A silently skips its lower-priority rules
 * (../shared/reference/rule-engines.md §7). These tests reproduce that interleaving on a shared
 * engine, then show that the service's engine pool, where an engine serves one run at a time, is
 * immune to it.
 */
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { Engine, type Almanac, type RuleProperties } from 'json-rules-engine';
import { EnginePool } from '../../src/rules/engine-pool.js';
import { registry } from '../support/test-app.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';

const RULES: RuleProperties[] = [
  { name: 'high', priority: 10, conditions: { all: [{ fact: 'slowScore', operator: 'greaterThanInclusive', value: 0 }] }, event: { type: 'high' } },
  { name: 'low', priority: 1, conditions: { all: [{ fact: 'x', operator: 'equal', value: 1 }] }, event: { type: 'low' } },
];

/** Awaits real asynchronous work unless the run's own fact `fast` is true. */
const slowScore = async (_params: unknown, almanac: Almanac): Promise<number> => {
  if (!(await almanac.factValue<boolean>('fast'))) await sleep(5);
  return 1;
};

type Runner = (facts: Record<string, unknown>) => Promise<string[]>;

/** Run A (slow) starts, run B (fast) starts 1 ms later on the same runner; returns A's fired rules. */
async function interleave(run: Runner): Promise<string[]> {
  const a = run({ x: 1, fast: false, slowScore });
  await sleep(1);
  const b = run({ x: 1, fast: true, slowScore });
  const [firedInA, firedInB] = await Promise.all([a, b]);
  expect(firedInB).to.have.members(['high', 'low']);
  return firedInA;
}

describe('evaluation under concurrent requests', () => {
  it('reproduces the hazard: on one shared Engine, the slow run loses its lower-priority rule', async () => {
    const shared = new Engine(RULES);
    const firedInA = await interleave(async (facts) => (await shared.run(facts)).events.map((e) => e.type));
    // If this starts failing, json-rules-engine has fixed its shared run status: good news, but the
    // pool below stays the service's protection either way.
    expect(firedInA).to.deep.equal(['high']);
  });

  it('runs the slow evaluation in full when it is alone', async () => {
    const engine = new Engine(RULES);
    expect((await engine.run({ x: 1, fast: false, slowScore })).events.map((e) => e.type)).to.have.members(['high', 'low']);
  });

  it('is immune through the engine pool: the same interleaving keeps every rule of both runs', async () => {
    const pool = new EnginePool(RULES, {});
    const firedInA = await interleave(async (facts) => (await pool.run(facts)).filter((r) => r.result).map((r) => r.name));
    expect(firedInA).to.have.members(['high', 'low']);
  });

  it('never lends an engine to two runs at once, and reuses engines once they are free', async () => {
    const pool = new EnginePool(RULES, {});
    await Promise.all(Array.from({ length: 10 }, () => pool.run({ x: 1, fast: false, slowScore })));
    expect(pool.idleCount).to.equal(10);
    await pool.run({ x: 1, fast: true, slowScore });
    expect(pool.idleCount).to.equal(10);
  });

  it('gives 500 concurrent evaluations the same decisions as one at a time', async () => {
    const ruleSet = registry.active('msk-triage');
    if (!ruleSet) throw new Error('no active rule set');
    const referrals = Array.from({ length: 500 }, (_, i) =>
      i % 2 === 0
        ? aReferral({ redFlags: { historyOfCancer: i % 3 === 0, unexplainedMass: i % 5 === 0 }, startBack: { painTerribleNeverBetter: i % 7 === 0 } })
        : aKneeReferral({ history: { nonSurgicalCareWeeks: i % 20 }, findings: { lockedKnee: i % 3 === 0 }, inflammatory: { swollenJointCount: i % 3 } }),
    );
    const oneByOne = [];
    for (const referral of referrals) oneByOne.push(await ruleSet.evaluate(referral, '2026-11-22'));
    const together = await Promise.all(referrals.map((referral) => ruleSet.evaluate(referral, '2026-11-22')));
    expect(together).to.deep.equal(oneByOne);
  });
});
