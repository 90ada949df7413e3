/**
 * Impact simulation: re-evaluate referrals under two versions of a rule set and report what the
 * change would do: a route transition matrix (pathway / urgency before → after, with counts), the
 * referrals whose route changes, and those that would newly need review. Evaluation is spread over
 * worker threads (one per core); each worker compiles the two versions itself.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Referral } from '../generated/referral.js';
import type { Rule, RuleSet } from '../generated/ruleset.js';
import { routeText, URGENCIES, urgencyRank, type Urgency } from '../domain/route-order.js';
import { CompiledRuleSet } from './compiled-rule-set.js';
import { canonicalJson } from './content-hash.js';
import { keyOf, RouteChoices, type RouteChoice } from './route-choice.js';
import { FactVectorReader, type FactVector } from './fact-vector.js';
import { threadExecArgv } from '../domain/threads.js';

export interface SimulationItem {
  id: string;
  referral: Referral;
}

export interface Tally {
  referrals: number;
  transitions: Record<string, number>;
  changed: string[];
  newlyNeedReview: string[];
  failed: number;
}

export interface SimulationReport {
  ruleset: string;
  from: string;
  to: string;
  evaluationDate: string;
  referrals: number;
  transitions: Array<{ from: string; to: string; count: number }>;
  changed: { count: number; ids?: string[] };
  newlyNeedReview: { count: number; ids?: string[] };
  failed: number;
}

const ARROW = ' → ';
/** Most urgent first, as everywhere: a route key's urgency rank (no route before any). */
const keyRank = (key: string): number => {
  const urgency = key.split(' / ')[1] as Urgency | undefined;
  return URGENCIES.includes(urgency as Urgency) ? urgencyRank(urgency as Urgency) : -1;
};
const routeKey = (c: RouteChoice | null) => (c ? routeText({ pathway: c.route.pathway, urgency: c.route.urgency }) : 'no route (evaluation failed)');
const fullRoute = (c: RouteChoice | null) => (c ? `${c.route.pathway}/${c.route.urgency}/${c.route.service}` : '');

export const emptyTally = (): Tally => ({ referrals: 0, transitions: {}, changed: [], newlyNeedReview: [], failed: 0 });

/**
 * Both versions' routes for a referral at the cost of one full evaluation. A rule whose id and
 * conditions are the same in both versions fires the same for the same facts, so the new version's
 * fired rules are the old version's unchanged ones plus whatever its changed and added rules fire,
 * found by an engine holding only those; each version's own policy steps then choose its route.
 */
export class VersionComparison {
  private readonly unchanged: ReadonlySet<string>;
  private readonly delta: CompiledRuleSet | undefined;
  private readonly toOrder: ReadonlyMap<string, number>;
  private readonly toRules: ReadonlyMap<string, Rule>;
  /** the facts both versions read, made once a referral */
  private readonly facts: FactVectorReader;
  /** each version's choices, each set of fired rules chosen for once */
  private readonly fromChoices: RouteChoices;
  private readonly toChoices: RouteChoices;
  /** whether the rules the versions share come in the same order in both, so that when only they fire, they fire in the same order */
  private readonly sameOrder: boolean;

  constructor(
    private readonly from: CompiledRuleSet,
    private readonly to: CompiledRuleSet,
  ) {
    const before = new Map(from.document.rules.map((rule) => [rule.id, canonicalJson(rule.conditions)]));
    const changed = to.document.rules.filter((rule) => before.get(rule.id) !== canonicalJson(rule.conditions));
    this.unchanged = new Set(to.document.rules.filter((rule) => !changed.includes(rule)).map((rule) => rule.id));
    this.delta = changed.length > 0 ? new CompiledRuleSet({ ...to.document, rules: changed as RuleSet['rules'] }) : undefined;
    this.toOrder = new Map(to.document.rules.map((rule, index) => [rule.id, index]));
    this.toRules = new Map(to.document.rules.map((rule) => [rule.id, rule]));
    this.facts = new FactVectorReader([...from.factsRead, ...(this.delta?.factsRead ?? [])]);
    const shared = (version: CompiledRuleSet) => version.document.rules.filter((rule) => this.unchanged.has(rule.id)).map((rule) => rule.id).join(' ');
    this.sameOrder = shared(from) === shared(to);
    // Each version decides by its own procedure, as it would live.
    this.fromChoices = new RouteChoices(from.document.defaultRoute, from.procedure);
    this.toChoices = new RouteChoices(to.document.defaultRoute, to.procedure);
  }

  routes(referral: Referral, date: string): [RouteChoice | null, RouteChoice | null] {
    let firedBefore: Rule[];
    let facts: FactVector;
    try {
      facts = this.facts.read(referral, date);
      firedBefore = this.from.firedRulesOf(facts);
    } catch {
      return [null, null];
    }
    const beforeKey = keyOf(firedBefore);
    let firedDelta: Rule[];
    try {
      firedDelta = this.delta ? this.delta.firedRulesOf(facts) : [];
    } catch {
      return [this.fromChoices.byKey(beforeKey, () => firedBefore), null];
    }
    const before = this.fromChoices.byKey(beforeKey, () => firedBefore);
    // Mostly only shared rules fire: then the new version fires the same rules (its own copies of
    // them), in the same order, so that its choice has the same key.
    if (firedDelta.length === 0 && this.sameOrder && firedBefore.every((rule) => this.unchanged.has(rule.id))) {
      return [before, this.toChoices.byKey(beforeKey, () => firedBefore.map((rule) => this.toRules.get(rule.id) as Rule))];
    }
    const firedAfter = [...firedBefore.filter((rule) => this.unchanged.has(rule.id)).map((rule) => this.toRules.get(rule.id) as Rule), ...firedDelta]
      .sort((a, b) => (this.toOrder.get(a.id) ?? 0) - (this.toOrder.get(b.id) ?? 0));
    return [before, this.toChoices.of(firedAfter)];
  }
}

/** What one referral adds to a tally, for a pair of route choices. */
interface Outcome {
  transition: string;
  failed: boolean;
  changed: boolean;
  newlyNeedsReview: boolean;
}

/** A bound on the outcomes a tally remembers, whatever the variety of the referrals. */
const MAX_REMEMBERED = 10_000;

/** Compares the two versions referral after referral, into one tally. */
export class Tallier {
  private tally = emptyTally();
  private readonly comparison: VersionComparison;
  /** the outcome of each pair of choices seen: choices are remembered, so pairs repeat */
  private readonly outcomes = new Map<RouteChoice | null, Map<RouteChoice | null, Outcome>>();

  constructor(from: CompiledRuleSet, to: CompiledRuleSet, private readonly date: string) {
    this.comparison = new VersionComparison(from, to);
  }

  /** The tally so far; the next referrals start a new one (what the comparison remembers is kept). */
  take(): Tally {
    const tally = this.tally;
    this.tally = emptyTally();
    return tally;
  }

  add(id: string, referral: Referral): void {
    const [before, after] = this.comparison.routes(referral, this.date);
    const { transition, failed, changed, newlyNeedsReview } = this.outcome(before, after);
    const tally = this.tally;
    tally.referrals += 1;
    if (failed) tally.failed += 1;
    tally.transitions[transition] = (tally.transitions[transition] ?? 0) + 1;
    if (changed) tally.changed.push(id);
    if (newlyNeedsReview) tally.newlyNeedReview.push(id);
  }

  private outcome(before: RouteChoice | null, after: RouteChoice | null): Outcome {
    let byAfter = this.outcomes.get(before);
    if (!byAfter) this.outcomes.set(before, (byAfter = new Map<RouteChoice | null, Outcome>()));
    let outcome = byAfter.get(after);
    if (!outcome) {
      outcome = {
        transition: routeKey(before) + ARROW + routeKey(after),
        failed: !before || !after,
        changed: fullRoute(before) !== fullRoute(after),
        newlyNeedsReview: after?.reviewRequired === true && !before?.reviewRequired,
      };
      if (byAfter.size < MAX_REMEMBERED) byAfter.set(after, outcome);
    }
    return outcome;
  }
}

/** Compares the two versions on each item, in this thread. */
export function tallyItems(items: readonly SimulationItem[], from: CompiledRuleSet, to: CompiledRuleSet, date: string): Tally {
  const tallier = new Tallier(from, to, date);
  for (const { id, referral } of items) tallier.add(id, referral);
  return tallier.take();
}

export function mergeTallies(tallies: readonly Tally[]): Tally {
  const total = emptyTally();
  for (const t of tallies) {
    total.referrals += t.referrals;
    total.failed += t.failed;
    total.changed.push(...t.changed);
    total.newlyNeedReview.push(...t.newlyNeedReview);
    for (const [key, count] of Object.entries(t.transitions)) total.transitions[key] = (total.transitions[key] ?? 0) + count;
  }
  return total;
}

export interface SimulationRequest {
  rulesDir: string;
  ruleset: string;
  from: string;
  to: string;
  evaluationDate: string;
}

/**
 * Runs the comparison on `workers` threads (default: one per core), each over its share of the items.
 * The threads are given the two versions as checked here; they compile them and nothing else.
 */
export async function simulateInWorkers(
  request: SimulationRequest,
  items: readonly SimulationItem[],
  versions: { from: CompiledRuleSet; to: CompiledRuleSet },
  workers = availableParallelism(),
): Promise<Tally> {
  const documents = { from: versions.from.document, to: versions.to.document };
  const count = Math.max(1, Math.min(workers, Math.ceil(items.length / 500)));
  const share = Math.ceil(items.length / count);
  const runs = Array.from({ length: count }, (_, i) =>
    new Promise<Tally>((resolve, reject) => {
      const worker = new Worker(new URL('./impact-simulation-worker.js', import.meta.url), {
        execArgv: threadExecArgv(),
        workerData: { request, documents, items: items.slice(i * share, (i + 1) * share) },
      });
      worker.once('message', (tally: Tally) => resolve(tally));
      worker.once('error', reject);
      worker.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`simulation worker exited with ${code}`))));
    }),
  );
  return mergeTallies(await Promise.all(runs));
}

export function report(request: SimulationRequest, tally: Tally, options: { withIds: boolean }): SimulationReport {
  return {
    ruleset: request.ruleset,
    from: request.from,
    to: request.to,
    evaluationDate: request.evaluationDate,
    referrals: tally.referrals,
    transitions: Object.entries(tally.transitions)
      .map(([key, n]) => {
        const [from = '', to = ''] = key.split(ARROW);
        return { from, to, count: n };
      })
      .sort((a, b) => b.count - a.count || keyRank(a.from) - keyRank(b.from) || keyRank(a.to) - keyRank(b.to) || a.from.localeCompare(b.from)),
    changed: { count: tally.changed.length, ...(options.withIds ? { ids: tally.changed } : {}) },
    newlyNeedReview: { count: tally.newlyNeedReview.length, ...(options.withIds ? { ids: tally.newlyNeedReview } : {}) },
    failed: tally.failed,
  };
}

export function formatReport(r: SimulationReport): string {
  const width = Math.max(...r.transitions.map((t) => t.from.length), 10);
  const lines = [
    `${r.ruleset} ${r.from} → ${r.to}: ${r.referrals} referrals evaluated at ${r.evaluationDate}`,
    '',
    `${'from'.padEnd(width)}   ${'to'.padEnd(width)}   count`,
    ...r.transitions.map((t) => `${t.from.padEnd(width)}   ${(t.from === t.to ? '(unchanged)' : t.to).padEnd(width)}   ${t.count}`),
    '',
    `route changes (pathway, urgency or service): ${r.changed.count}`,
    `newly need review: ${r.newlyNeedReview.count}`,
  ];
  if (r.failed > 0) lines.push(`could not be evaluated under one of the versions: ${r.failed}`);
  if (r.changed.ids && r.changed.ids.length > 0) lines.push('', 'referrals whose route changes:', ...r.changed.ids.map((id) => `  ${id}`));
  if (r.newlyNeedReview.ids && r.newlyNeedReview.ids.length > 0) lines.push('', 'referrals that would newly need review:', ...r.newlyNeedReview.ids.map((id) => `  ${id}`));
  return lines.join('\n');
}
