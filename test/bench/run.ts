/**
 * `npm run bench`: how fast triage is, in one run, as ratios against baselines measured in the same
 * run on the same machine, never as timed assertions (a busy CI box would make those flaky).
 *
 * 1. In-process: the default rule set over synthetic referrals, one evaluation at a time on one
 *    core, against a bare json-rules-engine Engine, schema validation alone and a hand-written
 *    function of the same rules; by the clock and by CPU time.
 * 4. (run right after part 1) Impact simulation of 100,000 and 1,000,000 stored referrals on a new
 *    embedded database each (simulation.ts), reading included, against the same work on one thread
 *    and the reading alone.
 * 2. HTTP on loopback: POST /api/v1/triage on the real service against a bare Express JSON echo,
 *    both started here as child processes; closed-loop throughput and each server's CPU time per
 *    request, then open-loop latency at a fixed rate; then each part of a triage request measured
 *    alone in this process (request-parts.ts), against the service's CPU time per request.
 * 3. Submissions: POST /api/v1/referrals (validate, evaluate, store in one transaction) against
 *    POST /api/v1/triage (evaluate only) on the same service process, each request a different
 *    referral with its own Idempotency-Key; on PGlite in a new temporary DATA_DIR (the service of
 *    part 2), then on PostgreSQL in a new database when BENCH_DATABASE_URL or TEST_DATABASE_URL names
 *    a server (created here, dropped at the end).
 *
 * The bench calls the service as one GP: before each service starts, the command line issues a GP
 * token into its database (`msk-triage token create`), and every referral is sent as from that GP's
 * practice; the echo gets the same Authorization header, so that its requests have the same shape.
 * The rate limits are raised out of the way (RATE_LIMIT_PER_ADDRESS / RATE_LIMIT_PER_CALLER), so
 * that the bench measures the service, not the limiter; a run whose warm-up is mostly refused stops.
 *
 * BENCH_ONLY picks parts, comma separated: in-process, http (part 2 alone), submissions (parts 2 and
 * 3), simulation; BENCH_CPU_PROF=<dir> has part 2's service write a CPU profile there (node
 * --cpu-prof) when it stops.
 *
 * The targets are printed as met or not, for information; the exit code is 0 unless something
 * crashed. Parts 1-3 take about 65-85 s without PostgreSQL and 105-120 s with it on the 2-core dev
 * box (shared with other work), most of it in the fixed-length runs (5 s closed, 10 s open loop, per
 * endpoint and server) and in PGlite's first start (2-12 s); part 4 about 2-3 minutes more, most of
 * it generating the million referrals (BENCH_SIMULATION_MILLION=0 leaves them out).
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { syntheticReferrals } from '../../src/schemas/synthetic-referrals.js';
import { build, buildIsCurrent } from '../../src/tools/build.js';
import { issueTokenWithCli, NO_RATE_LIMITS } from '../support/cli-tokens.js';
import { pgliteDatabase, postgresDatabase, postgresServerUrl, redacted, type BenchDatabase } from './databases.js';
import { closedLoop, openLoop, warmUp, type ClosedLoopResult, type OpenLoopResult, type SuccessStatuses } from './http-load.js';
import { measureInProcess, type InProcessResults, type Measurement } from './in-process.js';
import { measureSimulation, type SimulationResult } from './simulation.js';
import { RequestSource } from './request-source.js';
import { measureRequestParts, type RequestPart } from './request-parts.js';
import { startServer, type ChildServer } from './servers.js';
import { measureOverload, overloadReport, overloadTargets, type OverloadResult } from './overload.js';
import { measureStartUp, startUpReport, startUpTargets, type StartUpResult } from './start-up.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TRIAGE_PATH = '/api/v1/triage';
const SUBMIT_PATH = '/api/v1/referrals';
const SEED = 1;
/** The practice of the GP the bench acts as; every referral body is sent as from it. */
const BENCH_PRACTICE = 'J82001';

const IN_PROCESS = { warmUp: 500, measured: 3_000, rounds: 5, minRoundMs: 200 };
const HTTP_WARM_UP_REQUESTS = 1_000;
/** The first submissions to a new database are slower (caches, the first pages of each table). */
const SUBMIT_WARM_UP_REQUESTS = 300;
const CLOSED_LOOP = { connections: 10, durationSeconds: 5 };
const OPEN_LOOP = { ratePerSecond: 100, durationSeconds: 10, timeoutMs: 5_000 };
/** Different referral bodies, made before any measurement; each server's submissions go through them once. */
const BODY_POOL = 12_000;
/** Bounds each closed-loop run whatever the machine's speed; submissions so that the pool lasts. */
const CLOSED_LOOP_MAX_REQUESTS = 100_000;
const SUBMIT_CLOSED_LOOP_MAX_REQUESTS = BODY_POOL - SUBMIT_WARM_UP_REQUESTS - OPEN_LOOP.ratePerSecond * OPEN_LOOP.durationSeconds;

const EVALUATED: SuccessStatuses = new Set([200]);
/** 201 stored with a route; 202 stored without one, awaiting manual triage. */
const STORED: SuccessStatuses = new Set([201, 202]);

/** BENCH_ONLY=in-process,http,submissions,simulation,start-up,overload: only those parts (http alone: the service against the echo, about 40 s). */
const ONLY = new Set((process.env.BENCH_ONLY ?? '').split(',').filter((part) => part !== ''));
const runsPart = (part: 'in-process' | 'http' | 'submissions' | 'simulation' | 'start-up' | 'overload') => ONLY.size === 0 || ONLY.has(part) || (part === 'http' && ONLY.has('submissions'));
const ONLY_HTTP = runsPart('http') && !runsPart('submissions');
/** BENCH_CPU_PROF=<dir>: the service of part 2 writes a V8 CPU profile (node --cpu-prof) there when it stops. */
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF;

const TARGET_DECISIONS_PER_SECOND = 1_500;
const TARGET_COMPILED_DECISIONS_PER_SECOND = 100_000;
const TARGET_HAND_WRITTEN_RATIO = 10;
const TARGET_P99_MS = 10;
const TARGET_ECHO_RATIO = 0.3;

// ---- formatting -----------------------------------------------------------------------------

const whole = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-GB') : '-');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b !== 0 ? `${(a / b).toFixed(2)}x` : '-');
const seconds = (startedMs: number) => `${((performance.now() - startedMs) / 1000).toFixed(1)} s`;

/** Left-aligns the first column and right-aligns the rest. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('   '))
    .map((line) => `  ${line.trimEnd()}`)
    .join('\n');
}

function inProcessTable(results: InProcessResults): string {
  const row = (m: Measurement) => [m.name, whole(m.opsPerSecond), whole(m.opsPerCpuSecond), ms(m.latency.p50), ms(m.latency.p99), ms(m.latency.max)];
  const cpu = (m: Measurement) => m.opsPerCpuSecond;
  const micros = (m: Measurement) => (1e6 / m.opsPerCpuSecond).toFixed(1);
  const share = (part: Measurement, of: Measurement) => `${Math.round((100 * cpu(of)) / cpu(part))}%`;
  return [
    table([
      ['', 'ops/s', 'ops/CPU-s', 'p50 ms', 'p99 ms', 'max ms'],
      row(results.evaluate),
      row(results.triage),
      row(results.bareEngine),
      row(results.validateOnly),
      row(results.compiledDecision),
      row(results.compiledFired),
      row(results.compiledFiredWithoutFacts),
      row(results.factVectorOnly),
      row(results.handWritten),
      row(results.handWrittenWithoutFacts),
      row(results.factsOnly),
    ]),
    '  (ops/CPU-s: by the CPU time this process was given, which other work on the machine disturbs less than the clock; the ratios below are by it)',
    `  compiled decision / two channels throughput: ${ratio(cpu(results.compiledDecision), cpu(results.evaluate))}; compiled fired rules / hand-written function: ${ratio(cpu(results.compiledFired), cpu(results.handWritten))}` +
      ` (the hand-written function is ${ratio(cpu(results.handWritten), cpu(results.compiledFired))} as fast)`,
    `  what the facts cost: factMap ${micros(results.factsOnly)} µs a referral, ${share(results.factsOnly, results.handWritten)} of the hand-written function's time;` +
      ` the compiled evaluator's fact vector ${micros(results.factVectorOnly)} µs, ${share(results.factVectorOnly, results.compiledFired)} of its fired rules' time and ${share(results.factVectorOnly, results.compiledDecision)} of a decision's`,
    `  evaluate / bare Engine throughput: ${ratio(cpu(results.evaluate), cpu(results.bareEngine))}` +
      ` (the ${results.ruleCount}-rule set costs ${ratio(cpu(results.bareEngine), cpu(results.evaluate))} a one-rule engine run)`,
    `  triageReferral / evaluate throughput: ${ratio(cpu(results.triage), cpu(results.evaluate))}` +
      ` (schema checks of the referral and the decision included)`,
  ].join('\n');
}

interface HttpResults {
  /** warm-up requests answered with a success status */
  warmedUp: number;
  closed: ClosedLoopResult;
  /** the server process's CPU time per closed-loop request, when it can be read (Linux) */
  cpuMsPerRequest: number;
  open: OpenLoopResult;
}

/** `subject` against `baseline`, side by side, with subject/baseline for the speeds. */
function httpTable(subject: { name: string; results: HttpResults }, baseline: { name: string; results: HttpResults }): string {
  const row = (label: string, pick: (r: HttpResults) => number, format: (n: number) => string, withRatio = true) => [
    label,
    format(pick(subject.results)),
    format(pick(baseline.results)),
    withRatio ? ratio(pick(subject.results), pick(baseline.results)) : '',
  ];
  return table([
    ['', subject.name, baseline.name, `${subject.name}/${baseline.name}`],
    [`closed loop: autocannon, ${CLOSED_LOOP.connections} connections, ${CLOSED_LOOP.durationSeconds} s`, '', '', ''],
    row('  requests/s', (r) => r.closed.requestsPerSecond, whole),
    row('  server CPU ms per request', (r) => r.cpuMsPerRequest, ms),
    row('  p50 ms (whole ms)', (r) => r.closed.p50, String),
    row('  p99 ms (whole ms)', (r) => r.closed.p99, String),
    row('  errors + other statuses', (r) => r.closed.failures, String, false),
    [`open loop: ${OPEN_LOOP.ratePerSecond} requests/s for ${OPEN_LOOP.durationSeconds} s, keep-alive`, '', '', ''],
    row('  requests sent', (r) => r.open.sent, String, false),
    row('  p50 ms', (r) => r.open.latency.p50, ms),
    row('  p99 ms', (r) => r.open.latency.p99, ms),
    row('  max ms', (r) => r.open.latency.max, ms),
    row('  failures', (r) => r.open.failures, String, false),
    row('  driver lateness p99 ms', (r) => r.open.lateness.p99, ms, false),
  ]);
}

const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

function requestPartsTable(parts: readonly RequestPart[], triage: HttpResults): string {
  const cpuMicros = 1000 * triage.cpuMsPerRequest;
  const share = (micros: number) => (Number.isFinite(cpuMicros) ? `${Math.round((100 * micros) / cpuMicros)}%` : '-');
  const paid = parts.filter((part) => part.paidInRun).reduce((sum, part) => sum + part.micros, 0);
  return table([
    ['', 'CPU µs', 'of a request'],
    ...parts.map((part) => [`${part.paidInRun ? '' : '(not paid in this run) '}${part.name}`, part.micros.toFixed(1), part.paidInRun ? share(part.micros) : '']),
    ['the parts a request of this run pays for', paid.toFixed(1), share(paid)],
    ["the rest: Node's HTTP, Express, helmet, rate limits, reading the body, GC", (cpuMicros - paid).toFixed(1), share(cpuMicros - paid)],
  ]);
}

/** 100,000 with its baselines, then 1,000,000 (about 2 minutes, most of it generating them) unless BENCH_SIMULATION_MILLION=0. */
const SIMULATION_COUNTS = [100_000, ...(process.env.BENCH_SIMULATION_MILLION === '0' ? [] : [1_000_000])];
const SIMULATION_TARGET_SECONDS: Record<number, number> = { 100_000: 3, 1_000_000: 30 };

const tallying = (threads: number) => (threads === 0 ? 'tallied on this thread, page after page' : `tallied on ${threads} worker thread${threads === 1 ? '' : 's'} while the next is read`);

function simulationReport(r: SimulationResult): string {
  const line = (label: string, s: number | undefined, cpu?: number) =>
    s === undefined ? [] : [[label, s.toFixed(2), ((1e6 * s) / r.referrals).toFixed(1), cpu === undefined ? '' : cpu.toFixed(2)]];
  return (
    table([
      ['', 'seconds', 'per referral µs', 'CPU s'],
      ...line('generate and insert (not part of a simulation)', r.insertSeconds),
      ...line(`simulate: every page read and ${tallying(r.threads)}`, r.simulateSeconds, r.cpuSeconds.simulate),
      ...line(`baseline: the same, ${tallying(r.otherThreads ?? 0)}`, r.otherSeconds, r.cpuSeconds.other),
      ...line('baseline: every page read alone (the database; nothing tallied)', r.readOnlySeconds, r.cpuSeconds.readOnly),
    ]) +
    '\n  (CPU s: the CPU time of this process, every thread, which other work on the machine disturbs less than the clock)' +
    `\n  ${whole(r.changed)} referrals change route (R10/R11 at 8 weeks instead of 6)` +
    (r.otherSeconds === undefined ? '' : `; simulate / the other way: ${ratio(r.otherSeconds, r.simulateSeconds)} the speed`) +
    (r.readOnlySeconds === undefined ? '' : `; the simulation takes ${ratio(r.simulateSeconds, r.readOnlySeconds)} the reading alone`)
  );
}

function simulationTargets(results: readonly SimulationResult[]): string {
  return [100_000, 1_000_000].map((count) => {
    const r = results.find((s) => s.referrals === count);
    const target = SIMULATION_TARGET_SECONDS[count] as number;
    if (!r) return `  impact simulation of ${whole(count)} stored referrals, reading included, <= ${target} s: not measured (BENCH_SIMULATION_MILLION=0)`;
    const baseline = r.otherSeconds === undefined ? '' : ` (baselines: ${(r.otherThreads ?? 0) === 0 ? 'on this thread' : 'on a worker thread'} ${r.otherSeconds.toFixed(2)} s, reading alone ${(r.readOnlySeconds ?? NaN).toFixed(2)} s)`;
    const met = r.simulateSeconds <= target ? 'met' : r.cpuSeconds.simulate <= target ? `NOT met by the clock (its CPU time, ${r.cpuSeconds.simulate.toFixed(2)} s, is within it: the machine is shared)` : verdict(false);
    return `  impact simulation of ${whole(count)} stored referrals, reading included, <= ${target} s: ${r.simulateSeconds.toFixed(2)} s${baseline} -> ${met}`;
  }).join('\n');
}

/** A per-core figure: met by CPU time (a core's second), said so when the clock, on a shared machine, does not agree. */
function perCore(byCpu: number, byClock: number, met: (n: number) => boolean, format: (n: number) => string): string {
  const figures = `${format(byCpu)} by CPU time, ${format(byClock)} by the clock`;
  if (!met(byCpu)) return `${figures} -> ${verdict(false)}`;
  return `${figures} -> ${met(byClock) ? 'met' : 'met by CPU time (not by the clock: the machine is shared with other work)'}`;
}

function inProcessTargets(inProcess: InProcessResults): string {
  const { evaluate, compiledDecision, compiledFired, handWritten } = inProcess;
  const atLeast = (target: number) => (n: number) => n >= target;
  const times = (n: number) => `${n.toFixed(2)}x`;
  return [
    `  in-process decisions/s per core >= ${whole(TARGET_DECISIONS_PER_SECOND)} (two channels): ${perCore(evaluate.opsPerCpuSecond, evaluate.opsPerSecond, atLeast(TARGET_DECISIONS_PER_SECOND), whole)}`,
    `  compiled evaluator decisions/s per core >= ${whole(TARGET_COMPILED_DECISIONS_PER_SECOND)}: ${perCore(compiledDecision.opsPerCpuSecond, compiledDecision.opsPerSecond, atLeast(TARGET_COMPILED_DECISIONS_PER_SECOND), whole)}`,
    `  compiled evaluator within ${TARGET_HAND_WRITTEN_RATIO}x of the hand-written function: ` +
      perCore(handWritten.opsPerCpuSecond / compiledFired.opsPerCpuSecond, handWritten.opsPerSecond / compiledFired.opsPerSecond, (n) => n <= TARGET_HAND_WRITTEN_RATIO, times),
  ].join('\n');
}

function httpTargets(triage: HttpResults, echo: HttpResults): string {
  const p99 = triage.open.latency.p99;
  const clean = triage.open.failures === 0;
  const share = triage.closed.requestsPerSecond / echo.closed.requestsPerSecond;
  return [
    `  POST ${TRIAGE_PATH} throughput >= ${TARGET_ECHO_RATIO}x the echo's (closed loop): ${ratio(triage.closed.requestsPerSecond, echo.closed.requestsPerSecond)} -> ${verdict(share >= TARGET_ECHO_RATIO)}` +
      ` (by server CPU time per request, which a busy machine disturbs less: ${ratio(echo.cpuMsPerRequest, triage.cpuMsPerRequest)})`,
    `  POST ${TRIAGE_PATH} p99 <= ${TARGET_P99_MS} ms at ${OPEN_LOOP.ratePerSecond} requests/s: ${ms(p99)} ms` +
      `${clean ? '' : `, ${triage.open.failures} failures`} -> ${verdict(p99 <= TARGET_P99_MS && clean)}`,
  ].join('\n');
}

// ---- cleaning up ----------------------------------------------------------------------------

/** What the run has made (servers, temporary directories, databases), undone last first. */
const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;

function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (let cleanup = cleanups.pop(); cleanup; cleanup = cleanups.pop()) {
      try {
        await cleanup();
      } catch (error) {
        process.stderr.write(`bench clean-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    }
  })();
  return cleaning;
}

/** Runs `cleanup` now, once, and takes it off the list. */
async function release(cleanup: () => Promise<unknown>): Promise<void> {
  const at = cleanups.indexOf(cleanup);
  if (at === -1) return;
  cleanups.splice(at, 1);
  await cleanup();
}

/** Registers a database's removal; registered before its server, so undone after the server stops. */
function ownDatabase(db: BenchDatabase): () => Promise<unknown> {
  const dispose = () => db.dispose();
  cleanups.push(dispose);
  return dispose;
}

async function startOwnedServer(...args: Parameters<typeof startServer>): Promise<{ server: ChildServer; stop: () => Promise<unknown> }> {
  const server = await startServer(...args);
  const stop = () => server.stop();
  cleanups.push(stop);
  return { server, stop };
}

/** Issues a GP token in the database with the command line (before the service opens it), then starts the service. */
async function startService(db: BenchDatabase): Promise<{ server: ChildServer; stop: () => Promise<unknown>; headers: Record<string, string> }> {
  const { token } = await issueTokenWithCli(db.env, { role: 'gp', name: 'bench GP', practice: BENCH_PRACTICE, cwd: ROOT });
  const started = await startOwnedServer(`msk-triage on ${db.label}`, 'dist/main.js', '/readyz', {
    cwd: ROOT,
    env: { LOG_LEVEL: 'error', ...NO_RATE_LIMITS, ...db.env },
    ...(CPU_PROFILE_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] } : {}),
  });
  return { ...started, headers: { authorization: `Bearer ${token}` } };
}

// ---- the run --------------------------------------------------------------------------------

async function measureHttp(
  server: ChildServer,
  path: string,
  source: RequestSource,
  options: { warmUpRequests: number; maxRequests: number; ok: SuccessStatuses },
): Promise<HttpResults> {
  const url = new URL(path, server.origin);
  const warmedUp = await warmUp(url, source, options.warmUpRequests, options.ok);
  server.assertAlive();
  if (warmedUp < options.warmUpRequests / 2) {
    throw new Error(
      `${server.name}: only ${warmedUp} of ${options.warmUpRequests} warm-up requests to ${path} were answered ${[...options.ok].join(' or ')};` +
        ' the numbers would measure refusals (401, 403, 429...), not the service',
    );
  }
  const cpuBefore = server.cpuSeconds();
  const closed = await closedLoop(url, source, { ...CLOSED_LOOP, maxRequests: options.maxRequests, ok: options.ok });
  const cpuAfter = server.cpuSeconds();
  server.assertAlive();
  const cpuMsPerRequest = cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : (1000 * (cpuAfter - cpuBefore)) / closed.requests;
  const open = await openLoop(url, source, { ...OPEN_LOOP, ok: options.ok });
  server.assertAlive();
  return { warmedUp, closed, cpuMsPerRequest, open };
}

const measureTriage = (server: ChildServer, bodies: readonly string[], label: string, headers: Record<string, string>) =>
  measureHttp(server, TRIAGE_PATH, new RequestSource(bodies, label, headers), {
    warmUpRequests: HTTP_WARM_UP_REQUESTS,
    maxRequests: CLOSED_LOOP_MAX_REQUESTS,
    ok: EVALUATED,
  });

interface SubmissionResults {
  submit: HttpResults;
  /** answered 201 or 202, warm-up included */
  stored: number;
  /** requests that carried a body an earlier one had carried (0 unless the pool ran out) */
  repeatedBodies: number;
}

async function measureSubmissions(server: ChildServer, bodies: readonly string[], label: string, headers: Record<string, string>): Promise<SubmissionResults> {
  const source = new RequestSource(bodies, label, headers);
  const submit = await measureHttp(server, SUBMIT_PATH, source, {
    warmUpRequests: SUBMIT_WARM_UP_REQUESTS,
    maxRequests: SUBMIT_CLOSED_LOOP_MAX_REQUESTS,
    ok: STORED,
  });
  return {
    submit,
    stored: submit.warmedUp + submit.closed.succeeded + submit.open.latency.count,
    repeatedBodies: source.repeatedBodies,
  };
}

const describe = (reasons: Record<string, number>) =>
  Object.entries(reasons)
    .map(([reason, count]) => `${reason}: ${count}`)
    .join(', ');

/** Says what failed, and when the fixed rate was more than the server could answer. */
function notes(columns: readonly { name: string; results: HttpResults }[]): string[] {
  const lines: string[] = [];
  for (const { name, results } of columns) {
    if (results.closed.failures > 0) lines.push(`  ${name}, closed loop, failures: ${describe(results.closed.failureReasons)}`);
    if (results.open.failures > 0) lines.push(`  ${name}, open loop, failures: ${describe(results.open.failureReasons)}`);
    if (results.closed.requestsPerSecond < OPEN_LOOP.ratePerSecond) {
      lines.push(
        `  ${name}: ${OPEN_LOOP.ratePerSecond} requests/s is more than the ${whole(results.closed.requestsPerSecond)} requests/s it answered in the closed loop,` +
          ` so its open-loop latencies are mostly time spent queueing, and grow with the run's length`,
      );
    }
  }
  return lines;
}

function submissionReport(triage: HttpResults, results: SubmissionResults, storedInDatabase: number | undefined): string {
  const lines = [
    httpTable({ name: 'submit', results: results.submit }, { name: 'triage', results: triage }),
    `  submit/triage is the cost of storing: the referral, its decision, two hash-chained audit events and the key, in one transaction`,
    ...notes([
      { name: 'submit', results: results.submit },
      { name: 'triage', results: triage },
    ]),
  ];
  if (storedInDatabase !== undefined) {
    // A closed-loop run ends by closing its connections, so a few submissions may commit unanswered.
    lines.push(
      `  referrals in the database: ${whole(storedInDatabase)}; submissions answered 201/202 (warm-up included): ${whole(results.stored)}` +
        (storedInDatabase < results.stored ? ' -> FEWER stored than answered' : ''),
    );
  }
  if (results.repeatedBodies > 0) {
    lines.push(`  the pool of ${whole(BODY_POOL)} bodies ran out: ${whole(results.repeatedBodies)} submissions repeated a body (with a new key)`);
  }
  return lines.join('\n');
}

const submissionHeading = (db: BenchDatabase, where: string) =>
  `Submissions on ${db.label} (${where}): POST ${SUBMIT_PATH} (validate, evaluate, store) against POST ${TRIAGE_PATH} ` +
  `(evaluate only) on the same service process, each request a different referral with its own Idempotency-Key:`;

async function onPostgres(serverUrl: { url: string; variable: string }, bodies: readonly string[]): Promise<void> {
  const db = await postgresDatabase(serverUrl.url);
  const dropDatabase = ownDatabase(db);
  const startedAt = performance.now();
  const { server, stop, headers } = await startService(db);
  process.stdout.write(`(GP token issued and ${server.name} ready in ${seconds(startedAt)}, new database on ${redacted(serverUrl.url)} from ${serverUrl.variable})\n`);
  const triage = await measureTriage(server, bodies, 'pg-triage', headers);
  const submissions = await measureSubmissions(server, bodies, 'pg-submit', headers);
  await release(stop);
  const stored = await db.storedReferrals();
  await release(dropDatabase);
  process.stdout.write(`${submissionHeading(db, 'a new database, dropped at the end')}\n${submissionReport(triage, submissions, stored)}\n\n`);
}

async function main(): Promise<void> {
  const benchStartedAt = performance.now();
  if (!buildIsCurrent()) await build(); // the service is started as `npm start` starts it: dist/main.js
  const cpus = os.cpus();
  process.stdout.write(
    `msk-triage bench: node ${process.version}, ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), synthetic referrals seed ${SEED}\n\n`,
  );

  if (ONLY.size > 0) process.stdout.write(`BENCH_ONLY=${[...ONLY].join(',')}: only ${ONLY_HTTP ? 'part 2 (the service against the echo over HTTP)' : 'those parts'}\n\n`);
  let inProcess: InProcessResults | undefined;
  if (runsPart('in-process')) {
    inProcess = await measureInProcess(ROOT, syntheticReferrals(1_000, SEED), IN_PROCESS);
    process.stdout.write(
      `In-process, one core, one evaluation at a time (at least ${IN_PROCESS.measured} each, in ${IN_PROCESS.rounds} interleaved rounds of at least ${IN_PROCESS.minRoundMs} ms, after ${IN_PROCESS.warmUp} to warm up):\n${inProcessTable(inProcess)}\n\n`,
    );
  }
  const simulations = runsPart('simulation') ? await measureSimulations() : [];
  const bodies = syntheticReferrals(BODY_POOL, SEED + 1).map((referral) =>
    JSON.stringify({ ...referral, referrer: { ...referral.referrer, odsCode: BENCH_PRACTICE } }),
  );
  const startUp = runsPart('start-up') ? await measureStartUpPart(bodies) : undefined;
  const overload = runsPart('overload') ? await measureOverloadPart(bodies) : undefined;
  const targetsOf = (http?: { triage: HttpResults; echo: HttpResults }) =>
    `Targets (for information; the bench never fails on speed):\n${inProcess ? `${inProcessTargets(inProcess)}\n` : ''}` +
    `${http ? `${httpTargets(http.triage, http.echo)}\n` : ''}${simulations.length > 0 ? `${simulationTargets(simulations)}\n` : ''}` +
    `${startUp ? `${startUpTargets(startUp)}\n` : ''}${(overload ?? []).map(({ label, result }) => `${overloadTargets(result, label)}\n`).join('')}`;
  if (!runsPart('http')) {
    process.stdout.write(`${targetsOf()}\nbench took ${seconds(benchStartedAt)}\n`);
    return;
  }

  // Part 2, and part 3 on PGlite: the service in a new temporary DATA_DIR, the echo beside it.
  const pglite = pgliteDatabase();
  const removePglite = ownDatabase(pglite);
  const startedAt = performance.now();
  const [serviceStarted, echoStarted] = await Promise.allSettled([
    startService(pglite),
    startOwnedServer('echo', 'test/bench/echo-server.ts', '/readyz', { cwd: ROOT }),
  ]);
  if (serviceStarted.status === 'rejected') throw serviceStarted.reason;
  if (echoStarted.status === 'rejected') throw echoStarted.reason;
  const service = serviceStarted.value;
  const echo = echoStarted.value;
  process.stdout.write(`(GP token issued and ${service.server.name} ready in ${seconds(startedAt)}, a new DATA_DIR in ${os.tmpdir()})\n`);

  const echoResults = await measureHttp(echo.server, TRIAGE_PATH, new RequestSource(bodies, 'echo', service.headers), {
    warmUpRequests: HTTP_WARM_UP_REQUESTS,
    maxRequests: CLOSED_LOOP_MAX_REQUESTS,
    ok: EVALUATED,
  });
  await release(echo.stop);
  const triage = await measureTriage(service.server, bodies, 'pglite-triage', service.headers);
  process.stdout.write(
    `HTTP on loopback, POST ${TRIAGE_PATH}: the service against a bare Express 5 JSON echo, each in its own process, ${whole(BODY_POOL)} different referrals:\n` +
      `${[
        httpTable({ name: 'triage', results: triage }, { name: 'echo', results: echoResults }),
        ...notes([
          { name: 'triage', results: triage },
          { name: 'echo', results: echoResults },
        ]),
      ].join('\n')}\n\n`,
  );

  const parts = await measureRequestParts(ROOT, bodies, BENCH_PRACTICE);
  process.stdout.write(
    `POST ${TRIAGE_PATH} part by part, each measured alone in this process, against the service's CPU time per request (${ms(triage.cpuMsPerRequest)} ms) in the closed loop:\n` +
      `${requestPartsTable(parts, triage)}\n\n`,
  );

  if (ONLY_HTTP) {
    await release(service.stop);
    await release(removePglite);
    process.stdout.write(`${targetsOf({ triage, echo: echoResults })}\nbench took ${seconds(benchStartedAt)}\n`);
    return;
  }
  const submissions = await measureSubmissions(service.server, bodies, 'pglite-submit', service.headers);
  await release(service.stop);
  const stored = await pglite.storedReferrals();
  await release(removePglite);
  process.stdout.write(`${submissionHeading(pglite, 'a new temporary DATA_DIR, removed at the end')}\n${submissionReport(triage, submissions, stored)}\n\n`);

  // Part 3 on PostgreSQL, when a server is named.
  const postgres = postgresServerUrl();
  if (!postgres) {
    process.stdout.write(
      'Submissions on PostgreSQL: skipped, no server named. Set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL server\n' +
        'on which this user may create databases, e.g. BENCH_DATABASE_URL=postgresql://user@127.0.0.1:5432/postgres npm run bench;\n' +
        'the bench creates a database msk_bench_<random> there and drops it at the end.\n\n',
    );
  } else {
    try {
      await onPostgres(postgres, bodies);
    } catch (error) {
      process.stdout.write(`Submissions on PostgreSQL: FAILED: ${error instanceof Error ? error.message : String(error)}\n\n`);
      process.exitCode = 1;
      await cleanUp();
    }
  }

  process.stdout.write(`${targetsOf({ triage, echo: echoResults })}\nbench took ${seconds(benchStartedAt)}\n`);
}

/** Overload on a new PGlite DATA_DIR, and on a new PostgreSQL database when a server is named. */
async function measureOverloadPart(bodies: readonly string[]): Promise<Array<{ label: string; result: OverloadResult }>> {
  const results: Array<{ label: string; result: OverloadResult }> = [];
  const server = postgresServerUrl();
  const databases = [() => Promise.resolve(pgliteDatabase()), ...(server ? [() => postgresDatabase(server.url)] : [])];
  for (const open of databases) {
    const db = await open();
    const remove = ownDatabase(db);
    const { server: service, stop, headers } = await startService(db);
    const result = await measureOverload(service, bodies, headers);
    await release(stop);
    await release(remove);
    process.stdout.write(`${overloadReport(result, db.label)}\n\n`);
    results.push({ label: db.label, result });
  }
  return results;
}

async function measureStartUpPart(bodies: readonly string[]): Promise<StartUpResult> {
  const db = pgliteDatabase();
  const remove = ownDatabase(db);
  const result = await measureStartUp(ROOT, db, bodies, BENCH_PRACTICE);
  await release(remove);
  process.stdout.write(`${startUpReport(result)}\n\n`);
  return result;
}

async function measureSimulations(): Promise<SimulationResult[]> {
  const simulations: SimulationResult[] = [];
  for (const count of SIMULATION_COUNTS) {
    process.stdout.write(`Impact simulation of ${whole(count)} stored referrals on a new embedded database (generated straight into it)...\n`);
    const result = await measureSimulation(ROOT, count, { baselines: count <= 100_000 });
    simulations.push(result);
    process.stdout.write(`${simulationReport(result)}\n\n`);
  }
  return simulations;
}

const interrupted = (signal: NodeJS.Signals, code: number) =>
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping the servers and removing what the bench made\n`);
    void cleanUp().then(() => process.exit(code));
  });
interrupted('SIGINT', 130);
interrupted('SIGTERM', 143);

try {
  await main();
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
