/**
 * Load over loopback, two ways:
 * - closed loop (autocannon): a fixed number of connections, each sending its next request when the
 *   last one is answered; gives the most requests per second the server can answer;
 * - open loop (ours): requests leave at a fixed rate whatever the answers do, as GP systems send
 *   them. autocannon's rate mode waits for answers and so overstates p99
 *   (../shared/reference/reliability.md §5).
 * Both take their requests from a RequestSource: many different referral bodies, so that no single
 * route is measured alone, and a new Idempotency-Key on every request, so that each submission to
 * POST /api/v1/referrals stores a new referral.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { summarise, type LatencySummary } from './latency.js';
import type { RequestSource } from './request-source.js';

/** The statuses that count as answered: 200 for an evaluation or an echo, 201 and 202 for a submission. */
export type SuccessStatuses = ReadonlySet<number>;

export interface ClosedLoopResult {
  requestsPerSecond: number;
  /** sent and answered (or failed) in the run */
  requests: number;
  /** autocannon records whole milliseconds */
  p50: number;
  p99: number;
  /** answered with a status in `ok` */
  succeeded: number;
  /** connection errors, timeouts, and answers with any other status */
  failures: number;
  /** what the failures were, e.g. `{ 'status 409': 3, 'timed out': 2 }` */
  failureReasons: Record<string, number>;
}

export interface ClosedLoopOptions {
  connections: number;
  durationSeconds: number;
  /** a bound on the requests sent, whatever the duration: the run ends at whichever comes first */
  maxRequests: number;
  ok: SuccessStatuses;
}

/**
 * Every connection gets its own request object whose setupRequest takes the next request from the
 * source. (autocannon shares the objects of `requests` between its connections and builds each
 * connection's first request when the connection is made, so with one shared object every
 * connection would send the last-built first request, and so the same Idempotency-Key, at once.)
 */
function perConnectionRequests(url: URL, source: RequestSource): Pick<autocannon.Options, 'requests' | 'setupClient'> {
  const request = (): autocannon.Request => ({
    method: 'POST',
    path: url.pathname,
    setupRequest: (base) => {
      const { body, headers } = source.next();
      return { ...base, body, headers: { ...base.headers, ...headers } };
    },
  });
  return {
    requests: [request()],
    setupClient: (client) => client.setRequests([request()]),
  };
}

const countOf = (stats: autocannon.Result['statusCodeStats'], ok: SuccessStatuses): number =>
  Object.entries(stats ?? {}).reduce((sum, [status, { count }]) => sum + (ok.has(Number(status)) ? Number(count ?? 0) : 0), 0);

export async function closedLoop(url: URL, source: RequestSource, options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const result = await autocannon({
    url: url.href,
    connections: options.connections,
    duration: options.durationSeconds,
    maxOverallRequests: options.maxRequests,
    timeout: 5,
    ...perConnectionRequests(url, source),
  });
  const failureReasons: Record<string, number> = {};
  for (const [status, { count }] of Object.entries(result.statusCodeStats ?? {})) {
    if (!options.ok.has(Number(status)) && Number(count ?? 0) > 0) failureReasons[`status ${status}`] = Number(count);
  }
  if (result.timeouts > 0) failureReasons['timed out'] = result.timeouts;
  if (result.errors > result.timeouts) failureReasons['connection errors'] = result.errors - result.timeouts;
  return {
    requestsPerSecond: result.requests.total / result.duration,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    succeeded: countOf(result.statusCodeStats, options.ok),
    failures: Object.values(failureReasons).reduce((sum, n) => sum + n, 0),
    failureReasons,
  };
}

/**
 * A short closed-loop run whose numbers are thrown away: the JIT, the sockets and the database settle
 * first. Answers how many requests were answered with a status in `ok`.
 */
export async function warmUp(url: URL, source: RequestSource, requests: number, ok: SuccessStatuses): Promise<number> {
  const result = await autocannon({
    url: url.href,
    connections: 4,
    amount: requests,
    timeout: 5,
    ...perConnectionRequests(url, source),
  });
  return countOf(result.statusCodeStats, ok);
}

export interface OpenLoopResult {
  sent: number;
  /** from the moment a request was written to its last response byte, answered with a status in `ok` */
  latency: LatencySummary;
  /** not answered, answered with any other status, or timed out */
  failures: number;
  /** what the failures were, e.g. `{ 'status 409': 3, 'timed out': 2 }` */
  failureReasons: Record<string, number>;
  /** how late the driver sent its requests against the fixed schedule: large values void the run */
  lateness: LatencySummary;
}

export interface OpenLoopOptions {
  ratePerSecond: number;
  durationSeconds: number;
  timeoutMs: number;
  ok: SuccessStatuses;
}

function post(agent: http.Agent, url: URL, request: { body: string; headers: Record<string, string> }, options: OpenLoopOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      url,
      { method: 'POST', agent, headers: { ...request.headers, 'content-length': Buffer.byteLength(request.body) } },
      (response) => {
        response.resume();
        response.on('end', () => (options.ok.has(response.statusCode ?? 0) ? resolve() : reject(new Error(`status ${response.statusCode ?? '?'}`))));
        response.on('error', reject);
      },
    );
    outgoing.setTimeout(options.timeoutMs, () => outgoing.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

const msSince = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

export async function openLoop(url: URL, source: RequestSource, options: OpenLoopOptions): Promise<OpenLoopResult> {
  // Keep-alive, as a GP system's integration engine would; enough sockets that none ever waits for one.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const total = Math.round(options.ratePerSecond * options.durationSeconds);
  const intervalMs = 1000 / options.ratePerSecond;
  const latencies: number[] = [];
  const lateness: number[] = [];
  const inFlight: Promise<void>[] = [];
  const failureReasons: Record<string, number> = {};
  const failed = (error: unknown) => {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    failureReasons[reason] = (failureReasons[reason] ?? 0) + 1;
  };
  const start = process.hrtime.bigint();
  try {
    for (let i = 0; i < total; i++) {
      const due = i * intervalMs;
      const wait = due - msSince(start);
      if (wait > 0) await sleep(wait);
      lateness.push(Math.max(0, msSince(start) - due));
      const request = source.next();
      const sent = process.hrtime.bigint();
      inFlight.push(
        post(agent, url, request, options).then(
          () => void latencies.push(msSince(sent)),
          failed,
        ),
      );
    }
    await Promise.all(inFlight);
  } finally {
    agent.destroy();
  }
  const failures = Object.values(failureReasons).reduce((sum, n) => sum + n, 0);
  return { sent: total, latency: summarise(latencies), failures, failureReasons, lateness: summarise(lateness) };
}
