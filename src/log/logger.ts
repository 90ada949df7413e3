/**
 * Structured JSON logs: one object a line, each an event with ids, codes and timings, and the id of
 * the request it belongs to (request-context.ts). Patient data is never logged on purpose; the redaction format is only a
 * backstop that masks anything shaped like an NHS number or a date should a value slip through.
 * At a terminal, the same events as readable lines (readable-line.ts), after the same redaction.
 */
import winston from 'winston';
import { readableLine } from './readable-line.js';

export type Logger = winston.Logger;

export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT: `auto` is readable on a terminal, JSON lines anywhere else (a file, a pipe, a log collector). */
export const logFormatFor = (setting: 'auto' | LogFormat, isTerminal: boolean): LogFormat => (setting === 'auto' ? (isTerminal ? 'pretty' : 'json') : setting);

// Digit look-arounds, not \b: an NHS number glued to letters (nhs9434765919x) is still masked.
const NHS_NUMBER_LIKE = /(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)/g;
const DATE_LIKE = /(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)|(?<!\d)\d{1,2}[/.]\d{1,2}[/.]\d{2,4}(?!\d)/g;
// requestId is redacted too: a caller could send an NHS number as its X-Request-Id.
const UNREDACTED_KEYS = new Set(['level', 'timestamp', 'message', 'event', 'durationMs', 'status']);
const MAX_DEPTH = 8;

// UUIDs (request, referral, token ids) are random, never patient data, and often hold ten digits in a row.
const UUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g;

const maskText = (text: string) => text.replace(NHS_NUMBER_LIKE, '[REDACTED-NHS]').replace(DATE_LIKE, '[REDACTED-DATE]');

/** Masks what is shaped like an NHS number or a date, outside the UUIDs the text holds. */
function maskOutsideUuids(text: string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(UUID)) {
    out += maskText(text.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return out + maskText(text.slice(last));
}

export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskOutsideUuids(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[TRUNCATED]';
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => redactValue(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value).slice(0, 50)) copy[key] = redactValue(item, depth + 1);
  return copy;
}

/** Copies, never mutates: winston only shallow-copies metadata, which belongs to the caller. */
const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (!UNREDACTED_KEYS.has(key)) info[key] = redactValue(info[key]);
  }
  if (typeof info.message === 'string') info.message = redactValue(info.message);
  return info;
});

export function createLogger(options: { level: string; silent?: boolean; format?: LogFormat }): Logger {
  const logger: Logger = winston.createLogger({
    level: options.level,
    // First: winston runs its formats even on a line that no transport will write (an info line at
    // LOG_LEVEL=error: about 15 µs of redaction and JSON for nothing). Such a line stops here.
    format: winston.format.combine(
      winston.format((info) => (logger.isLevelEnabled(info.level) ? info : false))(),
      redact(),
      winston.format.timestamp(),
      options.format === 'pretty' ? winston.format.printf((info) => readableLine(info)) : winston.format.json(),
    ),
    transports: [new winston.transports.Console({ silent: options.silent === true })],
  });
  return logger;
}
