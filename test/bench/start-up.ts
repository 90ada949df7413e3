/**
 * Start-up and memory, against a bare Express process started the same way (node running compiled
 * JavaScript: the service's build in dist/, as `npm start` runs it, and the echo and the bare command
 * transpiled by esbuild the same way):
 * - the service's first start on a new DATA_DIR (PGlite creating and migrating its database) and a
 *   restart on the same folder, each from the spawn to the first 200 from /readyz, against the echo's;
 * - one command (`msk-triage token list`) beside the running service, against a bare tsx script;
 * - resident memory after 10,000 POST /api/v1/triage requests, against the echo's after the same.
 * Each start is taken more than once and the best kept: a start is short, and a burst of other work
 * on the machine lands on one of them, not on all.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build as esbuild } from 'esbuild';
import { issueTokenWithCli, NO_RATE_LIMITS } from '../support/cli-tokens.js';
import type { BenchDatabase } from './databases.js';
import { closedLoop } from './http-load.js';
import { RequestSource } from './request-source.js';
import { startServer, type ChildServer } from './servers.js';

const run = promisify(execFile);
const STARTS = 3;
const REQUESTS_BEFORE_MEMORY = 10_000;
const POLL_MS = 20;
const EVALUATED = new Set([200]);

export interface StartUpResult {
  firstStartMs: number;
  restartMs: number;
  commandMs: number;
  residentMb: number;
  echo: { startMs: number; commandMs: number; residentMb: number };
}

async function timedStart(name: string, script: string, cwd: string, env: Record<string, string>): Promise<{ server: ChildServer; ms: number }> {
  const started = performance.now();
  const server = await startServer(name, script, '/readyz', { cwd, env, pollMs: POLL_MS });
  return { server, ms: performance.now() - started };
}

async function timedCommand(cwd: string, args: string[], env: Record<string, string>): Promise<number> {
  const started = performance.now();
  await run(process.execPath, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return performance.now() - started;
}

async function bestOf(times: number, measure: () => Promise<number>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < times; i++) best = Math.min(best, await measure());
  return best;
}

/** 10,000 requests, then the server's resident memory. */
async function residentAfterLoad(server: ChildServer, path: string, bodies: readonly string[], headers: Record<string, string>): Promise<number> {
  await closedLoop(new URL(path, server.origin), new RequestSource(bodies, `memory-${server.name}`, headers), {
    connections: 10, durationSeconds: 60, maxRequests: REQUESTS_BEFORE_MEMORY, ok: EVALUATED,
  });
  server.assertAlive();
  return server.residentMegabytes() ?? NaN;
}

/**
 * The baselines as JavaScript, in node_modules/.cache (so that they find express where the service
 * does), transpiled as the service's build is.
 */
async function compiledBaselines(root: string): Promise<{ echo: string; command: string }> {
  const outdir = path.join(root, 'node_modules', '.cache', 'msk-bench');
  mkdirSync(outdir, { recursive: true });
  const entryPoints = ['echo-server', 'bare-command'].map((name) => path.join(root, 'test', 'bench', `${name}.ts`));
  await esbuild({ entryPoints, outdir, format: 'esm', platform: 'node', target: 'node20', outExtension: { '.js': '.mjs' }, logLevel: 'warning' });
  return { echo: path.join(outdir, 'echo-server.mjs'), command: path.join(outdir, 'bare-command.mjs') };
}

/** `db` must be new (its first start is measured); `bodies` are triage bodies from BENCH_PRACTICE's GP. */
export async function measureStartUp(root: string, db: BenchDatabase, bodies: readonly string[], practice: string): Promise<StartUpResult> {
  const env = { LOG_LEVEL: 'error', ...NO_RATE_LIMITS, ...db.env };
  const baselines = await compiledBaselines(root);
  const first = await timedStart('msk-triage (first start)', 'dist/main.js', root, env);
  await first.server.stop();
  let restartMs = Infinity;
  for (let i = 0; i < STARTS - 1; i++) {
    const again = await timedStart('msk-triage (restart)', 'dist/main.js', root, env);
    restartMs = Math.min(restartMs, again.ms);
    await again.server.stop();
  }
  const service = await timedStart('msk-triage', 'dist/main.js', root, env);
  restartMs = Math.min(restartMs, service.ms);
  let commandMs: number;
  let residentMb: number;
  try {
    const { token } = await issueTokenWithCli(db.env, { role: 'gp', name: 'bench GP', practice, cwd: root });
    commandMs = await bestOf(STARTS, () => timedCommand(root, ['src/cli/bin.js', 'token', 'list'], db.env));
    residentMb = await residentAfterLoad(service.server, '/api/v1/triage', bodies, { authorization: `Bearer ${token}` });
  } finally {
    await service.server.stop();
  }

  let echoStartMs = Infinity;
  let echoResidentMb = NaN;
  for (let i = 0; i < STARTS; i++) {
    const echo = await timedStart('echo', baselines.echo, root, {});
    echoStartMs = Math.min(echoStartMs, echo.ms);
    try {
      if (i === STARTS - 1) echoResidentMb = await residentAfterLoad(echo.server, '/api/v1/triage', bodies, {});
    } finally {
      await echo.server.stop();
    }
  }
  const echoCommandMs = await bestOf(STARTS, () => timedCommand(root, [baselines.command], {}));
  return { firstStartMs: first.ms, restartMs, commandMs, residentMb, echo: { startMs: echoStartMs, commandMs: echoCommandMs, residentMb: echoResidentMb } };
}

const ms = (value: number) => `${(value / 1000).toFixed(2)} s`;
const ratio = (value: number, base: number) => `${(value / base).toFixed(1)}x`;

export function startUpReport(result: StartUpResult): string {
  const { echo } = result;
  const rows: Array<[string, string, string, string]> = [
    ['first start, new DATA_DIR (spawn to /readyz 200)', ms(result.firstStartMs), ms(echo.startMs), ratio(result.firstStartMs, echo.startMs)],
    [`restart, same DATA_DIR (best of ${STARTS})`, ms(result.restartMs), ms(echo.startMs), ratio(result.restartMs, echo.startMs)],
    ['one command beside the service (token list) / a bare script', ms(result.commandMs), ms(echo.commandMs), ratio(result.commandMs, echo.commandMs)],
    [`resident memory after ${REQUESTS_BEFORE_MEMORY.toLocaleString('en-GB')} triage requests`, `${result.residentMb.toFixed(0)} MB`, `${echo.residentMb.toFixed(0)} MB`, ratio(result.residentMb, echo.residentMb)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return [
    `Start-up and memory: msk-triage on PGlite (dist/, as npm start runs it) against a bare Express 5 echo, each compiled JavaScript:`,
    `  ${''.padEnd(width)}  ${'service'.padStart(9)}  ${'bare'.padStart(9)}  ${'ratio'.padStart(6)}`,
    ...rows.map(([name, service, bare, r]) => `  ${name.padEnd(width)}  ${service.padStart(9)}  ${bare.padStart(9)}  ${r.padStart(6)}`),
  ].join('\n');
}

export function startUpTargets(result: StartUpResult): string {
  return `  restart in about a second (<= 1.5 s): ${ms(result.restartMs)} -> ${result.restartMs <= 1_500 ? 'met' : 'NOT met'}`;
}
