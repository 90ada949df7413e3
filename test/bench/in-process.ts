/**
 * In-process speed: evaluations one after another on this process's one thread, so that operations
 * per second are per core. Each measurement has a warm-up first so that the JIT has settled, and
 * the baselines run in the same process and the same minute, so that their ratios mean something
 * on any machine. Each is counted twice: by the clock, and by the CPU time this process was given
 * (what a machine shared with other work disturbs least: the clock also counts the time the thread
 * waited for a core).
 */
import path from 'node:path';
import { Engine } from 'json-rules-engine';
import type { Referral } from '../../src/generated/referral.js';
import { todayInLondon } from '../../src/domain/calendar.js';
import { triageReferral } from '../../src/referrals/triage-referral.js';
import { loadRuleSets } from '../../src/rules/rule-set-loader.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { factMap } from '../../src/rules/derived-facts.js';
import { FactVectorReader, type FactVector } from '../../src/rules/fact-vector.js';
import { validateReferral } from '../../src/schemas/schema-registry.js';
import { checkHandWritten, handWrittenFiredRules } from './hand-written-rules.js';
import { summarise, type LatencySummary } from './latency.js';

export interface Measurement {
  name: string;
  /** by the clock */
  opsPerSecond: number;
  /** by this process's CPU time (user and system, every thread: the garbage collector's helpers too) */
  opsPerCpuSecond: number;
  latency: LatencySummary;
}

export interface InProcessResults {
  ruleCount: number;
  evaluate: Measurement;
  triage: Measurement;
  bareEngine: Measurement;
  validateOnly: Measurement;
  compiledDecision: Measurement;
  compiledFired: Measurement;
  compiledFiredWithoutFacts: Measurement;
  factVectorOnly: Measurement;
  handWritten: Measurement;
  handWrittenWithoutFacts: Measurement;
  factsOnly: Measurement;
}

const RULESET_ID = 'msk-triage';

interface Subject {
  name: string;
  operation: (referral: Referral) => unknown;
}

export interface InProcessCounts {
  warmUp: number;
  /** operations of each subject at least, over all rounds */
  measured: number;
  rounds: number;
  /** a round of one subject (and its warm-up) goes on for at least this long, so that a fast one is not timed over a few milliseconds */
  minRoundMs: number;
}

const cpuMicros = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/**
 * Measures the subjects in interleaved rounds rather than one after another, so that a burst of
 * load from elsewhere on the machine, or a GC left over by the previous subject, falls on all of
 * them alike and their ratios stay steady.
 */
async function measure(subjects: readonly Subject[], referrals: readonly Referral[], counts: InProcessCounts): Promise<Measurement[]> {
  const at = (i: number) => referrals[i % referrals.length] as Referral;
  // Warmed up for as long as a round at least, so that the JIT has compiled a fast subject's code too.
  for (const { operation } of subjects) {
    const until = process.hrtime.bigint() + BigInt(counts.minRoundMs * 1e6);
    for (let i = 0; i < counts.warmUp || process.hrtime.bigint() < until; i++) await operation(at(i));
  }
  const perRound = Math.ceil(counts.measured / counts.rounds);
  const tallies = subjects.map((subject) => ({ ...subject, samples: [] as number[], elapsed: 0n, cpu: 0, next: 0 }));
  for (let round = 0; round < counts.rounds; round++) {
    for (const tally of tallies) {
      const [started, cpuBefore] = [process.hrtime.bigint(), cpuMicros()];
      const until = started + BigInt(counts.minRoundMs * 1e6);
      for (let done = 0; done < perRound || process.hrtime.bigint() < until; done++) {
        const before = process.hrtime.bigint();
        await tally.operation(at(tally.next++));
        tally.samples.push(Number(process.hrtime.bigint() - before) / 1e6);
      }
      tally.elapsed += process.hrtime.bigint() - started;
      tally.cpu += cpuMicros() - cpuBefore;
    }
  }
  return tallies.map(({ name, samples, elapsed, cpu }) => ({
    name,
    opsPerSecond: samples.length / (Number(elapsed) / 1e9),
    opsPerCpuSecond: samples.length / (cpu / 1e6),
    latency: summarise(samples),
  }));
}

/** The cheapest thing json-rules-engine can do per referral: one rule with one condition. */
function bareEngine(): Engine {
  return new Engine(
    [
      {
        conditions: { all: [{ fact: 'painScore', operator: 'greaterThanInclusive', value: 0 }] },
        event: { type: 'any-pain-score' },
      },
    ],
    { allowUndefinedFacts: false },
  );
}

export async function measureInProcess(rootDir: string, referrals: readonly Referral[], counts: InProcessCounts): Promise<InProcessResults> {
  const registry = new RuleSetRegistry(await loadRuleSets(path.join(rootDir, 'rules')));
  const ruleSet = registry.active(RULESET_ID);
  if (!ruleSet) throw new Error(`no active ${RULESET_ID} rule set under rules/`);
  // The service dates a decision by today's date in London; so does the bench.
  const today = todayInLondon();
  const deps = { registry, rulesetId: RULESET_ID, clock: () => new Date() };
  const engine = bareEngine();
  // The hand-written function is checked identical to the compiled evaluator on these referrals first.
  checkHandWritten(referrals, today);
  const facts = referrals.map((referral) => factMap(referral, today));
  // The compiled evaluator's own facts: a vector of the facts its rules read, straight from the referral.
  const vectors = new FactVectorReader(ruleSet.factsRead);
  // Kept as copies: vectors kept for the whole run, were they the reader's own, would teach V8 to make every later one in the old generation.
  const vectorsMade = referrals.map((referral) => vectors.read(referral, today).slice());
  let next = 0;
  let nextVector = 0;

  const [evaluate, triage, bare, validateOnly, compiledDecision, compiledFired, compiledFiredWithoutFacts, factVectorOnly, handWritten, handWrittenWithoutFacts, factsOnly] = (await measure(
    [
      { name: 'CompiledRuleSet.evaluate (two channels)', operation: (referral) => ruleSet.evaluate(referral, today) },
      { name: 'triageReferral (validate, evaluate, check)', operation: (referral) => triageReferral(deps, referral) },
      { name: 'baseline: bare Engine, 1 rule', operation: (referral) => engine.run({ painScore: referral.complaint.painScore }) },
      {
        name: 'baseline: validateReferral alone',
        operation: (referral) => {
          if (!validateReferral(referral)) throw new Error('a synthetic referral broke the contract');
        },
      },
      { name: 'compiled evaluator: decision', operation: (referral) => ruleSet.evaluateCompiled(referral, today) },
      { name: 'compiled evaluator: fired rules', operation: (referral) => ruleSet.firedRules(referral, today) },
      { name: 'compiled evaluator, fact vector made beforehand', operation: () => ruleSet.firedRulesOf(vectorsMade[nextVector++ % vectorsMade.length] as FactVector) },
      { name: 'fact vector alone (the compiled evaluator’s facts)', operation: (referral) => vectors.read(referral, today) },
      { name: 'hand-written function: fired rules', operation: (referral) => handWrittenFiredRules(factMap(referral, today)) },
      { name: 'hand-written function, facts made beforehand', operation: () => handWrittenFiredRules(facts[next++ % facts.length] as ReturnType<typeof factMap>) },
      { name: 'factMap alone', operation: (referral) => factMap(referral, today) },
    ],
    referrals,
    counts,
  )) as [Measurement, Measurement, Measurement, Measurement, Measurement, Measurement, Measurement, Measurement, Measurement, Measurement, Measurement];
  return {
    ruleCount: ruleSet.document.rules.length,
    evaluate,
    triage,
    bareEngine: bare,
    validateOnly,
    compiledDecision,
    compiledFired,
    compiledFiredWithoutFacts,
    factVectorOnly,
    handWritten,
    handWrittenWithoutFacts,
    factsOnly,
  };
}
