/**
 * `npm run bench`: how fast triage is, in one run, as ratios against baselines measured in the same
 * run on the same machine, never as timed assertions (a busy CI box would make those flaky).
 *
 * 1. In-process: the default rule set over synthetic referrals, one evaluation at a time on one
 *    core, against a bare json-rules-engine Engine and against schema validation alone.
 * 2. HTTP on loopback: POST /api/v1/triage on the real service against a bare Express JSON echo,
 *    both started here as child processes; closed-loop throughput, then open-loop latency at a fixed
 *    rate.
 *
 * The targets are printed as met or not, for information; the exit code is 0 unless something
 * crashed. Runs in under a minute (about 48 s on the 2-core dev box).
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { syntheticReferrals } from '../../src/referrals/synthetic-referrals.js';
import { closedLoop, openLoop, warmUp, type ClosedLoopResult, type OpenLoopResult } from './http-load.js';
import { measureInProcess, type InProcessResults, type Measurement } from './in-process.js';
import { startServer, type ChildServer } from './servers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TRIAGE_PATH = '/api/v1/triage';
const SEED = 1;

const IN_PROCESS = { warmUp: 500, measured: 3_000, rounds: 5 };
const HTTP_WARM_UP_REQUESTS = 1_000;
const CLOSED_LOOP = { connections: 10, durationSeconds: 5 };
const OPEN_LOOP = { ratePerSecond: 100, durationSeconds: 10, timeoutMs: 5_000 };

const TARGET_DECISIONS_PER_SECOND = 1_500;
const TARGET_P99_MS = 10;

// ---- formatting -----------------------------------------------------------------------------

const whole = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-GB') : '-');
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b !== 0 ? `${(a / b).toFixed(2)}x` : '-');

/** Left-aligns the first column and right-aligns the rest. */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('   '))
    .map((line) => `  ${line.trimEnd()}`)
    .join('\n');
}

function inProcessTable(results: InProcessResults): string {
  const row = (m: Measurement) => [m.name, whole(m.opsPerSecond), ms(m.latency.p50), ms(m.latency.p99), ms(m.latency.max)];
  return [
    table([
      ['', 'ops/s', 'p50 ms', 'p99 ms', 'max ms'],
      row(results.evaluate),
      row(results.triage),
      row(results.bareEngine),
      row(results.validateOnly),
    ]),
    `  evaluate / bare Engine throughput: ${ratio(results.evaluate.opsPerSecond, results.bareEngine.opsPerSecond)}` +
      ` (the ${results.ruleCount}-rule set costs ${ratio(results.bareEngine.opsPerSecond, results.evaluate.opsPerSecond)} a one-rule engine run)`,
    `  triageReferral / evaluate throughput: ${ratio(results.triage.opsPerSecond, results.evaluate.opsPerSecond)}` +
      ` (schema checks of the referral and the decision included)`,
  ].join('\n');
}

interface HttpResults {
  closed: ClosedLoopResult;
  open: OpenLoopResult;
}

function httpTable(triage: HttpResults, echo: HttpResults): string {
  const row = (label: string, pick: (r: HttpResults) => number, format: (n: number) => string, withRatio = true) => [
    label,
    format(pick(triage)),
    format(pick(echo)),
    withRatio ? ratio(pick(triage), pick(echo)) : '',
  ];
  return table([
    ['', 'triage', 'echo', 'triage/echo'],
    [`closed loop: autocannon, ${CLOSED_LOOP.connections} connections, ${CLOSED_LOOP.durationSeconds} s`, '', '', ''],
    row('  requests/s', (r) => r.closed.requestsPerSecond, whole),
    row('  p50 ms (whole ms)', (r) => r.closed.p50, String),
    row('  p99 ms (whole ms)', (r) => r.closed.p99, String),
    row('  errors + non-2xx', (r) => r.closed.failures, String, false),
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

function targets(inProcess: InProcessResults, triage: HttpResults): string {
  const rate = inProcess.evaluate.opsPerSecond;
  const p99 = triage.open.latency.p99;
  const clean = triage.open.failures === 0;
  return [
    `  in-process decisions/s per core >= ${whole(TARGET_DECISIONS_PER_SECOND)}: ${whole(rate)} -> ${verdict(rate >= TARGET_DECISIONS_PER_SECOND)}`,
    `  POST ${TRIAGE_PATH} p99 <= ${TARGET_P99_MS} ms at ${OPEN_LOOP.ratePerSecond} requests/s: ${ms(p99)} ms` +
      `${clean ? '' : `, ${triage.open.failures} failures`} -> ${verdict(p99 <= TARGET_P99_MS && clean)}`,
  ].join('\n');
}

// ---- the run --------------------------------------------------------------------------------

async function measureHttp(server: ChildServer, bodies: readonly string[]): Promise<HttpResults> {
  const url = new URL(TRIAGE_PATH, server.origin);
  await warmUp(url, bodies, HTTP_WARM_UP_REQUESTS);
  const closed = await closedLoop(url, bodies, CLOSED_LOOP);
  server.assertAlive();
  const open = await openLoop(url, bodies, OPEN_LOOP);
  server.assertAlive();
  return { closed, open };
}

async function main(servers: ChildServer[]): Promise<void> {
  const cpus = os.cpus();
  process.stdout.write(
    `msk-triage bench: node ${process.version}, ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), synthetic referrals seed ${SEED}\n\n`,
  );

  const referrals = syntheticReferrals(1_000, SEED);
  const inProcess = await measureInProcess(ROOT, referrals, IN_PROCESS);
  process.stdout.write(
    `In-process, one core, one evaluation at a time (${IN_PROCESS.measured} each in ${IN_PROCESS.rounds} interleaved rounds, after ${IN_PROCESS.warmUp} to warm up):\n${inProcessTable(inProcess)}\n\n`,
  );

  const started = await Promise.allSettled([
    startServer('msk-triage', 'src/main.ts', '/readyz', { cwd: ROOT, env: { LOG_LEVEL: 'error' } }),
    startServer('echo', 'test/bench/echo-server.ts', '/readyz', { cwd: ROOT }),
  ]);
  for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
  for (const result of started) if (result.status === 'rejected') throw result.reason;
  const [triageServer, echoServer] = servers as [ChildServer, ChildServer];

  const bodies = syntheticReferrals(200, SEED + 1).map((referral) => JSON.stringify(referral));
  const echo = await measureHttp(echoServer, bodies);
  const triage = await measureHttp(triageServer, bodies);
  process.stdout.write(
    `HTTP on loopback, POST ${TRIAGE_PATH}: the service against a bare Express 5 JSON echo, each in its own process, ${bodies.length} different referrals:\n${httpTable(triage, echo)}\n\n`,
  );
  process.stdout.write(`Targets (for information; the bench never fails on speed):\n${targets(inProcess, triage)}\n`);
}

const servers: ChildServer[] = [];
const stopAll = () => Promise.allSettled(servers.map((server) => server.stop()));
process.once('SIGINT', () => {
  void stopAll().then(() => process.exit(130));
});

try {
  await main(servers);
} catch (error) {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
