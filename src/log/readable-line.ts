/**
 * A log event as one line a person reads at a terminal (LOG_FORMAT=pretty, or auto on a terminal):
 * the time of day, the level, the event, what it says, then its other fields as key=value. Made from
 * the event after redaction, so it carries exactly what a JSON line would, and no more.
 *
 *   14:02:07.118 INFO  http.request  POST /api/v1/triage 200 in 3.2 ms  role=gp pathway=physio requestId=5f0c…
 */

type Event = Record<string, unknown>;

/** What a few events say first, and the fields that says, so that they are not repeated after it. */
const LEADS: Readonly<Record<string, { lead: (event: Event) => string; keys: readonly string[] }>> = {
  'http.request': {
    lead: (e) => `${String(e.method)} ${String(e.route)} ${String(e.status)} in ${typeof e.durationMs === 'number' ? e.durationMs.toFixed(1) : '?'} ms`,
    keys: ['method', 'route', 'status', 'durationMs'],
  },
  // Its message is the sentence for the operator: where to open it, the rule set, the database.
  'startup.ready': { lead: (e) => String(e.message), keys: ['url', 'rulesetId', 'rulesetVersion', 'database', 'dataDir', 'server', 'metricsUrl'] },
};

const SAID = new Set(['level', 'message', 'timestamp', 'event']);
/** Long and rarely read first: last on the line. */
const LAST = ['requestId', 'stack'];
const PLAIN = /^[^\s"=]+$/;

const two = (n: number) => String(n).padStart(2, '0');

function timeOfDay(timestamp: unknown): string {
  const date = typeof timestamp === 'string' ? new Date(timestamp) : new Date();
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

function valueText(value: unknown): string {
  if (typeof value === 'string') return PLAIN.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? String(value);
}

export function readableLine(event: Event): string {
  const name = typeof event.event === 'string' ? event.event : '-';
  const known = LEADS[name];
  const message = typeof event.message === 'string' ? event.message : '';
  const lead = known ? known.lead(event) : message === name ? '' : message;
  const skip = new Set([...SAID, ...(known?.keys ?? [])]);
  const fields = Object.entries(event).filter(([key, value]) => !skip.has(key) && value !== undefined);
  fields.sort(([a], [b]) => LAST.indexOf(a) - LAST.indexOf(b));
  const level = String(event.level).toUpperCase().padEnd(5);
  return [`${timeOfDay(event.timestamp)} ${level} ${name}`, lead, fields.map(([key, value]) => `${key}=${valueText(value)}`).join(' ')].filter((part) => part !== '').join('  ');
}
