/**
 * A fixed corpus of known attacks, run against every POST endpoint with a body (triage, referrals,
 * review, rule-set approvals, activation and simulation) by the role allowed there, and at hostile
 * paths and headers: deep nesting, bodies at and over the size limit, huge numbers, lone surrogates,
 * invalid UTF-8, duplicate keys, `__proto__` and `constructor.prototype` at every level, a wrong
 * type at every field of the referral, injection strings in every string field, wrong content types
 * and codings (compressed bodies are never inflated: 415). Each case has its exact expected answer;
 * a group lists every case that failed.
 *
 * Nothing hostile is stored: the referrals table is counted around each group that posts referrals
 * (the only rows added are the referrals that the contract accepts, read back verbatim), and the
 * rule-set endpoints are called at a version that does not exist, so that no approval or activation
 * can be recorded. No built-in prototype changes.
 *
 * The last group keeps the 5xx answers this corpus once found, each with as few requests as it takes,
 * now asserting the answer the fix gives.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { Server } from 'node:http';
import { expect } from 'chai';
import request, { type Response } from 'supertest';
import type { ErrorCode } from '../../src/domain/error-catalogue.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { safePointerSegment } from '../../src/schemas/schema-issues.js';
import { issuesOf } from '../support/error-shape.js';
import {
  BAD_CHARACTER_MESSAGE,
  Entries,
  RawJson,
  UUID,
  addEntryAt,
  editAt,
  exampleValueAt,
  expectAnswer,
  expectBadCharacter,
  expectDocumentedAnswer,
  expectIssuesAt,
  expectPrototypesUntouched,
  INJECTION_STRINGS,
  jsonText,
  listening,
  pointerOf,
  POLLUTION_PAYLOAD,
  referralFields,
  referralStringFields,
  schemaAllows,
  sendRaw,
  snapshotPrototypes,
  toNode,
  type JsonNode,
  type PrototypeSnapshot,
} from '../support/hostile-corpus.js';
import { aReferral, CONTRACT_EXAMPLE } from '../support/referral-factory.js';
import { db, testApp, version1RulesDir, version1Versions, type TestApp } from '../support/test-app.js';
import { freshDatabase } from '../support/test-database.js';

const BODY_LIMIT = 64 * 1024;
const NO_SUCH_REFERRAL = '00000000-0000-4000-8000-00000000dead';
/** The practice of the referrals this corpus stores (those the contract accepts), so that no other test counts them. */
const CORPUS_PRACTICE = 'Z99901';
const corpusReferral = (patch: Record<string, unknown> = {}) => aReferral({ referrer: { odsCode: CORPUS_PRACTICE }, ...patch });
const NO_SUCH_VERSION = '/api/v1/rulesets/msk-triage/versions/9.9.9';
/** How an issue names a key the caller sent: the service's own rule (only a word of its vocabulary is repeated). */
const keySegment = safePointerSegment;
/** A key the service would repeat in an issue's path: the answer may contain it. */
const namedKey = (text: string) => safePointerSegment(text) !== '/(unnamed)';
const codePoints = (text: string) => [...text].length;
/** The pointer the structure check gives a string or an object at `path` (keys by keySegment, list items by index). */
const structurePointer = (path: readonly string[]): string => path.map((segment) => (/^\d+$/.test(segment) ? `/${segment}` : keySegment(segment))).join('') || '/';

type Caller = 'gp' | 'triage-clinician' | 'clinical-lead';

/** One POST endpoint: who may call it, a body it accepts, and where a broken body's issue is reported. */
interface Target {
  name: string;
  path: string;
  callers: readonly Caller[];
  contractCode: ErrorCode;
  /** the answer to a body this endpoint accepts: these addresses store nothing (but the referrals one) */
  accepted: { status: number; code?: ErrorCode };
  valid: JsonNode;
  /** the objects of the valid body where keys can be added */
  levels: ReadonlyArray<readonly string[]>;
  /** the fields where a value can be put, and whether the contract allows a value there */
  slots: ReadonlyArray<{ path: readonly string[]; allows: (value: unknown) => boolean; string: boolean }>;
  /** where the issue of an unknown key at this level is reported */
  unknownKey: (level: readonly string[], key: string) => string;
  /** where the issue of a bad value at this field is reported */
  slotPointer: (path: readonly string[]) => string;
}

const FIELDS = referralFields();
const referralTarget = (name: string, path: string, callers: readonly Caller[], accepted: Target['accepted']): Target => ({
  name,
  path,
  callers,
  contractCode: 'REFERRAL_INVALID',
  accepted,
  valid: toNode(CONTRACT_EXAMPLE),
  levels: [[], ...FIELDS.filter((field) => field.schema.type === 'object').map((field) => field.path)],
  slots: FIELDS.map((field) => ({ path: field.path, allows: (value: unknown) => schemaAllows(field.schema, value, exampleValueAt(field.path)), string: field.schema.type === 'string' })),
  unknownKey: (level, key) => pointerOf(level) + keySegment(key),
  slotPointer: pointerOf,
});
/** `textFields` of rulesets-router.ts: text of 1 to 1000 characters once trimmed. */
const shortText = (value: unknown) => typeof value === 'string' && value.trim().length > 0 && value.length <= 1000;

const TARGETS: readonly Target[] = [
  referralTarget('POST /api/v1/triage', '/api/v1/triage', ['gp', 'triage-clinician', 'clinical-lead'], { status: 200 }),
  referralTarget('POST /api/v1/referrals', '/api/v1/referrals', ['gp'], { status: 201 }),
  {
    name: 'POST /api/v1/referrals/:id/review',
    path: `/api/v1/referrals/${NO_SUCH_REFERRAL}/review`,
    callers: ['triage-clinician'],
    contractCode: 'REVIEW_INVALID',
    accepted: { status: 404, code: 'REFERRAL_NOT_FOUND' },
    valid: new Entries([['outcome', 'confirmed'], ['reason', 'agreed']]),
    levels: [[]],
    slots: [
      { path: ['outcome'], allows: (v) => v === 'confirmed', string: true },
      { path: ['reason'], allows: (v) => typeof v === 'string' && codePoints(v) >= 1 && codePoints(v) <= 2000, string: true },
      { path: ['pathway'], allows: () => false, string: true }, // given only to override
    ],
    unknownKey: (_level, key) => keySegment(key),
    slotPointer: pointerOf,
  },
  {
    name: 'POST /api/v1/rulesets/:id/versions/:version/approvals',
    path: `${NO_SUCH_VERSION}/approvals`,
    callers: ['clinical-lead'],
    contractCode: 'REQUEST_INVALID',
    accepted: { status: 404, code: 'RULESET_VERSION_NOT_FOUND' },
    valid: new Entries([['note', 'checked against the cases']]),
    levels: [[]],
    slots: [{ path: ['note'], allows: shortText, string: true }],
    unknownKey: (_level, key) => keySegment(key),
    slotPointer: pointerOf,
  },
  {
    name: 'POST /api/v1/rulesets/:id/versions/:version/activate',
    path: `${NO_SUCH_VERSION}/activate`,
    callers: ['clinical-lead'],
    contractCode: 'REQUEST_INVALID',
    accepted: { status: 404, code: 'RULESET_VERSION_NOT_FOUND' },
    valid: new Entries([['reason', 'new NICE guidance']]),
    levels: [[]],
    slots: [{ path: ['reason'], allows: shortText, string: true }],
    unknownKey: (_level, key) => keySegment(key),
    slotPointer: pointerOf,
  },
  {
    name: 'POST /api/v1/rulesets/:id/versions/:version/simulate',
    path: `${NO_SUCH_VERSION}/simulate`,
    callers: ['clinical-lead'],
    contractCode: 'QUERY_INVALID',
    accepted: { status: 404, code: 'RULESET_VERSION_NOT_FOUND' },
    valid: new Entries([['from', '1.0.0']]),
    levels: [[]],
    slots: [{ path: ['from'], allows: (v) => typeof v === 'string' && /^\d{1,6}\.\d{1,6}\.\d{1,6}$/.test(v), string: true }],
    unknownKey: () => '/from',
    slotPointer: () => '/from',
  },
];

const REFERRALS = TARGETS[1] as Target;

/** What a case expects: the accepted answer, the contract error at a field, or an exact status and code. */
type Expect =
  | { kind: 'accepted' }
  | { kind: 'invalid'; pointer: string }
  | { kind: 'exact'; status: number; code: ErrorCode; paths?: readonly string[]; issues?: ReadonlyArray<{ path: string; message: string }> }
  | { kind: 'documented' };

describe('hostile corpus: known attacks, each with its exact answer', function () {
  this.timeout(120_000);

  let t: TestApp;
  let serving: Awaited<ReturnType<typeof listening>>;
  let server: Server;
  const tokens = new Map<Caller | 'gp-corpus', string>();
  let prototypes: PrototypeSnapshot;
  let corpusSize = 0;
  let storedByCorpus = 0;
  let turn = 0;
  const started = Date.now();

  const countReferrals = async () => Number((await db.query<{ n: string }>('select count(*)::text as n from referrals'))[0]?.n);

  before(async () => {
    t = await testApp();
    serving = await listening(t.app);
    server = serving.server;
    tokens.set('gp', (await t.gpOf('J82001')).token as string);
    tokens.set('gp-corpus', (await t.gpOf(CORPUS_PRACTICE)).token as string);
    tokens.set('triage-clinician', t.clinician.token as string);
    tokens.set('clinical-lead', t.lead.token as string);
    prototypes = snapshotPrototypes();
  });

  after(async () => {
    await serving.close();
    console.log(`      corpus: ${corpusSize} requests (${perGroup.join('; ')}), ${storedByCorpus} referrals stored (all accepted by the contract, read back verbatim), ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  const perGroup: string[] = [];
  let counted = 0;
  afterEach(function () {
    perGroup.push(`${corpusSize - counted} ${(this.currentTest?.title ?? '').split(' ').slice(0, 4).join(' ')}`);
    counted = corpusSize;
    expectPrototypesUntouched(prototypes);
  });

  const bearer = (caller: Caller | 'gp-corpus') => `Bearer ${tokens.get(caller) as string}`;
  /** The endpoint's callers, in turn (triage: a GP, a clinician, a lead). */
  const callerOf = (target: Target) => target.callers[turn++ % target.callers.length] as Caller;

  function send(target: Target, body: string | Buffer, options: { contentType?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    corpusSize++;
    let test = request(server).post(target.path).set('Authorization', bearer(callerOf(target))).set('Content-Type', options.contentType ?? 'application/json');
    for (const [name, value] of Object.entries(options.headers ?? {})) test = test.set(name, value);
    return test.send(body);
  }

  function sendBytes(target: Target, body: Buffer, headers: ReadonlyArray<readonly [string, string]> = [['Content-Type', 'application/json']]): Promise<Response> {
    corpusSize++;
    return sendRaw(serving.port, 'POST', target.path, [['Authorization', bearer(callerOf(target))], ...headers], body);
  }

  function check(target: Target, res: Response, expected: Expect): void {
    if (expected.kind === 'documented') expectDocumentedAnswer(res);
    else if (expected.kind === 'accepted') expectAnswer(res, target.accepted.status, target.accepted.code);
    else if (expected.kind === 'invalid') expectIssuesAt(res, target.contractCode, expected.pointer);
    else {
      expectAnswer(res, expected.status, expected.code);
      if (expected.paths) expect(issuesOf(res).map((issue) => issue.path)).to.deep.equal(expected.paths);
      if (expected.issues) expect(issuesOf(res)).to.deep.equal(expected.issues);
    }
  }

  interface Case {
    label: string;
    target: Target;
    body: () => string | Buffer;
    expected: Expect;
    raw?: boolean;
    /** null: no Content-Type header at all */
    contentType?: string | null;
    headers?: Record<string, string>;
    /** a marker of the attack that the answer must never repeat */
    marker?: string;
  }

  /** Runs every case, serially; fails with the list of every case whose answer was not the expected one. */
  async function runCases(cases: readonly Case[]): Promise<void> {
    const failures: string[] = [];
    for (const c of cases) {
      try {
        const body = c.body();
        const type: Array<readonly [string, string]> = c.contentType === null ? [] : [['Content-Type', c.contentType ?? 'application/json']];
        const res = c.raw || c.contentType === null
          ? await sendBytes(c.target, Buffer.isBuffer(body) ? body : Buffer.from(body), [...type, ...Object.entries(c.headers ?? {})])
          : await send(c.target, body, { ...(c.contentType ? { contentType: c.contentType } : {}), ...(c.headers ? { headers: c.headers } : {}) });
        check(c.target, res, c.expected);
        if (c.marker !== undefined) expect(res.text.includes(c.marker), 'the answer repeats the attack').to.equal(false);
        expect(res.headers['set-cookie'], 'an answer sets a cookie').to.equal(undefined);
      } catch (error) {
        failures.push(`${c.target.name} ${c.label}: ${(error as Error).message.split('\n')[0]?.slice(0, 400) ?? ''}`);
      }
    }
    expect(failures.length, `${failures.length} of ${cases.length} cases failed:\n  ${failures.join('\n  ')}\n`).to.equal(0);
  }

  /** The cases of one group must not store a referral (compared around them: the database is the run's). */
  async function storingNothing(work: () => Promise<void>): Promise<void> {
    const before = await countReferrals();
    try {
      await work();
    } finally {
      expect(await countReferrals(), 'a hostile request stored a referral').to.equal(before);
    }
  }

  const atSlot = (target: Target, path: readonly string[], value: JsonNode): string => jsonText(editAt(target.valid, path, () => value));

  /** A value at a field: the accepted answer if the contract allows it there, else the contract error naming the field. */
  function valueCase(target: Target, slot: Target['slots'][number], label: string, value: JsonNode, options: Partial<Case> = {}): Case {
    const parsed = JSON.parse(jsonText(value)) as unknown;
    return { label: `${label} at ${pointerOf(slot.path)}`, target, body: () => atSlot(target, slot.path, value), expected: slot.allows(parsed) ? { kind: 'accepted' } : { kind: 'invalid', pointer: target.slotPointer(slot.path) }, ...options };
  }

  /** The referrals endpoint gets only what its contract refuses (valid referrals would be stored); triage gets everything. */
  const refusedOrNotReferrals = (c: Case) => c.target !== REFERRALS || (c.expected.kind !== 'accepted' && c.expected.kind !== 'documented');

  // -------------------------------------------------------------------------------------------

  it('refuses deep nesting (depth 4,000 to 100,000, at the top and inside every field) with JSON_TOO_DEEP, or 413 beyond the size limit', async () => {
    const arrays = (depth: number, closed = true) => '['.repeat(depth) + (closed ? ']'.repeat(depth) : '');
    const objects = (depth: number, closed = true) => '{"a":'.repeat(depth) + (closed ? `1${'}'.repeat(depth)}` : '');
    const deep = (label: string, text: string) => ({ label, text, tooLarge: Buffer.byteLength(text) > BODY_LIMIT });
    const tops = [
      deep('arrays, depth 4,000 (8 KB)', arrays(4_000)),
      deep('arrays, depth 5,000', arrays(5_000)),
      deep('arrays, depth 5,000, never closed', arrays(5_000, false)),
      deep('objects, depth 5,000', objects(5_000)),
      deep('objects, depth 5,000, never closed', objects(5_000, false)),
      deep('arrays, depth 30,000 (just under the limit)', arrays(30_000, false)),
      deep('arrays, depth 100,000', arrays(100_000)),
      deep('objects, depth 100,000, never closed', objects(100_000, false)),
      deep('mixed, depth 5,000', '[{"a":'.repeat(2_500) + '1' + '}]'.repeat(2_500)),
    ];
    const expectedOf = (d: { tooLarge: boolean }): Expect => (d.tooLarge ? { kind: 'exact', status: 413, code: 'PAYLOAD_TOO_LARGE' } : { kind: 'exact', status: 400, code: 'JSON_TOO_DEEP' });
    const cases: Case[] = [];
    for (const target of TARGETS) {
      for (const d of tops) cases.push({ label: `${d.label} at the top`, target, body: () => d.text, expected: expectedOf(d) });
      for (const slot of target.slots) {
        for (const d of [deep('arrays, depth 5,000', arrays(5_000)), deep('objects, depth 5,000', objects(5_000))]) {
          cases.push({ label: `${d.label} at ${pointerOf(slot.path)}`, target, body: () => atSlot(target, slot.path, new RawJson(d.text)), expected: expectedOf(d) });
        }
      }
      // the limit itself: 16 levels are allowed, 17 are not
      cases.push({ label: 'arrays, depth 16, at the top', target, body: () => arrays(16), expected: { kind: 'invalid', pointer: '/' } });
      cases.push({ label: 'arrays, depth 17, at the top', target, body: () => arrays(17), expected: { kind: 'exact', status: 400, code: 'JSON_TOO_DEEP' } });
    }
    await storingNothing(() => runCases(cases));
  });

  it('reads a body of exactly 64 KiB, answers one byte more with 413 PAYLOAD_TOO_LARGE, and a compressed bomb with 415 (never inflated)', async () => {
    const cases: Case[] = [];
    for (const target of TARGETS) {
      const slot = target.slots.find((s) => ['notes', 'reason', 'note', 'from'].includes(s.path.at(-1) as string)) as Target['slots'][number];
      /** The valid body with a string of 'a's at the slot, exactly `bytes` long. */
      const sized = (bytes: number) => {
        const text = atSlot(target, slot.path, 'a'.repeat(bytes - Buffer.byteLength(atSlot(target, slot.path, ''))));
        expect(Buffer.byteLength(text)).to.equal(bytes);
        return text;
      };
      const pointer = target.slotPointer(slot.path);
      cases.push({ label: 'exactly 65,536 bytes (a huge string)', target, body: () => sized(BODY_LIMIT), expected: { kind: 'invalid', pointer } });
      cases.push({ label: '65,537 bytes', target, body: () => sized(BODY_LIMIT + 1), expected: { kind: 'exact', status: 413, code: 'PAYLOAD_TOO_LARGE' } });
      cases.push({ label: '40,000 characters of two bytes each (80,000 bytes)', target, body: () => atSlot(target, slot.path, 'é'.repeat(40_000)), expected: { kind: 'exact', status: 413, code: 'PAYLOAD_TOO_LARGE' } });
      cases.push({ label: '1 MiB', target, body: () => sized(1024 * 1024), expected: { kind: 'exact', status: 413, code: 'PAYLOAD_TOO_LARGE' } });
      // compressed bodies are refused before a byte is inflated (json-body.ts: inflate false)
      const unsupported: Expect = { kind: 'exact', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', issues: [] };
      cases.push({ label: 'a 2 KB gzip bomb that inflates to 1 MiB', target, raw: true, headers: { 'Content-Encoding': 'gzip' }, body: () => gzipSync(Buffer.from(sized(1024 * 1024))), expected: unsupported });
      cases.push({ label: 'a deflate bomb that inflates to 1 MiB', target, raw: true, headers: { 'Content-Encoding': 'deflate' }, body: () => deflateSync(Buffer.from(sized(1024 * 1024))), expected: unsupported });
      cases.push({ label: 'a brotli bomb that inflates to 1 MiB', target, raw: true, headers: { 'Content-Encoding': 'br' }, body: () => brotliCompressSync(Buffer.from(sized(1024 * 1024))), expected: unsupported });
      cases.push({ label: 'a gzip bomb inside a gzip bomb', target, raw: true, headers: { 'Content-Encoding': 'gzip, gzip' }, body: () => gzipSync(gzipSync(Buffer.from(sized(1024 * 1024)))), expected: unsupported });
    }
    await storingNothing(() => runCases(cases));
  });

  it('answers huge and odd numbers in every field by the contract: refused, or accepted as the number JSON gives', async () => {
    const numbers = ['1e400', '-1e400', '9007199254740993', '-9007199254740993', '-0', '1E-400', '0.1e1', '1.5', '123456789012345678901234567890', '2600', '2601', '1e3'];
    const notJson = ['NaN', 'Infinity', '-Infinity', '0x10', '+1', '01', '.5', '1.', '1e', '--1', '1_000'];
    const cases: Case[] = [];
    // every number field, and one field of each other kind
    const others = ['/patient', '/patient/sex', '/redFlags/nightPain', '/inflammatory/axialSpaFeatures'];
    for (const target of TARGETS) {
      const numeric = (slot: Target['slots'][number]) => { const field = FIELDS.find((f) => f.pointer === pointerOf(slot.path)); return field?.schema.type === 'integer' || field?.schema.type === 'number'; };
      for (const slot of target.slots.filter((s) => target.contractCode !== 'REFERRAL_INVALID' || numeric(s) || others.includes(pointerOf(s.path)))) {
        for (const text of numbers) cases.push(valueCase(target, slot, text, new RawJson(text)));
        for (const text of notJson) cases.push({ label: `${text} at ${pointerOf(slot.path)}`, target, body: () => atSlot(target, slot.path, new RawJson(text)), expected: { kind: 'exact', status: 400, code: 'JSON_MALFORMED' } });
      }
    }
    await storingNothing(() => runCases(cases.filter(refusedOrNotReferrals)));
  });

  it('refuses U+0000 and lone surrogates, escaped in any string, value or key, with 400 JSON_BAD_CHARACTER at that string, and bytes that are not UTF-8 with 400 JSON_NOT_UTF8 at that string, never read as U+FFFD', async () => {
    // escapes the service refuses on the raw bytes, before parsing (json-structure.ts), and escapes it reads (a pair is one character)
    const refused: ReadonlyArray<readonly [string, string]> = [
      ['escaped \\ud800', '"a\\ud800b"'], ['escaped \\udc00', '"\\udc00"'], ['escaped \\ud800\\ud800', '"\\ud800\\ud800"'], ['escaped \\u0000', '"a\\u0000b"'],
      ['escaped \\udc00\\ud800 (low, then high)', '"\\udc00\\ud800"'], ['escaped \\ud800 then \\u0041', '"\\ud800\\u0041"'], ['escaped \\ud800 at the end', '"ab\\ud800"'],
      ['escaped \\uDBFF (upper-case hex)', '"\\uDBFF"'], ['an escaped backslash, then \\u0000', '"\\\\\\u0000"'], ['escaped \\ud800, then a paired emoji', '"\\ud800\\ud83d\\ude00"'],
    ];
    const read: ReadonlyArray<readonly [string, string]> = [
      ['a pair \\ud83d\\ude00', '"\\ud83d\\ude00"'], ['a pair in upper case \\uD83D\\uDE00', '"\\uD83D\\uDE00"'], ['an escaped backslash, then u0000 (text)', '"\\\\u0000"'], ['escaped \\u0001', '"a\\u0001b"'],
    ];
    const bytes: ReadonlyArray<readonly [string, Buffer]> = [
      ['raw bytes of a surrogate (ED A0 80)', Buffer.from([0xed, 0xa0, 0x80])],
      ['raw byte FF', Buffer.from([0xff])],
      ['overlong / (C0 AF)', Buffer.from([0xc0, 0xaf])],
      ['five-byte sequence', Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])],
      ['truncated (E2 82)', Buffer.from([0xe2, 0x82])],
      ['raw NUL byte', Buffer.from([0x00])],
    ];
    const withBytes = (target: Target, path: readonly string[], inside: Buffer) => {
      const marker = '@@HOSTILE@@';
      const [before, after] = atSlot(target, path, marker).split(JSON.stringify(marker)) as [string, string];
      return Buffer.concat([Buffer.from(`${before}"a`), inside, Buffer.from(`b"${after}`)]);
    };
    const badCharacter = (path: string): Expect => ({ kind: 'exact', status: 400, code: 'JSON_BAD_CHARACTER', issues: [{ path, message: BAD_CHARACTER_MESSAGE }] });
    const cases: Case[] = [];
    for (const target of TARGETS) {
      for (const slot of target.slots.filter((s) => s.string)) {
        // refused everywhere, the referrals endpoint included: nothing can be stored
        for (const [label, text] of refused) cases.push({ label: `${label} at ${pointerOf(slot.path)}`, target, body: () => atSlot(target, slot.path, new RawJson(text)), expected: badCharacter(structurePointer(slot.path)) });
        for (const [label, text] of read) cases.push(valueCase(target, slot, label, new RawJson(text)));
        for (const [label, inside] of bytes) {
          // refused everywhere, the referrals endpoint included: what was meant is never stored as U+FFFD
          const expected: Expect = label === 'raw NUL byte' ? { kind: 'exact', status: 400, code: 'JSON_MALFORMED' } : { kind: 'exact', status: 400, code: 'JSON_NOT_UTF8', paths: [structurePointer(slot.path)] };
          cases.push({ label: `${label} at ${pointerOf(slot.path)}`, target, raw: true, body: () => withBytes(target, slot.path, inside), expected });
        }
      }
      for (const level of target.levels) {
        const at = pointerOf(level) || '/';
        cases.push({ label: `a key of raw byte FF at ${at}`, target, raw: true, expected: { kind: 'exact', status: 400, code: 'JSON_NOT_UTF8', paths: [structurePointer(level)] },
          body: () => Buffer.from(jsonText(addEntryAt(target.valid, level, '@@K@@', 1)).replace('"@@K@@"', '"\u00ff"'), 'latin1') });
        // a key: reported at the object that holds it
        const withKey = (escapedKey: string) => () => jsonText(addEntryAt(target.valid, level, '@@K@@', 1)).replace('"@@K@@"', escapedKey);
        for (const [label, key] of [['\\u0000', '"\\u0000"'], ['a\\ud800', '"a\\ud800"'], ['\\udc00', '"\\udc00"']] as const) {
          cases.push({ label: `a key ${label} at ${at}`, target, body: withKey(key), expected: badCharacter(structurePointer(level)) });
        }
        cases.push({ label: `a key \\ud83d\\ude00 (a pair) at ${at}`, target, body: withKey('"\\ud83d\\ude00"'), expected: { kind: 'invalid', pointer: target.unknownKey(level, '\ud83d\ude00') } });
      }
      cases.push({ label: 'a raw byte FF between tokens', target, raw: true, body: () => Buffer.concat([Buffer.from('{'), Buffer.from([0xff]), Buffer.from('}')]), expected: { kind: 'exact', status: 400, code: 'JSON_NOT_UTF8', paths: ['/'] } });
      cases.push({ label: 'the body in UTF-16LE, said to be UTF-8', target, raw: true, body: () => Buffer.from(jsonText(target.valid), 'utf16le'), expected: { kind: 'exact', status: 400, code: 'JSON_MALFORMED' } });
      cases.push({ label: 'a byte-order mark before the body', target, raw: true, body: () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(jsonText(target.valid))]), expected: { kind: 'documented' } });
      // the structure check reports the first problem in the text, a bad character as any other, before the text is parsed
      const zeros = (n: number) => Array.from({ length: n }, () => '0').join(',');
      const order: ReadonlyArray<readonly [string, string, Expect]> = [
        ['the whole body a string with \\u0000 (not JSON_MALFORMED)', '"\\u0000"', badCharacter('/')],
        ['a key with \\u0000 twice (the character first)', '{"a\\u0000":1,"a\\u0000":2}', badCharacter('/')],
        ['a key twice, then \\u0000', '{"note":"x","note":"\\u0000"}', { kind: 'exact', status: 400, code: 'JSON_DUPLICATE_KEY', paths: [keySegment('note')] }],
        ['\\u0000, then 17 levels', `["\\u0000",${'['.repeat(17)}${']'.repeat(17)}]`, badCharacter('/0')],
        ['17 levels, then \\u0000', `[${'['.repeat(17)}${']'.repeat(17)},"\\u0000"]`, { kind: 'exact', status: 400, code: 'JSON_TOO_DEEP', issues: [] }],
        ['\\u0000, then 101 items', `["\\u0000",${zeros(100)}]`, badCharacter('/0')],
        ['101 items, then \\u0000', `[${zeros(100)},"\\u0000"]`, { kind: 'exact', status: 400, code: 'JSON_TOO_WIDE', paths: ['/'] }],
        ['\\ud800 in text that is not JSON', '{"note":"\\ud800",', badCharacter(structurePointer(['note']))],
        ['\\ud800 in an object in a list', '[{"reason":[1,"\\ud800"]}]', badCharacter(`/0${structurePointer(['reason'])}/1`)],
      ];
      for (const [label, text, expected] of order) cases.push({ label, target, body: () => text, expected });
    }
    await storingNothing(() => runCases(cases.filter(refusedOrNotReferrals)));
  });

  it('refuses a key twice in one object, at every level, with 400 JSON_DUPLICATE_KEY naming it', async () => {
    const cases: Case[] = [];
    for (const target of TARGETS) {
      for (const level of target.levels) {
        // the level's first field (a level the valid body lacks gets a field of its own)
        let node: JsonNode | undefined = target.valid;
        for (const key of level) node = node instanceof Entries ? node.entries.find(([k]) => k === key)?.[1] : undefined;
        const [key, value] = (node instanceof Entries ? node.entries[0] : undefined) ?? ['x', 1];
        const pointer = pointerOf(level) + keySegment(key);
        const flipped: JsonNode = typeof value === 'boolean' ? !value : value;
        const paths = [pointer];
        cases.push({ label: `${key} twice at ${pointerOf(level) || '/'}`, target, body: () => jsonText(addEntryAt(addEntryAt(target.valid, level, key, value), level, key, flipped)), expected: { kind: 'exact', status: 400, code: 'JSON_DUPLICATE_KEY', paths } });
        // the same key spelt with an escape: one key once decoded
        const escapedKey = `\\u${(key.codePointAt(0) as number).toString(16).padStart(4, '0')}${key.slice(1)}`;
        cases.push({ label: `${key} and ${escapedKey} at ${pointerOf(level) || '/'}`, target, body: () => jsonText(addEntryAt(addEntryAt(target.valid, level, key, value), level, '@@DUP@@', flipped)).replace('"@@DUP@@"', `"${escapedKey}"`), expected: { kind: 'exact', status: 400, code: 'JSON_DUPLICATE_KEY', paths } });
        cases.push({ label: `__proto__ twice at ${pointerOf(level) || '/'}`, target, body: () => jsonText(addEntryAt(addEntryAt(target.valid, level, '__proto__', {}), level, '__proto__', toNode(POLLUTION_PAYLOAD))), expected: { kind: 'exact', status: 400, code: 'JSON_DUPLICATE_KEY', paths: [pointerOf(level) + keySegment('__proto__')] } });
      }
    }
    // the classic: a red flag answered twice, true then false
    cases.push({ label: 'saddleAnaesthesia true then false', target: TARGETS[0] as Target, body: () => JSON.stringify(aReferral()).replace('"saddleAnaesthesia":false', '"saddleAnaesthesia":true,"saddleAnaesthesia":false'), expected: { kind: 'exact', status: 400, code: 'JSON_DUPLICATE_KEY', paths: ['/redFlags/saddleAnaesthesia'] } });
    await storingNothing(() => runCases(cases));
  });

  it('refuses __proto__, constructor.prototype and prototype at every level and in every field, and no prototype changes', async () => {
    const payloads: ReadonlyArray<readonly [string, JsonNode]> = [
      ['__proto__', toNode(POLLUTION_PAYLOAD)],
      ['constructor', new Entries([['prototype', toNode(POLLUTION_PAYLOAD)]])],
      ['prototype', toNode(POLLUTION_PAYLOAD)],
      ['__proto__', new Entries([['__proto__', toNode(POLLUTION_PAYLOAD)]])],
      ['toString', 'polluted'],
      ['hasOwnProperty', 'polluted'],
    ];
    const cases: Case[] = [];
    for (const target of TARGETS) {
      for (const level of target.levels) {
        for (const [key, value] of payloads) {
          cases.push({ label: `${key}: ${jsonText(value).slice(0, 40)} at ${pointerOf(level) || '/'}`, target, body: () => jsonText(addEntryAt(target.valid, level, key, value)), expected: { kind: 'invalid', pointer: target.unknownKey(level, key) } });
        }
      }
      for (const slot of target.slots) {
        cases.push(valueCase(target, slot, 'an object of __proto__', new Entries([['__proto__', toNode(POLLUTION_PAYLOAD)]])));
        cases.push(valueCase(target, slot, 'a list of an object of constructor.prototype', [new Entries([['constructor', new Entries([['prototype', toNode(POLLUTION_PAYLOAD)]])]])]));
      }
      // a body that is nothing but the payload
      cases.push({ label: 'the body {"__proto__": ...}', target, body: () => jsonText(new Entries([['__proto__', toNode(POLLUTION_PAYLOAD)]])), expected: { kind: 'invalid', pointer: target.contractCode === 'QUERY_INVALID' ? '/from' : '/' } });
    }
    await storingNothing(() => runCases(cases.filter(refusedOrNotReferrals)));
    for (const key of Object.keys(POLLUTION_PAYLOAD)) expect(({} as Record<string, unknown>)[key], key).to.equal(undefined);
  });

  const WRONG_TYPES: ReadonlyArray<readonly [string, JsonNode]> = [['null', null], ['[]', []], ['{}', {}], ['""', ''], ['0', 0], ['true', true], ['10,000 characters', 'x'.repeat(10_000)]];

  /** Each wrong type at each field, and as the whole body: a list or an object is the contract's error, anything else is not JSON this API reads. */
  function wrongTypeCases(targets: readonly Target[]): Case[] {
    const cases: Case[] = [];
    for (const target of targets) {
      for (const slot of target.slots) for (const [label, value] of WRONG_TYPES) cases.push(valueCase(target, slot, label, value));
      for (const [label, value] of WRONG_TYPES) {
        const container = Array.isArray(value) || (value !== null && typeof value === 'object');
        cases.push({ label: `${label} as the whole body`, target, body: () => jsonText(value), expected: container ? { kind: 'invalid', pointer: target.contractCode === 'QUERY_INVALID' ? '/from' : '/' } : { kind: 'exact', status: 400, code: 'JSON_MALFORMED' } });
      }
    }
    return cases;
  }

  it('refuses a wrong type at every field of the referral (null, [], {}, "", 0, true, 10,000 characters) with 400 REFERRAL_INVALID listing that field', async () => {
    await storingNothing(() => runCases(wrongTypeCases(TARGETS.filter((target) => target.contractCode === 'REFERRAL_INVALID')).filter(refusedOrNotReferrals)));
  });

  it('refuses a wrong type at every field of the review, approval, activation and simulation bodies, and a body that is not an object, with their 400', async () => {
    const cases = wrongTypeCases(TARGETS.filter((target) => target.contractCode !== 'REFERRAL_INVALID'));
    // {} is a valid approval (the note is optional) and a valid simulation (from is optional); [] is not an object (openapi.ts: type object)
    for (const c of cases) if (c.label === '{} as the whole body' && /\/(approvals|simulate)$/.test(c.target.name)) c.expected = { kind: 'accepted' };
    // a list is JSON the parser reads, and not an object: approvals and activation say so at '/', simulation too (its own code)
    for (const c of cases) {
      if (c.label !== '[] as the whole body') continue;
      if (/\/(approvals|activate)$/.test(c.target.name)) c.expected = { kind: 'exact', status: 400, code: 'REQUEST_INVALID', issues: [{ path: '/', message: 'must be an object' }] };
      if (/\/simulate$/.test(c.target.name)) c.expected = { kind: 'exact', status: 400, code: 'QUERY_INVALID', paths: ['/'] };
    }
    // (a string, a number or null as the whole body is not JSON this API reads: JSON_MALFORMED, above)
    await runCases(cases);
  });

  it('treats injection strings in every string field as data: refused where the contract refuses them, never executed, never repeated', async () => {
    const cases: Case[] = [];
    for (const target of TARGETS) {
      for (const slot of target.slots.filter((s) => s.string)) {
        for (const [label, text] of INJECTION_STRINGS) {
          const c = valueCase(target, slot, label, text);
          if (!namedKey(text)) c.marker = text; // not in an error, nor in a decision
          cases.push(c);
        }
      }
    }
    await storingNothing(() => runCases(cases.filter(refusedOrNotReferrals)));
  });

  it('stores a referral whose free-text fields hold each injection string exactly as sent, and nothing else', async () => {
    const freeText = referralStringFields().filter((field) => !field.schema.enum && !field.schema.pattern && !field.schema.format);
    expect(freeText.map((field) => field.pointer)).to.deep.equal(['/externalReference', '/referrer/clinicianName', '/notes']);
    const before = await countReferrals();
    const failures: string[] = [];
    let stored = 0;
    for (const [label, text] of INJECTION_STRINGS) {
      let tree = toNode(corpusReferral());
      const placed = freeText.filter((field) => schemaAllows(field.schema, text));
      if (placed.length === 0) continue;
      for (const field of placed) tree = editAt(tree, field.path, () => text);
      const sent = JSON.parse(jsonText(tree)) as unknown;
      corpusSize += 2;
      const res = await request(server).post('/api/v1/referrals').set('Authorization', bearer('gp-corpus')).set('Content-Type', 'application/json').send(jsonText(tree));
      try {
        expectDocumentedAnswer(res);
        expect([201, 202], res.text.slice(0, 200)).to.include(res.status);
        expect(res.headers['set-cookie']).to.equal(undefined);
        stored++;
        const id = (res.body as { id: string }).id;
        expect(id).to.match(UUID);
        const back = await request(server).get(`/api/v1/referrals/${id}`).set('Authorization', bearer('triage-clinician'));
        expectAnswer(back, 200);
        expect((back.body as { referral: unknown }).referral, 'the stored referral is not what was sent').to.deep.equal(sent);
      } catch (error) {
        failures.push(`${label} in ${placed.map((f) => f.pointer).join(', ')}: ${(error as Error).message.split('\n')[0] ?? ''}`);
      }
    }
    storedByCorpus += stored;
    expect(failures.length, failures.join('\n')).to.equal(0);
    expect(await countReferrals(), 'rows added beyond the accepted referrals').to.equal(before + stored);
  });

  it('answers any content type but JSON in UTF-8, and any content coding but identity (compressed or not), with 415', async () => {
    const form = 'note=x&reason=y&outcome=confirmed';
    const multipart = '--x\r\nContent-Disposition: form-data; name="note"\r\n\r\nx\r\n--x--\r\n';
    const refused: ReadonlyArray<readonly [string, string, string?]> = [
      ['text/plain', 'valid'], ['application/x-www-form-urlencoded', form, 'form'], ['multipart/form-data; boundary=x', multipart, 'multipart'],
      ['application/json; charset=latin1', 'valid'], ['application/json; charset=iso-8859-1', 'valid'], ['application/json; charset=utf-16', 'valid'], ['application/json; charset=us-ascii', 'valid'],
      ['application/xml', '<referral/>', 'xml'], ['text/json', 'valid'], ['application/merge-patch+json', 'valid'], ['application/json-seq', 'valid'], ['application/jsonx', 'valid'], ['application/json, text/plain', 'valid'],
      ['application/octet-stream', 'valid'], ['*/*', 'valid'], ['application/*', 'valid'],
    ];
    const cases: Case[] = [];
    for (const target of TARGETS) {
      for (const [type, body, label] of refused) {
        cases.push({ label: `Content-Type: ${type}${label ? ` (${label})` : ''}`, target, contentType: type, body: () => (body === 'valid' ? jsonText(target.valid) : body), expected: { kind: 'exact', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' }, raw: true });
      }
      cases.push({ label: 'no Content-Type', target, contentType: null, body: () => jsonText(target.valid), expected: { kind: 'exact', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } });
      cases.push({ label: 'Content-Encoding: x-compress', target, raw: true, headers: { 'Content-Encoding': 'x-compress' }, body: () => jsonText(target.valid), expected: { kind: 'exact', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' } });
      // compressed bodies are never inflated (json-body.ts): a valid body compressed as said is refused all the same
      const compressed: ReadonlyArray<readonly [string, (bytes: Buffer) => Buffer]> = [['gzip', gzipSync], ['x-gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync], ['GZIP', gzipSync], ['gzip, identity', gzipSync], ['identity, gzip', gzipSync]];
      for (const [coding, compress] of compressed) {
        cases.push({ label: `Content-Encoding: ${coding} (a valid body, compressed)`, target, raw: true, headers: { 'Content-Encoding': coding }, body: () => compress(Buffer.from(jsonText(target.valid))), expected: { kind: 'exact', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', issues: [] } });
      }
      for (const coding of ['gzip', 'deflate', 'br', 'zstd', 'compress', 'identity;q=1', '*']) {
        cases.push({ label: `Content-Encoding: ${coding} (a valid body, not compressed)`, target, raw: true, headers: { 'Content-Encoding': coding }, body: () => jsonText(target.valid), expected: { kind: 'exact', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', issues: [] } });
      }
      // controls: JSON in UTF-8, however it is spelt, is read
      for (const type of ['application/json', 'Application/JSON', 'application/json; charset=UTF-8', 'application/json;charset="utf-8"']) {
        if (target === REFERRALS) cases.push({ label: `Content-Type: ${type}, an invalid body`, target, contentType: type, body: () => '{}', expected: { kind: 'invalid', pointer: '/' } });
        else cases.push({ label: `Content-Type: ${type}`, target, contentType: type, body: () => jsonText(target.valid), expected: { kind: 'accepted' } });
      }
      for (const coding of ['identity', 'IDENTITY']) {
        cases.push({ label: `Content-Encoding: ${coding}`, target, headers: { 'Content-Encoding': coding }, body: () => (target === REFERRALS ? '{}' : jsonText(target.valid)), expected: target === REFERRALS ? { kind: 'invalid', pointer: '/' } : { kind: 'accepted' } });
      }
      // utf8 (no hyphen) is not a registered name of UTF-8: either answer is documented (see the report)
      cases.push({ label: 'Content-Type: application/json; charset=utf8', target, contentType: 'application/json; charset=utf8', body: () => (target === REFERRALS ? '{}' : jsonText(target.valid)), expected: { kind: 'documented' } });
    }
    await storingNothing(() => runCases(cases));
  });

  it('answers hostile paths with 404, 400 URL_MALFORMED or 401: never a file, never a 5xx', async () => {
    const uuid = '3f0c6b8e-2f51-4a43-9d68-2a8f2a6c1c11';
    type PathCase = { who: Caller | 'anonymous'; method: 'GET' | 'POST'; path: string | Buffer; status: number; code?: ErrorCode; node?: boolean; body?: string };
    const review = JSON.stringify({ outcome: 'confirmed' });
    const cases: PathCase[] = [
      { who: 'triage-clinician', method: 'GET', path: '/api/v1/referrals/..%2f..%2f', status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: '/api/v1/referrals/..%2F..%2F..%2Fetc%2Fpasswd', status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: '/api/v1/referrals/%2e%2e', status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: '/api/v1/referrals/%ZZ', status: 400, code: 'URL_MALFORMED' },
      { who: 'triage-clinician', method: 'GET', path: '/api/v1/referrals/%', status: 400, code: 'URL_MALFORMED' },
      { who: 'triage-clinician', method: 'GET', path: '/api/v1/referrals/%C0%AF', status: 400, code: 'URL_MALFORMED' },
      { who: 'triage-clinician', method: 'GET', path: `/api/v1/referrals/${'a'.repeat(10_000)}`, status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: `/api/v1/referrals/${uuid.repeat(200)}`, status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: '/api/v1/referrals/%E2%9C%93', status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: `/api/v1/referrals/${encodeURIComponent('３ｆ０ｃ６ｂ８ｅ-2f51-4a43-9d68-2a8f2a6c1c11')}`, status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: `/api/v1/referrals/${encodeURIComponent('𝔲𝔲𝔦𝔡')}`, status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: `/api/v1/referrals/${uuid}%00`, status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: `/api/v1/referrals/${uuid}%20or%201=1`, status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: `/api/v1/referrals/${uuid}'%3B%20drop%20table%20referrals%3B--`, status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: `/api/v1/referrals/${uuid.toUpperCase()}`, status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: `/api/v1/referrals/${uuid}/audit%00`, status: 404, code: 'NOT_FOUND' },
      { who: 'triage-clinician', method: 'GET', path: `/api/v1/referrals/${uuid}/..%2faudit`, status: 404, code: 'NOT_FOUND' },
      { who: 'gp', method: 'GET', path: '/api/v1/referrals/..%2f..%2f', status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'gp', method: 'GET', path: `/api/v1/referrals/${uuid}%00`, status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'anonymous', method: 'GET', path: '/api/v1/referrals/%ZZ', status: 401, code: 'AUTHENTICATION_REQUIRED' },
      { who: 'anonymous', method: 'GET', path: '/api/v1/referrals/..%2f..%2f', status: 401, code: 'AUTHENTICATION_REQUIRED' },
      { who: 'triage-clinician', method: 'POST', path: '/api/v1/referrals/..%2f..%2f/review', status: 404, code: 'REFERRAL_NOT_FOUND', body: review },
      { who: 'triage-clinician', method: 'POST', path: '/api/v1/referrals/%ZZ/review', status: 400, code: 'URL_MALFORMED', body: review },
      { who: 'triage-clinician', method: 'POST', path: `/api/v1/referrals/${uuid}%00/review`, status: 404, code: 'REFERRAL_NOT_FOUND', body: review },
      { who: 'triage-clinician', method: 'POST', path: `/api/v1/referrals/${'a'.repeat(10_000)}/replay`, status: 404, code: 'REFERRAL_NOT_FOUND' },
      { who: 'clinical-lead', method: 'GET', path: '/api/v1/rulesets/..%2f..%2f..%2fetc/versions/1.0.0', status: 404, code: 'RULESET_NOT_FOUND' },
      { who: 'clinical-lead', method: 'GET', path: '/api/v1/rulesets/msk-triage/versions/..%2f..%2f..%2fetc%2fpasswd', status: 404, code: 'RULESET_VERSION_NOT_FOUND' },
      { who: 'clinical-lead', method: 'POST', path: '/api/v1/rulesets/..%2F..%2Fetc/versions/1.0.0/approvals', status: 404, code: 'RULESET_VERSION_NOT_FOUND', body: '{}' },
      { who: 'clinical-lead', method: 'POST', path: '/api/v1/rulesets/msk-triage/versions/..%2F1.0.0/approvals', status: 404, code: 'RULESET_VERSION_NOT_FOUND', body: '{}' },
      { who: 'clinical-lead', method: 'POST', path: '/api/v1/rulesets/msk-triage/versions/1.0.0%2F..%2F..%2F1.1.0/activate', status: 404, code: 'RULESET_VERSION_NOT_FOUND', body: '{"reason":"x"}' },
      { who: 'clinical-lead', method: 'POST', path: '/api/v1/rulesets/msk-triage/versions/%00/simulate', status: 404, code: 'RULESET_VERSION_NOT_FOUND', body: '{}' },
      { who: 'clinical-lead', method: 'POST', path: '/api/v1/rulesets/msk-triage/versions/%ZZ/simulate', status: 400, code: 'URL_MALFORMED', body: '{}' },
      // bytes no URL may hold: refused by Node's HTTP parser before the app, answered in the error shape (http/server.ts)
      { who: 'triage-clinician', method: 'GET', path: Buffer.concat([Buffer.from('/api/v1/referrals/'), Buffer.from('✓ü', 'utf8')]), status: 400, node: true },
      { who: 'triage-clinician', method: 'GET', path: Buffer.from(`/api/v1/referrals/${uuid}\u0000`, 'latin1'), status: 400, node: true },
      { who: 'triage-clinician', method: 'GET', path: '/api/v1/referrals/a b', status: 400, node: true },
    ];
    const failures: string[] = [];
    for (const c of cases) {
      corpusSize++;
      const label = `${c.method} ${(Buffer.isBuffer(c.path) ? c.path.toString('latin1') : c.path).slice(0, 80)} as ${c.who}`;
      try {
        const headers: Array<readonly [string, string]> = c.who === 'anonymous' ? [] : [['Authorization', bearer(c.who)]];
        if (c.body !== undefined) headers.push(['Content-Type', 'application/json']);
        const res = await sendRaw(serving.port, c.method, c.path, headers, c.body);
        if (c.node) {
          expectAnswer(res, c.status, 'HTTP_MALFORMED');
          expect(res.headers['strict-transport-security'], 'reached the app (its security headers)').to.equal(undefined);
        } else expectAnswer(res, c.status, c.code);
        expect(res.text).to.not.match(/root:|\[boot loader\]|"rules":\s*\[/); // no file content
      } catch (error) {
        failures.push(`${label}: ${(error as Error).message.split('\n')[0] ?? ''}`);
      }
    }
    expect(failures.length, failures.join('\n')).to.equal(0);
  });

  it('answers hostile headers: Authorization variants 401, a bad Idempotency-Key 400, a bad X-Request-Id never echoed', async () => {
    const clinician = tokens.get('triage-clinician') as string;
    const failures: string[] = [];
    const attempt = async (label: string, work: () => Promise<void>) => {
      corpusSize++;
      try {
        await work();
      } catch (error) {
        failures.push(`${label}: ${(error as Error).message.split('\n')[0] ?? ''}`);
      }
    };
    const rulesets = (headers: ReadonlyArray<readonly [string, string | Buffer]>) => sendRaw(serving.port, 'GET', '/api/v1/rulesets', headers);

    // Authorization
    const invalid: ReadonlyArray<readonly [string, string]> = [
      ['Bearer', 'Bearer'], ['Bearer and two spaces', 'Bearer  x'], ['Basic', 'Basic dXNlcjpwYXNzd29yZA=='], ['Basic with the token', `Basic ${Buffer.from(`x:${clinician}`).toString('base64')}`],
      ['a 10 KB token', `Bearer ${'A'.repeat(10 * 1024)}`], ['a 10 KB msk_ token', `Bearer msk_${'A'.repeat(10 * 1024)}`],
      ['a JWT with alg none', 'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhdHRhY2tlciIsInJvbGUiOiJjbGluaWNhbC1sZWFkIn0.'],
      ['a JWT with alg none and a signature', 'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhdHRhY2tlciIsInJvbGUiOiJjbGluaWNhbC1sZWFkIn0.c2ln'],
      ['msk_ and 42 characters', `Bearer msk_${'A'.repeat(42)}`], ['msk_ and 44 characters', `Bearer msk_${'A'.repeat(44)}`], ['msk_ and nothing', 'Bearer msk_'],
      ['the token without its scheme', clinician], ['the token twice', `Bearer ${clinician} ${clinician}`], ['the token and a comma', `Bearer ${clinician},`],
      ['the token with a NUL escape', `Bearer ${clinician}%00`], ['a tab after Bearer', `Bearer\t${clinician}`], ['Bearer SQL', "Bearer ' or '1'='1"], ['Bearer ../', 'Bearer ../../etc/passwd'],
    ];
    for (const [label, value] of invalid) {
      await attempt(`Authorization: ${label}`, async () => {
        const res = await rulesets([['Authorization', value]]);
        expectAnswer(res, 401, 'TOKEN_INVALID');
        expect(res.headers['www-authenticate']).to.equal('Bearer realm="msk-triage", error="invalid_token"');
        expect(res.text.includes(clinician), 'the token is repeated').to.equal(false);
      });
    }
    for (const [label, headers] of [['no Authorization', []], ['an empty Authorization', [['Authorization', '']]], ['a blank Authorization', [['Authorization', '   ']]],
      ['the token in the query', []], ['the token in a cookie', [['Cookie', `token=${clinician}; access_token=${clinician}`]]]] as const) {
      await attempt(label, async () => {
        const res = label === 'the token in the query'
          ? await sendRaw(serving.port, 'GET', `/api/v1/rulesets?access_token=${clinician}`, [])
          : await rulesets(headers);
        expectAnswer(res, 401, 'AUTHENTICATION_REQUIRED');
        expect(res.headers['www-authenticate']).to.equal('Bearer realm="msk-triage"');
      });
    }
    await attempt('two Authorization headers, a bad one first (Node keeps the first)', async () => {
      expectAnswer(await rulesets([['Authorization', 'Bearer nope'], ['Authorization', `Bearer ${clinician}`]]), 401, 'TOKEN_INVALID');
    });
    await attempt("a GP's real token where only clinicians and leads may go", async () => {
      expectAnswer(await rulesets([['Authorization', bearer('gp')]]), 403, 'FORBIDDEN');
    });
    await attempt('control: the real token', async () => {
      expectAnswer(await rulesets([['Authorization', `Bearer ${clinician}`]]), 200);
    });
    // RFC 7235: the scheme is case-insensitive; the token is not
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
      await attempt(`control: the real token after ${scheme}`, async () => {
        expectAnswer(await rulesets([['Authorization', `${scheme} ${clinician}`]]), 200);
      });
    }
    await attempt('the real token in upper case', async () => {
      const upper = clinician.slice(0, 4) + clinician.slice(4).toUpperCase(); // msk_ kept
      expect(upper, 'the token has lower-case letters').to.not.equal(clinician);
      expectAnswer(await rulesets([['Authorization', `Bearer ${upper}`]]), 401, 'TOKEN_INVALID');
    });

    // X-Request-Id: taken only when it is a UUID, and never reflected otherwise
    const auth = ['Authorization', `Bearer ${clinician}`] as const;
    const notEchoed: ReadonlyArray<readonly [string, string | Buffer]> = [
      ['percent-encoded CRLF', 'abc%0d%0aSet-Cookie:%20hostile=1'], ['10,000 characters', 'r'.repeat(10_000)], ['65 characters', 'r'.repeat(65)], ['<script>', '<script>alert(1)</script>'],
      ['a space', 'two words'], ['latin1', 'requête'], ['raw UTF-8', Buffer.from('ключ-запроса', 'utf8')], ['a JSON fragment', '","level":"error'], ['an NHS number with spaces', '943 476 5919'],
      ['a plain token', 'req-a1b2c3d4'], ['a plain token of 64 characters', `req-${'0'.repeat(60)}`], ['a UUID without its hyphens', '5f0c9a3e1b2d4c5e8f70123456789abc'],
      ['a UUID and a character more', '5f0c9a3e-1b2d-4c5e-8f70-123456789abcd'], ['a UUID in braces', '{5f0c9a3e-1b2d-4c5e-8f70-123456789abc}'], ['a UUID with a letter beyond f', '5f0c9a3e-1b2d-4c5e-8f70-12345678zabc'],
    ];
    for (const [label, value] of notEchoed) {
      await attempt(`X-Request-Id: ${label}`, async () => {
        const res = await rulesets([auth, ['X-Request-Id', value]]);
        expectAnswer(res, 200);
        expect(res.headers['x-request-id']).to.match(UUID);
        const offered = Buffer.isBuffer(value) ? value.toString('latin1') : value;
        expect(res.headers['set-cookie']).to.equal(undefined);
        expect(JSON.stringify(res.headers).includes(offered) || res.text.includes(offered), 'the offered id is repeated').to.equal(false);
      });
    }
    await attempt('X-Request-Id: a raw CRLF and a header after it (the next line is a header of the request, not of the answer)', async () => {
      const res = await rulesets([auth, ['X-Request-Id', 'abc\r\nSet-Cookie: hostile=1\r\nX-Injected: yes']]);
      expectAnswer(res, 200);
      expect(res.headers['x-request-id']).to.match(UUID);
      expect(res.headers['set-cookie']).to.equal(undefined);
      expect(res.headers['x-injected']).to.equal(undefined);
    });
    for (const [label, value] of [['a bare CR', 'abc\rSet-Cookie: hostile=1'], ['a bare LF', 'abc\nSet-Cookie: hostile=1'], ['a folded line', 'abc\r\n Set-Cookie: hostile=1']] as const) {
      await attempt(`X-Request-Id: ${label} (refused by Node's HTTP parser)`, async () => {
        const res = await rulesets([auth, ['X-Request-Id', value]]);
        expectAnswer(res, 400, 'HTTP_MALFORMED');
        expect(res.headers['x-request-id']).to.match(UUID);
        expect(res.headers['set-cookie']).to.equal(undefined);
      });
    }
    await attempt('X-Request-Id of 10,000 characters with a 10 KB token: over 16 KiB of headers, refused by Node (431)', async () => {
      const res = await rulesets([['Authorization', `Bearer ${'A'.repeat(10 * 1024)}`], ['X-Request-Id', 'r'.repeat(10_000)]]);
      expectAnswer(res, 431, 'HEADERS_TOO_LARGE');
      expect(res.text.includes('rrrrrrrrrr')).to.equal(false);
    });
    await attempt('X-Request-Id twice', async () => {
      const res = await rulesets([auth, ['X-Request-Id', 'first'], ['X-Request-Id', 'second']]);
      expectAnswer(res, 200);
      expect(res.headers['x-request-id']).to.match(UUID);
    });
    await attempt('control: a UUID as X-Request-Id is echoed, in lower case', async () => {
      const res = await rulesets([auth, ['X-Request-Id', '5F0C9A3E-1B2D-4C5E-8F70-123456789ABC']]);
      expect(res.headers['x-request-id']).to.equal('5f0c9a3e-1b2d-4c5e-8f70-123456789abc');
    });

    // Idempotency-Key, with a valid referral of the GP's own practice: refused before anything is stored
    const referral = JSON.stringify(corpusReferral());
    const keys: ReadonlyArray<readonly [string, string | Buffer]> = [
      ['10,000 characters', 'k'.repeat(10_000)], ['256 characters', 'k'.repeat(256)], ['empty', ''], ['a space inside', 'two words'], ['latin1', 'clé'], ['raw UTF-8', Buffer.from('ключ', 'utf8')],
      ['a tab inside', 'a\tb'], ['DEL', 'a\u007fb'], ['a control character', 'a\u0001b'], ['emoji', Buffer.from('🔑', 'utf8')],
    ];
    await storingNothing(async () => {
      for (const [label, key] of keys) {
        await attempt(`Idempotency-Key: ${label}`, async () => {
          const res = await sendRaw(serving.port, 'POST', '/api/v1/referrals', [['Authorization', bearer('gp-corpus')], ['Content-Type', 'application/json'], ['Idempotency-Key', key]], referral);
          if (label === 'DEL' || label === 'a control character') expect([400]).to.include(res.status); // Node may refuse the header itself
          else expectAnswer(res, 400, 'IDEMPOTENCY_KEY_INVALID');
          const offered = Buffer.isBuffer(key) ? key.toString('latin1') : key;
          if (offered.length > 3) expect(JSON.stringify(res.headers).includes(offered) || res.text.includes(offered), 'the key is repeated').to.equal(false);
        });
      }
    });
    expect(failures.length, failures.join('\n')).to.equal(0);
  });

  // -------------------------------------------------------------------------------------------
  // The 5xx answers this corpus once found, each in as few requests as it takes, with the answer the fix gives.

  describe('5xx answers found by the corpus (one request each): each now a documented 4xx', () => {
    it('POST /api/v1/referrals with U+0000 in notes: 400 JSON_BAD_CHARACTER /notes, nothing stored', async () => {
      await expectRefusedUnstored(corpusReferral({ notes: 'before\u0000after' }), '/notes');
    });

    it('POST /api/v1/referrals with a lone surrogate in referrer.clinicianName: 400 JSON_BAD_CHARACTER /referrer/clinicianName, nothing stored', async () => {
      await expectRefusedUnstored(corpusReferral({ referrer: { odsCode: CORPUS_PRACTICE, clinicianName: 'Dr \ud800' } }), '/referrer/clinicianName');
    });

    it('POST /api/v1/referrals with a surrogate pair (an emoji) in notes: stored verbatim (control)', async () => {
      const referral = corpusReferral({ notes: 'pain \ud83d\ude00 at night' });
      corpusSize += 2;
      const res = await request(server).post('/api/v1/referrals').set('Authorization', bearer('gp-corpus')).send(referral);
      expectAnswer(res, 201);
      storedByCorpus++;
      const back = await request(server).get(`/api/v1/referrals/${(res.body as { id: string }).id}`).set('Authorization', bearer('triage-clinician'));
      expectAnswer(back, 200);
      expect((back.body as { referral: unknown }).referral).to.deep.equal(referral);
    });

    it('GET /api/v1/referrals with a forged cursor (one part wrong, the others as the service writes them): 400 QUERY_INVALID /cursor', async () => {
      const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const TIME = '2026-01-01T00:00:00.000Z';
      const forged: ReadonlyArray<readonly [string, unknown]> = [
        ['rank out of smallint', [1e10, TIME, NO_SUCH_REFERRAL]],
        ['rank not whole', [1.5, TIME, NO_SUCH_REFERRAL]],
        ['rank 101', [101, TIME, NO_SUCH_REFERRAL]],
        ['rank -1', [-1, TIME, NO_SUCH_REFERRAL]],
        ['rank as text', ['1', TIME, NO_SUCH_REFERRAL]],
        ['date out of the database range', [1, '-271821-04-20T00:00:00.000Z', NO_SUCH_REFERRAL]],
        ['date without milliseconds', [1, '2026-01-01T00:00:00Z', NO_SUCH_REFERRAL]],
        ['date with an offset', [1, '2026-01-01T00:00:00.000+00:00', NO_SUCH_REFERRAL]],
        ['date before 2000', [1, '1999-12-31T23:59:59.999Z', NO_SUCH_REFERRAL]],
        ['month 13', [1, '2026-13-01T00:00:00.000Z', NO_SUCH_REFERRAL]],
        ['date as a number', [1, 1_767_225_600_000, NO_SUCH_REFERRAL]],
        ['id of 36 hyphens', [1, TIME, '-'.repeat(36)]],
        ['id in upper case', [1, TIME, '3F0C6B8E-2F51-4A43-9D68-2A8F2A6C1C11']],
        ['id with SQL', [1, TIME, `${NO_SUCH_REFERRAL}' or '1'='1`]],
        ['two parts', [1, TIME]],
        ['an object', { rank: 1, receivedAt: TIME, id: NO_SUCH_REFERRAL }],
      ];
      const accepted: ReadonlyArray<readonly [string, unknown]> = [
        ['rank 0', [0, TIME, NO_SUCH_REFERRAL]],
        ['rank 100', [100, TIME, NO_SUCH_REFERRAL]],
        ['the first millisecond of 2000', [1, '2000-01-01T00:00:00.000Z', NO_SUCH_REFERRAL]],
      ];
      const failures: string[] = [];
      for (const [label, value] of [...forged, ...accepted]) {
        corpusSize++;
        const res = await request(server).get(`/api/v1/referrals?cursor=${cursor(value)}`).set('Authorization', bearer('triage-clinician'));
        try {
          if (forged.some(([forgedLabel]) => forgedLabel === label)) {
            expectAnswer(res, 400, 'QUERY_INVALID');
            expect(issuesOf(res).map((issue) => issue.path)).to.deep.equal(['/cursor']);
          } else {
            expectAnswer(res, 200);
            expect((res.body as { items: unknown }).items).to.be.an('array');
          }
        } catch (error) {
          failures.push(`${label}: ${(error as Error).message.split('\n')[0] ?? ''}`);
        }
      }
      expect(failures.length, failures.join('\n')).to.equal(0);
    });

    it('POST /api/v1/triage with a body that does not decompress (Content-Encoding gzip, deflate, br): 415, never inflated', async () => {
      const failures: string[] = [];
      const headers = (coding: string): ReadonlyArray<readonly [string, string]> => [['Authorization', bearer('triage-clinician')], ['Content-Type', 'application/json'], ['Content-Encoding', coding]];
      for (const coding of ['gzip', 'deflate', 'br']) {
        corpusSize++;
        const res = await sendRaw(serving.port, 'POST', '/api/v1/triage', headers(coding), '{}');
        try {
          expectAnswer(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
        } catch (error) {
          failures.push(`POST /api/v1/triage, Content-Encoding ${coding}, body {} (not compressed): ${(error as Error).message.split('\n')[0] ?? ''}`);
        }
      }
      const truncated = gzipSync(Buffer.from(JSON.stringify(aReferral()))).subarray(0, 40);
      corpusSize++;
      const res = await sendRaw(serving.port, 'POST', '/api/v1/triage', headers('gzip'), truncated);
      try {
        expectAnswer(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      } catch (error) {
        failures.push(`POST /api/v1/triage, a truncated gzip body: ${(error as Error).message.split('\n')[0] ?? ''}`);
      }
      expect(failures.length, failures.join('\n')).to.equal(0);
    });

    it('POST .../review with U+0000 in the reason: 400 JSON_BAD_CHARACTER /reason, and the referral still awaits review', async () => {
      const submitted = await request(server).post('/api/v1/referrals').set('Authorization', bearer('gp-corpus')).send(corpusReferral({ redFlags: { unexplainedMass: true, historyOfCancer: true } }));
      expectAnswer(submitted, 201);
      storedByCorpus++;
      corpusSize += 3;
      const id = (submitted.body as { id: string }).id;
      const before = await request(server).get(`/api/v1/referrals/${id}`).set('Authorization', bearer('triage-clinician'));
      expectAnswer(before, 200);
      const res = await request(server).post(`/api/v1/referrals/${id}/review`).set('Authorization', bearer('triage-clinician')).send({ outcome: 'confirmed', reason: 'agreed\u0000' });
      expectBadCharacter(res, '/reason');
      corpusSize++;
      const after = await request(server).get(`/api/v1/referrals/${id}`).set('Authorization', bearer('triage-clinician'));
      expectAnswer(after, 200);
      expect(after.body, 'a refused review changed the referral').to.deep.equal(before.body);
    });

    describe('in a database and registry of their own (an approval must not leak into the run)', () => {
      let own: Awaited<ReturnType<typeof freshDatabase>>;
      let app: TestApp;
      const approvals = async () => Number((await own.db.query<{ n: string }>('select count(*)::text as n from ruleset_approvals'))[0]?.n);
      const activations = async () => Number((await own.db.query<{ n: string }>('select count(*)::text as n from ruleset_activations'))[0]?.n);
      before(async () => {
        own = await freshDatabase();
        // 1.0.0 active and the 1.1.0 draft: a version to approve and activate
        app = await testApp({ db: own.db, registry: new RuleSetRegistry(version1Versions), config: { rulesetId: 'msk-triage', bodyLimitBytes: 64 * 1024, rulesDir: version1RulesDir } });
      });
      after(async () => {
        await own.dispose();
      });

      it('POST .../approvals with U+0000 in the note: 400 JSON_BAD_CHARACTER /note, no approval recorded', async () => {
        corpusSize++;
        const before = await approvals();
        const res = await app.lead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/approvals').send({ note: 'checked\u0000' });
        expectBadCharacter(res, '/note');
        expect(await approvals()).to.equal(before);
      });

      it('POST .../activate with U+0000 in the reason: 400 JSON_BAD_CHARACTER /reason, nothing activated', async () => {
        corpusSize += 2;
        expectAnswer(await app.secondLead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/approvals').send({ note: 'a second lead' }), 201);
        const before = await activations();
        const res = await app.lead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/activate').send({ reason: 'new guidance\u0000' });
        expectBadCharacter(res, '/reason');
        expect(await activations()).to.equal(before);
      });
    });

    async function expectRefusedUnstored(referral: object, pointer: string): Promise<void> {
      const before = await countReferrals();
      corpusSize++;
      const res = await request(server).post('/api/v1/referrals').set('Authorization', bearer('gp-corpus')).send(referral);
      expectBadCharacter(res, pointer);
      expect(await countReferrals()).to.equal(before);
    }
  });
});
