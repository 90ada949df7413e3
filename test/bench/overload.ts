/**
 * Overload: POST /api/v1/referrals offered at twice its knee, open loop, as GP systems would keep
 * sending. The knee is the closed-loop throughput of submissions measured just before on the same
 * service. While the load runs, /healthz is asked every 50 ms on a connection of its own. When the
 * load stops, a probe submission every 100 ms finds how long the service takes to answer one as
 * quickly as before the load again (recovered: a 201 within 250 ms).
 *
 * Figures, with the targets of issue 11: the share of requests answered (anything, a 503 included)
 * within 1 s (>= 99 %), the p99 of the accepted ones (201: <= 1 s), /healthz p99 (<= 50 ms), and the
 * time to recover (<= 2 s). A service that sheds load answers the excess at once with 503 and a
 * Retry-After; one that queues answers everything late.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { closedLoop } from './http-load.js';
import { summarise, type LatencySummary } from './latency.js';
import { RequestSource } from './request-source.js';
import type { ChildServer } from './servers.js';

const KNEE_SECONDS = 5;
const LOAD_SECONDS = 15;
const HEALTH_EVERY_MS = 50;
const PROBE_EVERY_MS = 100;
const RECOVERED_WITHIN_MS = 250;
const RECOVERY_GIVE_UP_MS = 60_000;
const REQUEST_TIMEOUT_MS = 60_000;
const SUBMITTED = new Set([201, 202]);

export interface OverloadResult {
  kneePerSecond: number;
  offeredPerSecond: number;
  sent: number;
  /** answered with any status within 1 s, of those sent */
  answeredWithinSecond: number;
  accepted: LatencySummary;
  /** 503 SERVICE_OVERLOADED answers, and how fast they came */
  shed: LatencySummary;
  /** any other status, a reset or a time-out */
  otherFailures: Record<string, number>;
  health: LatencySummary;
  recoveryMs: number;
}

interface Answer {
  status: number | string;
  ms: number;
}

function send(agent: http.Agent, url: URL, method: 'GET' | 'POST', request?: { body: string; headers: Record<string, string> }): Promise<Answer> {
  const sent = performance.now();
  return new Promise((resolve) => {
    const outgoing = http.request(url, {
      method, agent,
      headers: request ? { ...request.headers, 'content-length': Buffer.byteLength(request.body) } : {},
    }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - sent }));
      response.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? 'error', ms: performance.now() - sent }));
    });
    outgoing.setTimeout(REQUEST_TIMEOUT_MS, () => outgoing.destroy(Object.assign(new Error('timed out'), { code: 'timed out' })));
    outgoing.on('error', (error: NodeJS.ErrnoException) => resolve({ status: error.code ?? 'error', ms: performance.now() - sent }));
    outgoing.end(request?.body);
  });
}

export async function measureOverload(server: ChildServer, bodies: readonly string[], headers: Record<string, string>): Promise<OverloadResult> {
  const submit = new URL('/api/v1/referrals', server.origin);
  const knee = await closedLoop(submit, new RequestSource(bodies, 'overload-knee', headers), {
    connections: 10, durationSeconds: KNEE_SECONDS, maxRequests: 1_000_000, ok: SUBMITTED,
  });
  server.assertAlive();
  const offeredPerSecond = Math.max(10, Math.round(knee.requestsPerSecond * 2));
  const source = new RequestSource(bodies, 'overload', headers);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1_024 });
  const healthAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const answers: Promise<Answer>[] = [];
  const health: number[] = [];
  let loading = true;
  const healthChecks = (async () => {
    while (loading) {
      const answer = await send(healthAgent, new URL('/healthz', server.origin), 'GET');
      health.push(answer.ms);
      await sleep(HEALTH_EVERY_MS);
    }
  })();
  const total = offeredPerSecond * LOAD_SECONDS;
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const wait = (i * 1000) / offeredPerSecond - (performance.now() - started);
    if (wait > 0) await sleep(wait);
    answers.push(send(agent, submit, 'POST', source.next()));
  }
  const loadEnded = performance.now();
  // Recovery: a probe every 100 ms from the end of the load until one is answered 201 quickly.
  let recoveryMs = NaN;
  while (performance.now() - loadEnded < RECOVERY_GIVE_UP_MS) {
    const probe = await send(agent, submit, 'POST', source.next());
    if (SUBMITTED.has(Number(probe.status)) && probe.ms <= RECOVERED_WITHIN_MS) {
      recoveryMs = performance.now() - loadEnded;
      break;
    }
    await sleep(PROBE_EVERY_MS);
  }
  const settled = await Promise.all(answers);
  loading = false;
  await healthChecks;
  agent.destroy();
  healthAgent.destroy();
  server.assertAlive();

  const accepted = settled.filter((a) => SUBMITTED.has(Number(a.status))).map((a) => a.ms);
  const shed = settled.filter((a) => a.status === 503).map((a) => a.ms);
  const otherFailures: Record<string, number> = {};
  for (const answer of settled) {
    if (SUBMITTED.has(Number(answer.status)) || answer.status === 503) continue;
    const reason = typeof answer.status === 'number' ? `status ${answer.status}` : answer.status;
    otherFailures[reason] = (otherFailures[reason] ?? 0) + 1;
  }
  const answeredInTime = settled.filter((a) => typeof a.status === 'number' && a.ms <= 1_000).length;
  return {
    kneePerSecond: knee.requestsPerSecond, offeredPerSecond, sent: settled.length,
    answeredWithinSecond: answeredInTime / settled.length,
    accepted: summarise(accepted), shed: summarise(shed), otherFailures, health: summarise(health), recoveryMs,
  };
}

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

export function overloadReport(result: OverloadResult, database: string): string {
  const share = (n: number) => `${(n * 100).toFixed(1)} %`;
  const others = Object.entries(result.otherFailures).map(([reason, n]) => `${reason}: ${n}`).join(', ') || 'none';
  return [
    `Overload on ${database}: POST /api/v1/referrals offered at twice its knee, open loop for ${LOAD_SECONDS} s (/healthz asked every ${HEALTH_EVERY_MS} ms meanwhile):`,
    `  knee (closed loop, 10 connections, ${KNEE_SECONDS} s)       ${fixed(result.kneePerSecond)} submissions/s`,
    `  offered                                      ${result.offeredPerSecond}/s, ${result.sent} requests`,
    `  answered within 1 s (any status)             ${share(result.answeredWithinSecond)}`,
    `  accepted (201)                               ${result.accepted.count}: p50 ${fixed(result.accepted.p50)} ms, p99 ${fixed(result.accepted.p99)} ms, max ${fixed(result.accepted.max)} ms`,
    `  shed (503 SERVICE_OVERLOADED)                ${result.shed.count}: p50 ${fixed(result.shed.p50, 1)} ms, p99 ${fixed(result.shed.p99, 1)} ms`,
    `  anything else                                ${others}`,
    `  /healthz                                     p50 ${fixed(result.health.p50, 1)} ms, p99 ${fixed(result.health.p99, 1)} ms, max ${fixed(result.health.max, 1)} ms (${result.health.count} asked)`,
    `  recovered (a submission answered 201 within ${RECOVERED_WITHIN_MS} ms) ${fixed(result.recoveryMs)} ms after the load stopped`,
  ].join('\n');
}

export function overloadTargets(result: OverloadResult, database: string): string {
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return [
    `  overload on ${database}, answered within 1 s >= 99 %: ${(result.answeredWithinSecond * 100).toFixed(1)} % -> ${met(result.answeredWithinSecond >= 0.99)}`,
    `  overload on ${database}, p99 of accepted <= 1 s: ${fixed(result.accepted.p99)} ms -> ${met(result.accepted.p99 <= 1_000)}`,
    `  overload on ${database}, /healthz p99 <= 50 ms: ${fixed(result.health.p99, 1)} ms -> ${met(result.health.p99 <= 50)}`,
    `  overload on ${database}, recovery <= 2 s: ${fixed(result.recoveryMs)} ms -> ${met(result.recoveryMs <= 2_000)}`,
  ].join('\n');
}
