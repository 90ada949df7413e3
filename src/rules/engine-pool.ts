/**
 * A pool of json-rules-engine Engines in which each engine serves one run at a time.
 *
 * An Engine keeps one run status: a run that finishes while another run on the same engine awaits an
 * asynchronous fact makes the other silently skip its lower-priority rules
 * (json-rules-engine 7.3.1; test/rules/engine-concurrency.test.ts reproduces it). Taking an engine out
 * of the pool for the whole run, or building one from the prepared rule properties when none is idle,
 * rules that out; reusing idle engines saves most of the cost of building one per evaluation.
 */
import { Engine, type EngineOptions, type Operator, type RuleProperties, type RuleResult } from 'json-rules-engine';

export class EnginePool {
  private readonly idle: Engine[] = [];

  constructor(
    private readonly rules: readonly RuleProperties[],
    private readonly options: EngineOptions,
    private readonly operators: readonly Operator[] = [],
    private readonly maxIdle = 32,
  ) {}

  private build(): Engine {
    const engine = new Engine(this.rules as RuleProperties[], this.options);
    for (const operator of this.operators) engine.addOperator(operator);
    return engine;
  }

  /** Runs one evaluation on an engine that nothing else uses until it finishes: every rule's result. */
  async run(facts: Record<string, unknown>): Promise<RuleResult[]> {
    const engine = this.idle.pop() ?? this.build();
    // An engine whose run threw is dropped, never reused.
    const { results, failureResults } = await engine.run(facts);
    if (this.idle.length < this.maxIdle) this.idle.push(engine);
    return [...results, ...failureResults];
  }

  get idleCount(): number {
    return this.idle.length;
  }
}
