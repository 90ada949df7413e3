/**
 * Shared by the hostile-input tests (test/api/hostile-input.property.test.ts, generated, and
 * test/api/hostile-corpus.test.ts, a fixed corpus of known attacks):
 * - a guard of the built-in prototypes: a snapshot of every own property descriptor, compared after;
 * - the checks every answer must pass: a 2xx, or a 4xx in the documented error shape whose code is in
 *   the catalogue with the catalogue's status, and which the OpenAPI description lists for the route;
 * - the referral contract read from schemas/referral.schema.json: every field path, and an oracle,
 *   independent of the service's validator, for whether one replaced value is allowed there;
 * - JSON text with what JSON.stringify cannot write: duplicate keys, `__proto__` keys, raw numbers;
 * - a raw HTTP client, for bytes that no well-behaved client sends (CRLF in headers, raw UTF-8 paths).
 */
import { httpServer } from '../../src/http/server.js';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import type { Express } from 'express';
import type { Response } from 'supertest';
import { ERRORS, type ErrorCode } from '../../src/domain/error-catalogue.js';
import { ERROR_STATUS } from '../../src/http/error-status.js';
import { openApiDocument, openApiPath } from '../../src/http/openapi.js';
import { redactValue } from '../../src/log/logger.js';
import { expectError, issuesOf } from './error-shape.js';
import { CONTRACT_EXAMPLE } from './referral-factory.js';

// ---------------------------------------------------------------------------------------------
// Prototype pollution guard

const GUARDED: ReadonlyArray<readonly [string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['Function.prototype', Function.prototype],
  ['String.prototype', String.prototype],
  ['Number.prototype', Number.prototype],
  ['Boolean.prototype', Boolean.prototype],
  ['RegExp.prototype', RegExp.prototype],
  ['Date.prototype', Date.prototype],
  ['Error.prototype', Error.prototype],
  ['Promise.prototype', Promise.prototype],
];

/** Keys the hostile payloads try to plant on prototypes; none exists on {}, [] or a function. */
export const POLLUTION_KEYS = [
  'polluted', 'isAdmin', 'hostileSentinel', 'role', 'practice', 'principal', 'note', 'reason', 'from',
  'outcome', 'pathway', 'urgency', 'status', 'then', 'toJSON', 'shell', 'env', 'allowed', 'admin',
] as const;

/** The payload planted under `__proto__` and `constructor.prototype`: each pollution key, a true-ish value. */
export const POLLUTION_PAYLOAD: Readonly<Record<string, unknown>> = Object.fromEntries(POLLUTION_KEYS.map((key) => [key, key === 'then' ? 'x' : 'polluted-by-hostile-test']));

interface PrototypeState {
  name: string;
  parent: object | null;
  extensible: boolean;
  properties: Map<PropertyKey, PropertyDescriptor>;
}

export type PrototypeSnapshot = readonly PrototypeState[];

function stateOf(name: string, target: object): PrototypeState {
  const properties = new Map<PropertyKey, PropertyDescriptor>();
  for (const key of Reflect.ownKeys(target)) properties.set(key, Object.getOwnPropertyDescriptor(target, key) as PropertyDescriptor);
  return { name, parent: Object.getPrototypeOf(target) as object | null, extensible: Object.isExtensible(target), properties };
}

function sentinelHits(): string[] {
  const hits: string[] = [];
  const probes: ReadonlyArray<readonly [string, object]> = [['{}', {}], ['[]', []], ['function', function probe() {}]];
  for (const key of POLLUTION_KEYS) {
    for (const [label, probe] of probes) if (key in probe) hits.push(`${label}.${key}`);
  }
  return hits;
}

export function snapshotPrototypes(): PrototypeSnapshot {
  // The sentinels mean something only if they are absent to begin with.
  const hits = sentinelHits();
  expect(hits.length, `pollution keys already present before the hostile requests: ${hits.join(', ')}`).to.equal(0);
  return GUARDED.map(([name, target]) => stateOf(name, target));
}

const sameDescriptor = (a: PropertyDescriptor, b: PropertyDescriptor): boolean =>
  Object.is(a.value, b.value) && a.get === b.get && a.set === b.set && a.writable === b.writable && a.enumerable === b.enumerable && a.configurable === b.configurable;

/** Every built-in prototype exactly as it was: same own keys, same descriptors, same parent. */
export function expectPrototypesUntouched(before: PrototypeSnapshot): void {
  const changes: string[] = [];
  for (const [index, [name, target]] of GUARDED.entries()) {
    const was = before[index] as PrototypeState;
    const now = stateOf(name, target);
    if (now.parent !== was.parent) changes.push(`${name}: its prototype changed`);
    if (now.extensible !== was.extensible) changes.push(`${name}: extensibility changed`);
    for (const [key, descriptor] of now.properties) {
      const old = was.properties.get(key);
      if (!old) changes.push(`${name}.${String(key)}: added`);
      else if (!sameDescriptor(old, descriptor)) changes.push(`${name}.${String(key)}: changed`);
    }
    for (const key of was.properties.keys()) if (!now.properties.has(key)) changes.push(`${name}.${String(key)}: removed`);
  }
  changes.push(...sentinelHits().map((hit) => `${hit}: now defined`));
  expect(changes.length, `built-in prototypes changed by hostile input: ${changes.join('; ')}`).to.equal(0);
}

// ---------------------------------------------------------------------------------------------
// Answers

/** The 2xx statuses the API documents (openapi.ts); anything else below 300 is not an answer it gives. */
const SUCCESS = new Set([200, 201, 202]);

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const snippet = (res: Response) => `${res.status} ${(res.text ?? '').slice(0, 300)}`;

/**
 * A 2xx, or a 4xx in the documented error shape (error-shape.ts) whose code is in the catalogue and
 * answered with the catalogue's status; never a 3xx or a 5xx. Returns the error code, if any.
 */
export function expectDocumentedAnswer(res: Response, options: { head?: boolean } = {}): ErrorCode | undefined {
  expect(res.status, snippet(res)).to.be.below(500);
  expect(res.headers['x-request-id'], 'every answer carries X-Request-Id').to.be.a('string').and.not.equal('');
  if (res.status < 300) {
    expect(SUCCESS.has(res.status), snippet(res)).to.equal(true);
    return undefined;
  }
  expect(res.status, snippet(res)).to.be.at.least(400);
  if (options.head) return undefined; // HEAD: the status and headers only
  const code = (res.body as { error?: { code?: unknown } } | undefined)?.error?.code;
  expect(Object.keys(ERRORS), snippet(res)).to.include(code);
  const known = code as ErrorCode;
  expectError(res, ERROR_STATUS[known], known);
  for (const issue of issuesOf(res)) {
    expect(issue.path, snippet(res)).to.be.a('string').and.match(/^\//);
    expect(issue.message, snippet(res)).to.be.a('string').and.not.equal('');
  }
  if (res.status === 401) expect(res.headers['www-authenticate'], snippet(res)).to.match(/^Bearer realm="msk-triage"/);
  if (res.status === 405) expect(res.headers.allow, snippet(res)).to.be.a('string');
  return known;
}

/** The status and the error code, when the answer must be exactly this. */
export function expectAnswer(res: Response, status: number, code?: ErrorCode): void {
  const actual = expectDocumentedAnswer(res);
  expect(res.status, snippet(res)).to.equal(status);
  if (code !== undefined) expect(actual, snippet(res)).to.equal(code);
}

/** Errors answered before any route is matched (authentication, the router's own decoding, nothing there). */
const UNMATCHED_CODES: ReadonlySet<string> = new Set(['AUTHENTICATION_REQUIRED', 'TOKEN_INVALID', 'NOT_FOUND', 'URL_MALFORMED', 'RATE_LIMITED']);

const OPENAPI = openApiDocument('test') as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/** The statuses the OpenAPI description lists for this route and method; undefined if it has no such operation. */
export function documentedStatuses(route: string, method: string): ReadonlySet<number> | undefined {
  const operation = OPENAPI.paths[openApiPath(route)]?.[method === 'HEAD' ? 'get' : method.toLowerCase()];
  return operation ? new Set(Object.keys(operation.responses).map(Number)) : undefined;
}

/**
 * The route template each request matched, read from the `http.request` event the app logs for it
 * (by request id, as the log writes it: redacted where it looks like an NHS number or a date):
 * 'unmatched' when no route was reached (authentication failed, nothing there).
 */
export class RouteLog {
  private readonly routes = new Map<string, string>();
  private read = 0;
  constructor(private readonly lines: readonly string[]) {}

  async routeOf(offered: string): Promise<string | undefined> {
    const requestId = redactValue(offered) as string;
    for (let attempt = 0; attempt < 60; attempt++) {
      for (; this.read < this.lines.length; this.read++) {
        const line = this.lines[this.read] as string;
        if (!line.includes('"http.request"')) continue;
        const event = JSON.parse(line) as { event?: string; requestId?: string; route?: string };
        if (event.event === 'http.request' && event.requestId) this.routes.set(event.requestId, event.route ?? 'unmatched');
      }
      const route = this.routes.get(requestId);
      if (route !== undefined) {
        this.routes.delete(requestId);
        return route;
      }
      // the event is written when the answer is finished, which may be just after the client has read it
      await new Promise((resolve) => (attempt < 20 ? setImmediate(resolve) : setTimeout(resolve, 5)));
    }
    return undefined;
  }
}

/**
 * expectDocumentedAnswer, and: the status is one the OpenAPI description lists for the route the
 * request matched (a method outside the description: 405), or, with no route matched, an error that
 * comes before routing. Returns the error code, if any.
 */
export async function expectDocumentedForRoute(res: Response, method: string, log: RouteLog): Promise<ErrorCode | undefined> {
  const code = expectDocumentedAnswer(res, { head: method === 'HEAD' });
  const route = await log.routeOf(res.headers['x-request-id'] as string);
  expect(route, `no http.request event for ${method} (${snippet(res)})`).to.be.a('string');
  if (route === 'unmatched') {
    if (method !== 'HEAD') expect(UNMATCHED_CODES.has(code as string), `${method} unmatched: ${snippet(res)}`).to.equal(true);
    else expect([401, 404, 400]).to.include(res.status);
    return code;
  }
  const statuses = documentedStatuses(route as string, method);
  if (!statuses) expect(res.status, `${method} ${route as string} is not an operation: ${snippet(res)}`).to.equal(405);
  else expect([...statuses], `${method} ${route as string} answered a status its description does not list: ${snippet(res)}`).to.include(res.status);
  return code;
}

// ---------------------------------------------------------------------------------------------
// JSON text beyond JSON.stringify

/** Raw JSON text, written as is: `1e400`, `-0`, or anything else. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object as an ordered list of entries: keys may repeat, and `__proto__` is an ordinary key. */
export class Entries {
  constructor(readonly entries: ReadonlyArray<readonly [string, JsonNode]>) {}
}

export type JsonNode = null | boolean | number | string | RawJson | Entries | readonly JsonNode[] | { readonly [key: string]: JsonNode };

export function jsonText(node: JsonNode): string {
  if (node instanceof RawJson) return node.text;
  if (node instanceof Entries) return `{${node.entries.map(([key, value]) => `${JSON.stringify(key)}:${jsonText(value)}`).join(',')}}`;
  if (Array.isArray(node)) return `[${(node as readonly JsonNode[]).map(jsonText).join(',')}]`;
  if (node !== null && typeof node === 'object') return jsonText(new Entries(Object.entries(node)));
  return JSON.stringify(node);
}

/** A plain JSON value as entries, all the way down, so that entries can be added at any level. */
export function toNode(value: unknown): JsonNode {
  if (Array.isArray(value)) return value.map(toNode);
  if (value !== null && typeof value === 'object') return new Entries(Object.entries(value).map(([key, v]) => [key, toNode(v)] as const));
  return value as JsonNode;
}

/** The node with `edit` applied at `path` (keys of objects, indexes of arrays), a copy. */
export function editAt(node: JsonNode, path: readonly string[], edit: (at: JsonNode | undefined) => JsonNode): JsonNode {
  if (path.length === 0) return edit(node);
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(node)) {
    const copy = [...(node as readonly JsonNode[])];
    copy[Number(head)] = editAt(copy[Number(head)] as JsonNode, rest, edit);
    return copy;
  }
  const entries = node instanceof Entries ? [...node.entries] : [];
  const at = entries.findIndex(([key]) => key === head);
  const child = at >= 0 ? (entries[at] as readonly [string, JsonNode])[1] : /^\d+$/.test(rest[0] ?? '') ? [] : new Entries([]);
  const edited = editAt(child, rest, edit);
  if (at >= 0) entries[at] = [head, edited];
  else entries.push([head, edited]);
  return new Entries(entries);
}

/** Adds one entry to the object at `path` (after the existing ones): a duplicate or a hostile key. */
export const addEntryAt = (node: JsonNode, path: readonly string[], key: string, value: JsonNode): JsonNode =>
  editAt(node, path, (at) => new Entries([...(at instanceof Entries ? at.entries : []), [key, value]]));

export const pointerOf = (path: readonly string[]): string => path.map((segment) => `/${segment.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

// ---------------------------------------------------------------------------------------------
// The referral contract, read from its schema

interface SchemaNode {
  type?: string;
  enum?: readonly unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  maxItems?: number;
  uniqueItems?: boolean;
  items?: SchemaNode;
  required?: readonly string[];
  properties?: Readonly<Record<string, SchemaNode>>;
}

export const REFERRAL_SCHEMA = JSON.parse(readFileSync(new URL('../../schemas/referral.schema.json', import.meta.url), 'utf8')) as SchemaNode;

export interface ReferralField {
  /** keys from the root; an array's item is '0' */
  path: readonly string[];
  pointer: string;
  schema: SchemaNode;
}

/** Every field of the contract, objects and leaves, depth first; a list's item as index 0. */
export function referralFields(): ReferralField[] {
  const fields: ReferralField[] = [];
  const walk = (node: SchemaNode, path: readonly string[]) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const at = [...path, key];
      fields.push({ path: at, pointer: pointerOf(at), schema: child });
      if (child.type === 'object') walk(child, at);
      if (child.type === 'array' && child.items) fields.push({ path: [...at, '0'], pointer: pointerOf([...at, '0']), schema: child.items });
    }
  };
  walk(REFERRAL_SCHEMA, []);
  return fields;
}

/** The string fields of the contract (enums, patterns, formats and free text), list items included. */
export const referralStringFields = (): ReferralField[] => referralFields().filter((field) => field.schema.type === 'string');

/** Length in code points, as JSON Schema counts it. */
const codePoints = (text: string) => [...text].length;

/**
 * Whether the contract allows `value` at a field whose schema is `node`, from the schema's own
 * keywords: the oracle for the replaced-value cases, written without the service's validator.
 * Formats (NHS number, date of birth) accept only the contract example's own value.
 */
export function schemaAllows(node: SchemaNode, value: unknown, exampleValue?: unknown): boolean {
  if (node.const !== undefined && value !== node.const) return false;
  if (node.enum && !node.enum.includes(value)) return false;
  switch (node.type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return false;
      if (node.type === 'integer' && !Number.isInteger(value)) return false;
      return (node.minimum === undefined || value >= node.minimum) && (node.maximum === undefined || value <= node.maximum);
    case 'string':
      if (typeof value !== 'string') return false;
      if (node.minLength !== undefined && codePoints(value) < node.minLength) return false;
      if (node.maxLength !== undefined && codePoints(value) > node.maxLength) return false;
      if (node.pattern !== undefined && !new RegExp(node.pattern, 'u').test(value)) return false;
      if (node.format !== undefined && value !== exampleValue) return false;
      return true;
    case 'array':
      if (!Array.isArray(value)) return false;
      if (node.maxItems !== undefined && value.length > node.maxItems) return false;
      if (node.uniqueItems && new Set(value.map((v) => JSON.stringify(v))).size !== value.length) return false;
      return value.every((item) => node.items === undefined || schemaAllows(node.items, item));
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
      const object = value as Record<string, unknown>;
      if ((node.required ?? []).some((key) => !Object.hasOwn(object, key))) return false;
      return Object.keys(object).every((key) => Object.hasOwn(node.properties ?? {}, key) && schemaAllows((node.properties ?? {})[key] as SchemaNode, object[key]));
    }
    default:
      return false;
  }
}

/** The contract example's value at a path, if it has one. */
export function exampleValueAt(path: readonly string[]): unknown {
  let at: unknown = CONTRACT_EXAMPLE;
  for (const key of path) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

/** The contract example as JSON text with `value` at `path` (parents created where the example has none). */
export const exampleWith = (path: readonly string[], value: JsonNode): string => jsonText(editAt(toNode(CONTRACT_EXAMPLE), path, () => value));

/**
 * A 400 REFERRAL_INVALID (or REVIEW_INVALID...) whose issues name `pointer`: at least one issue at it
 * or below it, and none anywhere else (a value at one field makes only that field wrong). '/' is the whole body.
 */
export function expectIssuesAt(res: Response, code: ErrorCode, pointer: string): void {
  expectAnswer(res, 400, code);
  const paths = issuesOf(res).map((issue) => issue.path);
  const within = (path: string) => pointer === '/' || path === pointer || path.startsWith(`${pointer}/`);
  expect(paths.some(within), `${pointer} not listed: ${JSON.stringify(paths)}`).to.equal(true);
  expect(paths.filter((path) => !within(path)), `issues listed beyond ${pointer}`).to.deep.equal([]);
}

// ---------------------------------------------------------------------------------------------
// Serving and raw HTTP

/** The app, listening on a free port of 127.0.0.1, for supertest and the raw client alike. */
export async function listening(app: Express): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  // The service's own server (its timeouts, and its answers to what Node refuses before the app), not app.listen's.
  const server = httpServer(app, { requestTimeoutMs: 10_000, headersTimeoutMs: 5_000, keepAliveTimeoutMs: 5_000 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export interface RawAnswer {
  status: number;
  /** header names in lower case; a repeated header's values joined by ', ' */
  headers: Record<string, string>;
  head: string;
  body: string;
}

/**
 * Writes these bytes to the server as they are, then reads the whole answer: the request must say
 * Connection: close, and the socket is not half-closed (Node's server drops a request whose client did).
 */
export function rawHttp(port: number, bytes: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.setTimeout(15_000, () => socket.destroy(new Error('raw HTTP: no answer within 15 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) {
        reject(new Error(`raw HTTP: no complete answer (${all.length} bytes)`));
        return;
      }
      const head = all.subarray(0, end).toString('latin1');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      let body = all.subarray(end + 4);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
        const parts: Buffer[] = [];
        for (let at = 0; at < body.length; ) {
          const lineEnd = body.indexOf('\r\n', at);
          const size = parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
          if (!(size > 0)) break;
          parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
          at = lineEnd + 2 + size + 2;
        }
        body = Buffer.concat(parts);
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, head, body: body.toString('utf8') });
    });
  });
}

/** A request as bytes: the request line and headers as given (latin1 strings, or raw bytes), and an optional body. */
export function rawRequest(method: string, target: string | Buffer, headers: ReadonlyArray<readonly [string, string | Buffer]>, body?: Buffer | string): Buffer {
  const parts: Buffer[] = [Buffer.from(`${method} `, 'latin1'), typeof target === 'string' ? Buffer.from(target, 'latin1') : target, Buffer.from(' HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'latin1')];
  for (const [name, value] of headers) parts.push(Buffer.from(`${name}: `, 'latin1'), typeof value === 'string' ? Buffer.from(value, 'latin1') : value, Buffer.from('\r\n', 'latin1'));
  const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  if (payload) parts.push(Buffer.from(`Content-Length: ${payload.length}\r\n`, 'latin1'));
  parts.push(Buffer.from('Connection: close\r\n\r\n', 'latin1'));
  if (payload) parts.push(payload);
  return Buffer.concat(parts);
}

/** A raw answer in the shape of supertest's, for the same checks: `body` is the parsed JSON, or {}. */
export function asResponse(answer: RawAnswer): Response {
  let body: unknown = {};
  try {
    body = JSON.parse(answer.body);
  } catch {
    // not JSON: an answer of Node's HTTP parser, or HEAD
  }
  return { status: answer.status, headers: answer.headers, text: answer.body, body } as unknown as Response;
}

/**
 * Sends a request as bytes (supertest cannot: with a JSON content type it serialises a Buffer as
 * {"type":"Buffer",...}); the answer in supertest's shape.
 */
export async function sendRaw(port: number, method: string, target: string | Buffer, headers: ReadonlyArray<readonly [string, string | Buffer]>, body?: Buffer | string): Promise<Response> {
  return asResponse(await rawHttp(port, rawRequest(method, target, headers, body)));
}

/** The error code of a raw answer, if its body is the documented error shape. */
export function rawErrorCode(answer: RawAnswer): string | undefined {
  try {
    return (JSON.parse(answer.body) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Hostile strings

/** The injection strings of the corpus, each with a label; each is put in every string field. */
export const INJECTION_STRINGS: ReadonlyArray<readonly [string, string]> = [
  ['SQL', "'; drop table referrals;--"],
  ['SQL or', "' or '1'='1"],
  ['Mongo $where', '{"$where": "sleep(1000)"}'],
  ['$where key', '$where'],
  ['template ${}', '${7*7}'],
  ['template {{}}', '{{7*7}}'],
  ['script', '<script>alert(1)</script>'],
  ['path traversal', '../../etc/passwd'],
  ['percent NUL', '%00'],
  ['CRLF', 'x\r\nSet-Cookie: hostile=1'],
  ['JSONPath', '$..*'],
  ['ReDoS', `${'a'.repeat(40)}!`],
  ['ReDoS long', `${'a'.repeat(5000)}!`],
  ['format string', '%s%s%s%n'],
  ['unicode RTL', '\u202eevil\u202c'],
];

/**
 * Strings no store can keep as they are: U+0000 (PostgreSQL text and jsonb) and lone surrogates (not
 * Unicode). JSON.stringify writes each as an escape (`\u0000`, `\ud800`), which the service refuses
 * on the raw bytes, before parsing: 400 JSON_BAD_CHARACTER (json-structure.ts).
 */
export const UNSTORABLE_STRINGS: ReadonlyArray<readonly [string, string]> = [
  ['U+0000', 'a\u0000b'],
  ['lone high surrogate', 'a\ud800b'],
  ['lone low surrogate', '\udc00'],
  ['low before high', '\udc00\ud800'],
  ['two high surrogates', '\ud800\ud800'],
];

/** Whether a string holds U+0000 or a surrogate without its other half (a pair, high then low, is one character). */
export const isUnstorable = (text: string): boolean => text.includes('\u0000') || /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);

// ---------------------------------------------------------------------------------------------
// The model of the structure check on the raw bytes: the first problem in the text

/** JSON_LIMITS of json-body.ts. */
export const STRUCTURE_LIMITS = { maxDepth: 16, maxWidth: 100 } as const;

/** The one issue of JSON_BAD_CHARACTER (json-body.ts). */
export const BAD_CHARACTER_MESSAGE = 'holds U+0000 or half of a surrogate pair: characters no text can store';

export interface StructureProblem {
  code: 'JSON_TOO_DEEP' | 'JSON_TOO_WIDE' | 'JSON_DUPLICATE_KEY' | 'JSON_BAD_CHARACTER';
  path?: string;
}

/**
 * The first structure problem of the JSON text `jsonText(node)` writes, in the order of the text:
 * a container deeper than 16 levels; a 101st entry; a key seen before in its object; a string, key
 * or value, holding U+0000 or a lone surrogate (JSON.stringify escapes both), reported at the
 * string's own pointer for a value and at the pointer of the object holding it for a key ('/' for
 * the whole body). A key is named by `keySegment` (the service names only words of its vocabulary).
 * RawJson is opaque: only numbers are written through it here.
 */
export function structureProblemOf(node: JsonNode, keySegment: (key: string) => string, depth = 0, pointer = ''): StructureProblem | undefined {
  if (typeof node === 'string') return isUnstorable(node) ? { code: 'JSON_BAD_CHARACTER', path: pointer || '/' } : undefined;
  if (node === null || typeof node !== 'object' || node instanceof RawJson) return undefined;
  if (depth >= STRUCTURE_LIMITS.maxDepth) return { code: 'JSON_TOO_DEEP' };
  if (Array.isArray(node)) {
    for (const [index, item] of (node as readonly JsonNode[]).entries()) {
      if (index >= STRUCTURE_LIMITS.maxWidth) return { code: 'JSON_TOO_WIDE', path: pointer || '/' };
      const problem = structureProblemOf(item, keySegment, depth + 1, `${pointer}/${index}`);
      if (problem) return problem;
    }
    return undefined;
  }
  const entries = node instanceof Entries ? node.entries : Object.entries(node);
  const seen = new Set<string>();
  for (const [index, [key, value]] of entries.entries()) {
    if (index >= STRUCTURE_LIMITS.maxWidth) return { code: 'JSON_TOO_WIDE', path: pointer || '/' };
    if (isUnstorable(key)) return { code: 'JSON_BAD_CHARACTER', path: pointer || '/' };
    if (seen.has(key)) return { code: 'JSON_DUPLICATE_KEY', path: pointer + keySegment(key) };
    seen.add(key);
    const problem = structureProblemOf(value, keySegment, depth + 1, pointer + keySegment(key));
    if (problem) return problem;
  }
  return undefined;
}

/** The exact answer to a structure problem: 400, its code, and its one issue (none for JSON_TOO_DEEP). */
export function expectStructureProblem(res: Response, problem: StructureProblem): void {
  expectAnswer(res, 400, problem.code);
  if (problem.code === 'JSON_BAD_CHARACTER') expect(issuesOf(res)).to.deep.equal([{ path: problem.path, message: BAD_CHARACTER_MESSAGE }]);
  else if (problem.path !== undefined) expect(issuesOf(res).map((issue) => issue.path)).to.deep.equal([problem.path]);
  else expect(issuesOf(res)).to.deep.equal([]);
}

/** 400 JSON_BAD_CHARACTER with its one issue at `path`. */
export const expectBadCharacter = (res: Response, path: string): void => expectStructureProblem(res, { code: 'JSON_BAD_CHARACTER', path });
