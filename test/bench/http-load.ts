/**
 * Load over loopback, two ways:
 * - closed loop (autocannon): a fixed number of connections, each sending its next request when the
 *   last one is answered; gives the most requests per second the server can answer;
 * - open loop (ours): requests leave at a fixed rate whatever the answers do, as GP systems send
 *   them. autocannon's rate mode waits for answers and so overstates p99
 *   (../shared/reference/reliability.md §5).
 * Both cycle through many different referral bodies, so that no single route is measured alone.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { summarise, type LatencySummary } from './latency.js';

const JSON_HEADERS = { 'content-type': 'application/json' };

export interface ClosedLoopResult {
  requestsPerSecond: number;
  /** autocannon records whole milliseconds */
  p50: number;
  p99: number;
  failures: number;
}

export interface ClosedLoopOptions {
  connections: number;
  durationSeconds: number;
}

export async function closedLoop(url: URL, bodies: readonly string[], options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const result = await autocannon({
    url: url.href,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 5,
    requests: bodies.map((body) => ({ method: 'POST', path: url.pathname, headers: JSON_HEADERS, body })),
  });
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.errors + result.non2xx,
  };
}

/** A short closed-loop run whose numbers are thrown away: the JIT and the sockets settle first. */
export async function warmUp(url: URL, bodies: readonly string[], requests: number): Promise<void> {
  await autocannon({
    url: url.href,
    connections: 4,
    amount: requests,
    timeout: 5,
    requests: bodies.map((body) => ({ method: 'POST', path: url.pathname, headers: JSON_HEADERS, body })),
  });
}

export interface OpenLoopResult {
  sent: number;
  /** from the moment a request was written to its last response byte, answered 200 */
  latency: LatencySummary;
  /** not answered, answered other than 200, or timed out */
  failures: number;
  /** how late the driver sent its requests against the fixed schedule: large values void the run */
  lateness: LatencySummary;
}

export interface OpenLoopOptions {
  ratePerSecond: number;
  durationSeconds: number;
  timeoutMs: number;
}

function post(agent: http.Agent, url: URL, body: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', agent, headers: { ...JSON_HEADERS, 'content-length': Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve() : reject(new Error(`status ${response.statusCode}`))));
        response.on('error', reject);
      },
    );
    request.setTimeout(timeoutMs, () => request.destroy(new Error('timed out')));
    request.on('error', reject);
    request.end(body);
  });
}

const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

export async function openLoop(url: URL, bodies: readonly string[], options: OpenLoopOptions): Promise<OpenLoopResult> {
  // Keep-alive, as a GP system's integration engine would; enough sockets that none ever waits for one.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(options.ratePerSecond * options.durationSeconds);
  const intervalMs = 1000 / options.ratePerSecond;
  const latencies: number[] = [];
  const lateness: number[] = [];
  const inFlight: Promise<void>[] = [];
  let failures = 0;
  const start = process.hrtime.bigint();
  try {
    for (let i = 0; i < total; i++) {
      const due = i * intervalMs;
      const wait = due - msSince(start);
      if (wait > 0) await sleep(wait);
      lateness.push(Math.max(0, msSince(start) - due));
      const sent = process.hrtime.bigint();
      const body = bodies[i % bodies.length] as string;
      inFlight.push(
        post(agent, url, body, options.timeoutMs).then(
          () => void latencies.push(msSince(sent)),
          () => void failures++,
        ),
      );
    }
    await Promise.all(inFlight);
  } finally {
    agent.destroy();
  }
  return { sent: total, latency: summarise(latencies), failures, lateness: summarise(lateness) };
}
