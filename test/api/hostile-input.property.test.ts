/**
 * Properties over generated hostile and malformed requests (bodies, headers, paths), sent to the
 * running app with a real token of each role, with no token, and with garbage tokens. Whatever
 * arrives, the answer is a 2xx or a documented 4xx: an error code of the catalogue with its status,
 * in the documented shape, listed by the OpenAPI description for the route; never a 5xx, never a
 * crash; nothing is stored; and no built-in prototype changes. Where the answer is determined by the
 * input (authentication, the JSON structure check with its bad characters, one field of the referral
 * contract, queue cursors, content codings, the Idempotency-Key and X-Request-Id rules), the exact
 * answer is checked against a model written here.
 * Requests go through supertest against the app (listening once), or, where supertest would change
 * the bytes (a Buffer body, a path with dot segments), through the raw client of hostile-corpus.ts.
 * The sum of numRuns of the HTTP properties is 5,450 (a few more requests: a body said to be in the
 * identity coding is compared with the same body sent without one); a failure prints its seed.
 *
 * Then clinical safety properties of the bundled rule set (a red flag never lowers urgency...).
 */
import type { Server } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import fc from 'fast-check';
import request, { type Response } from 'supertest';
import type { ErrorCode } from '../../src/domain/error-catalogue.js';
import { URGENCIES } from '../../src/domain/route-order.js';
import { safePointerSegment } from '../../src/schemas/schema-issues.js';
import { issuesOf } from '../support/error-shape.js';
import {
  Entries,
  RawJson,
  RouteLog,
  UUID,
  addEntryAt,
  editAt,
  expectAnswer,
  expectDocumentedForRoute,
  expectIssuesAt,
  expectPrototypesUntouched,
  expectStructureProblem,
  exampleValueAt,
  INJECTION_STRINGS,
  jsonText,
  listening,
  pointerOf,
  POLLUTION_PAYLOAD,
  sendRaw,
  referralFields,
  REFERRAL_SCHEMA,
  schemaAllows,
  snapshotPrototypes,
  structureProblemOf,
  toNode,
  UNSTORABLE_STRINGS,
  type JsonNode,
  type PrototypeSnapshot,
  type ReferralField,
  type StructureProblem,
} from '../support/hostile-corpus.js';
import { aKneeReferral, aReferral, CONTRACT_EXAMPLE, RED_FLAGS } from '../support/referral-factory.js';
import { db, registry, testApp, type TestApp } from '../support/test-app.js';

// ---------------------------------------------------------------------------------------------
// Who calls

type Who = 'anonymous' | 'garbage' | 'gp' | 'gp-other' | 'triage-clinician' | 'clinical-lead';
type Role = 'gp' | 'triage-clinician' | 'clinical-lead';
const EVERYONE: readonly Who[] = ['anonymous', 'garbage', 'gp', 'gp-other', 'triage-clinician', 'clinical-lead'];
const roleOf = (who: Who): Role | undefined => (who === 'gp-other' ? 'gp' : who === 'anonymous' || who === 'garbage' ? undefined : who);

/** The practice of the `gp-other` token: never the practice of any referral sent here, so that no valid referral is stored. */
const OTHER_PRACTICE = 'Y99999';

/** Tokens that look like tokens and are not: a GP's real token must never come out of this. */
const garbageToken = fc.oneof(
  fc.constantFrom('', 'null', 'undefined', 'msk_', 'Bearer', 'eyJhbGciOiJub25lIn0.eyJyb2xlIjoiY2xpbmljYWwtbGVhZCJ9.', 'eyJhbGciOiJub25lIn0.eyJyb2xlIjoiY2xpbmljYWwtbGVhZCJ9.x'),
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 0, maxLength: 60 }).map((s) => `msk_${s}`),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 80 }).filter((s) => !/[\r\n\0]/.test(s) && /^[\t\x20-\x7e]*$/.test(s)),
  fc.tuple(fc.base64String({ maxLength: 40 }), fc.base64String({ maxLength: 40 }), fc.base64String({ maxLength: 20 })).map((parts) => parts.map((p) => p.replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_')).join('.')),
);

// ---------------------------------------------------------------------------------------------
// Where

interface PostEndpoint {
  name: string;
  path: string;
  roles: readonly Role[];
  /** the code of a well-formed body that breaks this endpoint's contract */
  contractCode: ErrorCode;
  /** what a body this endpoint accepts gets here (these addresses never store anything) */
  accepted: readonly ErrorCode[];
}

const NO_SUCH_REFERRAL = '00000000-0000-4000-8000-00000000dead';
const NO_SUCH_VERSION = '/api/v1/rulesets/msk-triage/versions/9.9.9';

/** Every POST endpoint with a body; the rule-set ones at a version that does not exist, so that no approval or activation can happen. */
const POSTS: readonly PostEndpoint[] = [
  { name: 'triage', path: '/api/v1/triage', roles: ['gp', 'triage-clinician', 'clinical-lead'], contractCode: 'REFERRAL_INVALID', accepted: [] },
  { name: 'referrals', path: '/api/v1/referrals', roles: ['gp'], contractCode: 'REFERRAL_INVALID', accepted: ['FORBIDDEN'] },
  { name: 'review', path: `/api/v1/referrals/${NO_SUCH_REFERRAL}/review`, roles: ['triage-clinician'], contractCode: 'REVIEW_INVALID', accepted: ['REFERRAL_NOT_FOUND'] },
  { name: 'approvals', path: `${NO_SUCH_VERSION}/approvals`, roles: ['clinical-lead'], contractCode: 'REQUEST_INVALID', accepted: ['RULESET_VERSION_NOT_FOUND'] },
  { name: 'activate', path: `${NO_SUCH_VERSION}/activate`, roles: ['clinical-lead'], contractCode: 'REQUEST_INVALID', accepted: ['RULESET_VERSION_NOT_FOUND'] },
  { name: 'simulate', path: `${NO_SUCH_VERSION}/simulate`, roles: ['clinical-lead'], contractCode: 'QUERY_INVALID', accepted: ['RULESET_VERSION_NOT_FOUND'] },
];

// ---------------------------------------------------------------------------------------------
// What: hostile JSON

const hostileKey = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'then', '$where', '$gt', '', ' ', 'a', 'note', 'reason', 'from', 'outcome', 'patient', 'notes', 'sex', 'polluted') },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
);

/** A character a client may put in a header value: visible ASCII, space and obs-text (no CR, LF, NUL or DEL). */
const headerChar = fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c));

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));

const hostileString = fc.oneof(
  fc.constantFrom(...INJECTION_STRINGS.map(([, text]) => text), ...UNSTORABLE_STRINGS.map(([, text]) => text)),
  fc.constantFrom('', ' ', 'female', 'lumbar-spine', 'J82001', '9434765919', '1958-03-14', '2099-01-01', 'true', 'null', '0', 'confirmed', 'overridden', '1.0.0', '1.1.0'),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: codeUnit, maxLength: 12 }),
  fc.integer({ min: 0, max: 12_000 }).map((n) => 'a'.repeat(n)),
);

const hostileNumber = fc.oneof(
  fc.constantFrom('1e400', '-1e400', '9007199254740993', '-9007199254740993', '-0', '1E-400', '0e0', '10.0', '1.5', '-1', '2600', '2601', '68', '69', '123456789012345678901234567890').map((text) => new RawJson(text)),
  fc.integer({ min: -5, max: 3000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const hostileLeaf: fc.Arbitrary<JsonNode> = fc.oneof(fc.constant(null), fc.boolean(), hostileNumber, hostileString);

const { node: hostileNode } = fc.letrec<{ node: JsonNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileLeaf,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.array(fc.tuple(hostileKey, tie('node')), { maxLength: 4 }).map((entries) => new Entries(entries)),
    fc.constant(new Entries([['__proto__', toNode(POLLUTION_PAYLOAD)]])),
    fc.constant(new Entries([['constructor', new Entries([['prototype', toNode(POLLUTION_PAYLOAD)]])]])),
  ),
}));

// ---------------------------------------------------------------------------------------------
// The model of the structure check (hostile-corpus.ts): the first problem in the text, bad characters included

/** How an issue names a key the caller sent: the service's own rule (only a word of its vocabulary is repeated). */
const keySegment = safePointerSegment;
/** A key the service would repeat in an issue's path: the answer may contain it. */
const namedKey = (text: string) => safePointerSegment(text) !== '/(unnamed)';

const structureProblem = (node: JsonNode): StructureProblem | undefined => structureProblemOf(node, keySegment);

const isContainer = (node: JsonNode) => node !== null && typeof node === 'object' && !(node instanceof RawJson);

// ---------------------------------------------------------------------------------------------
// The model of one change to a valid referral

const FIELDS = referralFields();
const OBJECT_LEVELS: ReadonlyArray<readonly string[]> = [[], ...FIELDS.filter((field) => field.schema.type === 'object').map((field) => field.path)];

type Expected = { kind: 'structure'; problem: StructureProblem } | { kind: 'valid' } | { kind: 'invalid'; pointer: string };

/** The schema of a field by path, if the contract has one. */
const fieldAt = (path: readonly string[]): ReferralField | undefined => FIELDS.find((field) => pointerOf(field.path) === pointerOf(path));

function requiredAt(path: readonly string[]): boolean {
  if (pointerOf(path) === '/startBack') return true; // the contract example is lumbar-spine: if/then requires it
  const parent = path.length === 1 ? REFERRAL_SCHEMA : fieldAt(path.slice(0, -1))?.schema;
  return (parent?.required ?? []).includes(path.at(-1) as string);
}

type Mutation =
  | { kind: 'replace'; field: ReferralField; value: JsonNode }
  | { kind: 'add'; level: readonly string[]; key: string; value: JsonNode }
  | { kind: 'remove'; field: ReferralField };

function mutated(mutation: Mutation): { text: string; expected: Expected } {
  const example = toNode(CONTRACT_EXAMPLE);
  let tree: JsonNode;
  let expected: Expected;
  if (mutation.kind === 'remove') {
    const { path } = mutation.field;
    const present = exampleValueAt(path) !== undefined;
    tree = present
      ? editAt(example, path.slice(0, -1), (parent) => new Entries((parent as Entries).entries.filter(([key]) => key !== path.at(-1))))
      : example;
    expected = present && requiredAt(path) ? { kind: 'invalid', pointer: pointerOf(path) } : { kind: 'valid' };
  } else {
    const path = mutation.kind === 'replace' ? mutation.field.path : [...mutation.level, mutation.key];
    tree = mutation.kind === 'replace' ? editAt(example, path, () => mutation.value) : addEntryAt(example, mutation.level, mutation.key, mutation.value);
    const field = fieldAt(path);
    if (mutation.kind === 'add' && !field) expected = { kind: 'invalid', pointer: pointerOf(mutation.level) + keySegment(mutation.key) };
    else {
      const value = JSON.parse(jsonText(mutation.value)) as unknown;
      expected = field && schemaAllows(field.schema, value, exampleValueAt(path)) ? { kind: 'valid' } : { kind: 'invalid', pointer: pointerOf(path) };
    }
  }
  const problem = structureProblem(tree);
  return { text: jsonText(tree), expected: problem ? { kind: 'structure', problem } : expected };
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), field: fc.constantFrom(...FIELDS), value: hostileNode }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), level: fc.constantFrom(...OBJECT_LEVELS), key: hostileKey, value: hostileNode }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), field: fc.constantFrom(...FIELDS.filter((field) => !field.path.includes('0'))) }) },
);

// ---------------------------------------------------------------------------------------------
// The model of a queue cursor (GET /api/v1/referrals?cursor=): only what the service could have given

/** A cursor's three parts, each with whether the service could have written it. */
type Part = { value: unknown; ok: boolean };
const part = (value: unknown, ok: boolean): Part => ({ value, ok });
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** A whole rank from 0 to 100. */
const cursorRank: fc.Arbitrary<Part> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 103 }).map((n) => part(n, n >= 0 && n <= 100)) },
  { weight: 2, arbitrary: fc.constantFrom<Part>(part(0, true), part(100, true), part(-1, false), part(101, false)) },
  { weight: 1, arbitrary: fc.constantFrom<Part>(part(1.5, false), part(0.1, false), part(99.999, false), part(1e10, false), part(32_768, false),
    part(-1e10, false), part('1', false), part(null, false), part(true, false), part([1], false), part({}, false)) },
);

/**
 * A time as `YYYY-MM-DDTHH:MM:SS.sssZ`, from 2000 on: each part in its range, and half the time one
 * part just outside it (day 29 to 31 and hour 24 are left out: the calendar, not the format, decides those).
 */
const timeFault = fc.oneof(
  fc.oneof(fc.integer({ min: 0, max: 1999 }), fc.constant(1999)).map((year) => ({ year })),
  fc.constantFrom(0, 13, 99).map((month) => ({ month })),
  fc.constantFrom(0, 32, 99).map((day) => ({ day })),
  fc.constantFrom(25, 99).map((hour) => ({ hour })),
  fc.constantFrom(60, 99).map((minute) => ({ minute })),
  fc.constantFrom(60, 99).map((second) => ({ second })),
);
const cursorTime: fc.Arbitrary<Part> = fc.oneof(
  { weight: 3, arbitrary: fc.record({
    year: fc.oneof(fc.integer({ min: 2000, max: 2099 }), fc.constantFrom(2000, 9999)),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    ms: fc.integer({ min: 0, max: 999 }),
    fault: fc.option(timeFault, { nil: undefined, freq: 2 }),
  }).map(({ fault, ...valid }) => {
    const t = { ...valid, ...fault };
    return part(
      `${pad(t.year, 4)}-${pad(t.month, 2)}-${pad(t.day, 2)}T${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}.${pad(t.ms, 3)}Z`,
      t.year >= 2000 && t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= 28 && t.hour <= 23 && t.minute <= 59 && t.second <= 59,
    );
  }) },
  { weight: 1, arbitrary: fc.constantFrom<Part>(
    part('2026-01-01T00:00:00.000Z', true), part('2000-01-01T00:00:00.000Z', true), part('1999-12-31T23:59:59.999Z', false),
    part('2026-01-01T00:00:00Z', false), part('2026-01-01T00:00:00.000+00:00', false), part('2026-01-01 00:00:00.000Z', false), part('2026-01-01t00:00:00.000z', false),
    part('+002026-01-01T00:00:00.000Z', false), part('-271821-04-20T00:00:00.000Z', false), part('+275760-09-13T00:00:00.000Z', false), part('2026-1-1T00:00:00.000Z', false),
    part('2026-01-01T00:00:00.0000Z', false), part('2026-01-01', false), part('', false), part(1_767_225_600_000, false), part(null, false),
  ) },
);

/** A lowercase UUID. */
const cursorId: fc.Arbitrary<Part> = fc.oneof(
  { weight: 4, arbitrary: fc.uuid().map((id) => part(id, true)) },
  { weight: 1, arbitrary: fc.uuid().chain((id) => fc.constantFrom<Part>(
    part(id.toUpperCase(), id === id.toUpperCase()), part(id.replaceAll('-', ''), false), part(`${id}x`, false), part(` ${id}`, false), part(`${id}\n`, false), part(id.slice(1), false),
    part(`${id}' or '1'='1`, false), part('-'.repeat(36), false), part('', false), part(1, false), part(null, false),
  )) },
);

/** A cursor: three parts as the service writes them (base64url of a JSON list), or something else in its place. */
const forgedCursor: fc.Arbitrary<{ text: string; ok: boolean }> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(cursorRank, cursorTime, cursorId).map((parts) => ({ text: Buffer.from(JSON.stringify(parts.map((p) => p.value))).toString('base64url'), ok: parts.every((p) => p.ok) })) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({}, null, 'abc', [], [1, '2026-01-01T00:00:00.000Z'], 42, { rank: 1 }).map((value) => ({ text: Buffer.from(JSON.stringify(value)).toString('base64url'), ok: false })) },
  { weight: 1, arbitrary: fc.constantFrom('AAAA', 'not-a-cursor', 'WzEsMiwzXQ', '__proto__').map((text) => ({ text, ok: false })) },
);

// ---------------------------------------------------------------------------------------------

describe('hostile and malformed requests, generated', function () {
  this.timeout(180_000);

  let t: TestApp;
  let routes: RouteLog;
  let serving: Awaited<ReturnType<typeof listening>>;
  let server: Server;
  const tokens = new Map<Who, string>();
  let prototypes: PrototypeSnapshot;
  let referralsBefore: number;
  const crashes: string[] = [];
  const onUnhandled = (reason: unknown) => crashes.push(`unhandled rejection: ${String(reason)}`);
  const onUncaught = (error: Error) => crashes.push(`uncaught exception: ${error.name}`);
  const runs: Record<string, number> = {};

  const countReferrals = async () => Number((await db.query<{ n: string }>('select count(*)::text as n from referrals'))[0]?.n);

  before(async () => {
    t = await testApp();
    routes = new RouteLog(t.logLines);
    serving = await listening(t.app);
    server = serving.server;
    tokens.set('gp', (await t.gpOf('J82001')).token as string);
    tokens.set('gp-other', (await t.gpOf(OTHER_PRACTICE)).token as string);
    tokens.set('triage-clinician', t.clinician.token as string);
    tokens.set('clinical-lead', t.lead.token as string);
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtExceptionMonitor', onUncaught);
    prototypes = snapshotPrototypes();
    referralsBefore = await countReferrals();
  });

  afterEach(async () => {
    expect(crashes.length, `the process saw an unhandled error: ${crashes.join('; ')}`).to.equal(0);
    // still serving, on the same server
    expect((await request(server).get('/healthz')).status).to.equal(200);
    expectPrototypesUntouched(prototypes);
    expect(await countReferrals(), 'a hostile request stored a referral').to.equal(referralsBefore);
  });

  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtExceptionMonitor', onUncaught);
    await serving.close();
    const total = Object.values(runs).reduce((sum, n) => sum + n, 0);
    console.log(`      generated requests: ${Object.entries(runs).map(([name, n]) => `${name} ${n}`).join(', ')}; total ${total}`);
  });

  /** The Authorization header of a caller; garbage callers bring their own. */
  function authorization(who: Who, garbage = ''): string | undefined {
    if (who === 'anonymous') return undefined;
    if (who === 'garbage') return `Bearer ${garbage}`;
    return `Bearer ${tokens.get(who) as string}`;
  }

  /** JSON text only: given a Buffer, supertest would send it as {"type":"Buffer",...} (bytes go through sendRaw). */
  function post(path: string, who: Who, garbage: string, body: string, contentType = 'application/json') {
    const test = request(server).post(path).set('Content-Type', contentType);
    const auth = authorization(who, garbage);
    return (auth === undefined ? test : test.set('Authorization', auth)).send(body);
  }

  /** Before any body is read: the caller's credentials, then the caller's role. */
  function expectRefusedBeforeBody(res: Response, who: Who, endpoint: PostEndpoint): boolean {
    const role = roleOf(who);
    if (who === 'anonymous') expectAnswer(res, 401, 'AUTHENTICATION_REQUIRED');
    else if (who === 'garbage') expectAnswer(res, 401, 'TOKEN_INVALID');
    else if (!endpoint.roles.includes(role as Role)) {
      expectAnswer(res, 403, 'FORBIDDEN');
      expect(issuesOf(res)).to.deep.equal([]);
    } else return false;
    return true;
  }

  const count = (name: string, requests = 1) => {
    runs[name] = (runs[name] ?? 0) + requests;
  };

  it('answers any JSON text, at any POST endpoint, from anyone, with the exact structure error or a documented answer', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...POSTS), fc.constantFrom(...EVERYONE), garbageToken, hostileNode, async (endpoint, who, garbage, body) => {
        count('any JSON');
        const res = await post(endpoint.path, who === 'gp' && endpoint.name === 'referrals' ? 'gp-other' : who, garbage, jsonText(body));
        await expectDocumentedForRoute(res, 'POST', routes);
        if (expectRefusedBeforeBody(res, who, endpoint)) return;
        const problem = structureProblem(body);
        if (problem) expectStructureProblem(res, problem);
        else if (!isContainer(body)) expectAnswer(res, 400, 'JSON_MALFORMED'); // strict: an object or a list only
        else if (Array.isArray(body) && (endpoint.name === 'approvals' || endpoint.name === 'activate')) {
          expectAnswer(res, 400, 'REQUEST_INVALID');
          expect(issuesOf(res)).to.deep.equal([{ path: '/', message: 'must be an object' }]);
        } else if (Array.isArray(body) && endpoint.name === 'simulate') {
          expectAnswer(res, 400, 'QUERY_INVALID');
          expect(issuesOf(res).map((issue) => issue.path)).to.deep.equal(['/']);
        } else if (res.status >= 400) expect([endpoint.contractCode, ...endpoint.accepted]).to.include((res.body as { error: { code: string } }).error.code);
        else expect(endpoint.name).to.equal('triage');
        // the answer never repeats what was sent
        // (a key of the service's vocabulary may be named in an issue's path: that is by design)
        for (const [, text] of INJECTION_STRINGS) if (!namedKey(text) && jsonText(body).includes(text)) expect(res.text).to.not.include(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('answers any one change to a valid referral with the decision, or a 400 that lists exactly the changed field', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutation.filter((m) => !jsonText(m.kind === 'remove' ? null : m.value).includes(OTHER_PRACTICE)),
        fc.constantFrom<Who>('gp', 'gp-other', 'triage-clinician', 'clinical-lead'),
        fc.boolean(),
        async (change, who, toReferrals) => {
          count('referral change');
          const { text, expected } = mutated(change);
          // a GP of another practice: a valid referral is refused after validation (403), never stored
          const submit = toReferrals && roleOf(who) === 'gp';
          const res = await post(submit ? '/api/v1/referrals' : '/api/v1/triage', submit ? 'gp-other' : who, '', text);
          await expectDocumentedForRoute(res, 'POST', routes);
          if (expected.kind === 'structure') expectStructureProblem(res, expected.problem);
          else if (expected.kind === 'invalid') expectIssuesAt(res, 'REFERRAL_INVALID', expected.pointer);
          else if (submit) {
            expectAnswer(res, 403, 'FORBIDDEN');
            expect(issuesOf(res).map((issue) => issue.path)).to.deep.equal(['/referrer/odsCode']);
          } else {
            expectAnswer(res, 200);
            expect((res.body as { ruleset: { id: string } }).ruleset.id).to.equal('msk-triage');
          }
        },
      ),
      { numRuns: 1400 },
    );
  });

  it('answers any bytes, in any content type, with a documented answer: 415 unless JSON in UTF-8', async () => {
    const jsonTypes = ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/json;charset="UTF-8"', 'application/json ; charset=UTF-8'];
    const otherTypes = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/json; charset=utf-16',
      'application/json; charset=iso-8859-1', 'application/xml', 'application/merge-patch+json', 'text/json', 'application/octet-stream', 'application/json; charset=nonsense'];
    const valid = Buffer.from(JSON.stringify(aReferral()));
    /** A valid referral's bytes, with a few bytes replaced, inserted or removed. */
    const corrupted = fc
      .array(fc.tuple(fc.nat({ max: valid.length }), fc.integer({ min: 0, max: 255 }), fc.constantFrom('replace', 'insert', 'delete')), { minLength: 1, maxLength: 4 })
      .map((edits) => {
        const bytes = [...valid];
        for (const [at, byte, how] of edits) {
          if (how === 'replace') bytes[Math.min(at, bytes.length - 1)] = byte;
          else if (how === 'insert') bytes.splice(at, 0, byte);
          else bytes.splice(at, 1);
        }
        return Buffer.from(bytes);
      });
    const bytes = fc.oneof(corrupted, fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8')));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...POSTS), bytes, fc.oneof(fc.constantFrom(...jsonTypes), fc.constantFrom(...otherTypes)), async (endpoint, body, contentType) => {
        count('bytes');
        const who = endpoint.roles[0] === 'gp' ? 'gp-other' : (endpoint.roles[0] as Who);
        const res = await sendRaw(serving.port, 'POST', endpoint.path, [['Authorization', authorization(who) as string], ['Content-Type', contentType]], body);
        await expectDocumentedForRoute(res, 'POST', routes);
        if (otherTypes.includes(contentType)) expectAnswer(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
        else expect(res.status).to.not.equal(415);
      }),
      { numRuns: 600 },
    );
  });

  it('authenticates exactly `Bearer <token>` (the scheme in any case), and echoes X-Request-Id only when it is a UUID', async () => {
    const ows = (text: string) => text.replace(/^[ \t]+|[ \t]+$/g, ''); // what HTTP strips around a header value
    // what a client may put in a header value: visible ASCII, space and obs-text (no CR, LF, NUL or DEL)
    const headerText = fc.string({ unit: headerChar, maxLength: 80 });
    /**
     * Authorization headers made from the clinician's real token. Generated as a label and a maker, so
     * that a counterexample names the variant and never prints the token.
     */
    type Variant = { label: string; make: (token: string) => string | undefined };
    const variant = (label: string, make: Variant['make']): Variant => ({ label, make });
    const authorizationHeader: fc.Arbitrary<Variant> = fc.oneof(
      fc.constantFrom(
        variant('exact', (k) => `Bearer ${k}`), variant('spaces around', (k) => `Bearer   ${k}   `), variant('leading spaces', (k) => `  Bearer ${k}`), variant('trailing space', (k) => `Bearer ${k} `),
        variant('lower-case scheme', (k) => `bearer ${k}`), variant('upper-case scheme', (k) => `BEARER ${k}`),
        variant('tab', (k) => `Bearer\t${k}`), variant('one more character', (k) => `Bearer ${k}x`), variant('one less character', (k) => `Bearer ${k.slice(0, -1)}`),
        variant('twice', (k) => `Bearer ${k}, Bearer ${k}`), variant('then a word', (k) => `Bearer ${k} x`), variant('Basic', (k) => `Basic ${Buffer.from(`u:${k}`).toString('base64')}`),
        variant('Token scheme', (k) => `Token ${k}`), variant('no scheme', (k) => k), variant('Bearer=', (k) => `Bearer=${k}`), variant('padding', (k) => `Bearer ${k}=`), variant('quoted', (k) => `Bearer "${k}"`),
        variant('no header', () => undefined), variant('Bearer alone', () => 'Bearer'), variant('Bearer and a space', () => 'Bearer '), variant('Bearer  x', () => 'Bearer  x'), variant('no-break spaces', () => ' \u00a0\t\u00a0 '),
        variant('10 KB token', () => `Bearer ${'a'.repeat(10_240)}`), variant('msk_ 42', () => `Bearer msk_${'A'.repeat(42)}`), variant('msk_ 44', () => `Bearer msk_${'A'.repeat(44)}`),
        variant('JWT alg none', () => 'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImNsaW5pY2FsLWxlYWQifQ.'),
        variant('JWT alg none, signed', () => 'Bearer eyJhbGciOiJub25lIn0.eyJyb2xlIjoiZ3AifQ.e30'),
      ),
      fc.tuple(fc.nat({ max: 46 }), fc.constantFrom(...'Aa0_-.~+/=')).map(([at, c]) =>
        variant(`character ${at} changed to ${c}`, (k) => `Bearer ${k.slice(0, at)}${c === k[at] ? 'Z' : c}${k.slice(at + 1)}`)),
      headerText.map((text) => variant(`text ${JSON.stringify(text)}`, () => text)),
    );
    const requestId = fc.oneof(fc.constant(undefined), headerText, fc.stringMatching(/^[A-Za-z0-9._:-]{1,64}$/), fc.uuid(), fc.uuid().map((id) => id.toUpperCase()), fc.uuid().map((id) => ` ${id}`), fc.constantFrom('abc%0d%0aSet-Cookie:%20x=1', '<script>', 'a'.repeat(65), 'a'.repeat(4_000), 'ok id', ' padded '));
    // (with the 10 KB token, a 10,000-character X-Request-Id passes Node's 16 KiB header limit: that case is in hostile-corpus.test.ts)
    const clinician = tokens.get('triage-clinician') as string;
    await fc.assert(
      fc.asyncProperty(authorizationHeader, requestId, async (how, offered) => {
        count('headers: authorization, request id');
        const auth = how.make(clinician);
        let test = request(server).get('/api/v1/rulesets');
        if (auth !== undefined) test = test.set('Authorization', auth);
        if (offered !== undefined) test = test.set('X-Request-Id', offered);
        const res = await test;
        await expectDocumentedForRoute(res, 'GET', routes);
        const presented = auth === undefined ? undefined : ows(auth);
        if (presented === undefined || presented === '') expectAnswer(res, 401, 'AUTHENTICATION_REQUIRED');
        else if (/^bearer +(.*?) *$/i.exec(presented)?.[1] === clinician) expectAnswer(res, 200); // the scheme in any case (RFC 7235), the token exactly
        else if (presented.trim() === '') expectAnswer(res, 401, 'AUTHENTICATION_REQUIRED'); // only white space (a no-break space is white space too)
        else expectAnswer(res, 401, 'TOKEN_INVALID');
        // the request id: the caller's when it is a UUID (in lower case), else a new UUID, never the offered text
        const id = res.headers['x-request-id'] as string;
        const uuid = offered !== undefined && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ows(offered));
        if (uuid) expect(id).to.equal(ows(offered).toLowerCase());
        else {
          expect(id).to.match(UUID);
          if (offered !== undefined && ows(offered).length > 8) expect(JSON.stringify(res.headers) + res.text).to.not.include(ows(offered));
        }
        if (res.status >= 400) expect((res.body as { error: { requestId: string } }).error.requestId).to.equal(id);
        // a token is never repeated in an answer
        expect(res.text.includes(clinician), 'the token is repeated in the answer').to.equal(false);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses any Idempotency-Key that is not 1 to 255 visible ASCII characters, before anything else of the referral', async () => {
    const keyText = fc.oneof(
      fc.string({ unit: headerChar, maxLength: 300 }),
      fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 300 }),
      fc.constantFrom('', ' ', 'a b', 'k'.repeat(255), 'k'.repeat(256), 'k'.repeat(10_000), 'clé', '\u00a0', 'key\t'),
    );
    await fc.assert(
      fc.asyncProperty(keyText, fc.boolean(), async (key, validBody) => {
        count('headers: idempotency key');
        const body = validBody ? JSON.stringify(aReferral()) : '{"patient":1}';
        const res = await request(server).post('/api/v1/referrals').set('Authorization', `Bearer ${tokens.get('gp-other') as string}`).set('Idempotency-Key', key).set('Content-Type', 'application/json').send(body);
        await expectDocumentedForRoute(res, 'POST', routes);
        const received = key.replace(/^[ \t]+|[ \t]+$/g, '');
        if (!/^[\x21-\x7e]{1,255}$/.test(received)) {
          expectAnswer(res, 400, 'IDEMPOTENCY_KEY_INVALID');
          if (received.length > 3) expect(JSON.stringify(res.headers) + res.text).to.not.include(received);
        } else if (validBody) expectAnswer(res, 403, 'FORBIDDEN');
        else expectIssuesAt(res, 'REFERRAL_INVALID', '/');
      }),
      { numRuns: 400 },
    );
  });

  it('answers any method at any hostile path with what the OpenAPI description lists for the route it matched', async () => {
    const segment = fc.oneof(
      fc.uuid().map((id) => id),
      fc.constantFrom('..', '.', '%2e%2e', '%2E%2E%2F', '..%2f..%2f', '%2f', '%00', '%ZZ', '%', '%E2%9C', '%C0%AF', '%F0%9F%92%A9', '~', ';x', '*', '%20', '+', 'msk-triage', '1.0.0', 'versions', 'review', 'audit', 'replay'),
      fc.string({ unit: fc.constantFrom(...'abcXYZ019-._~!$&\'()*+,;=:@%'), maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 8 }).map((s) => encodeURIComponent(s)),
      fc.integer({ min: 100, max: 4000 }).map((n) => 'a'.repeat(n)),
      fc.constant(`${NO_SUCH_REFERRAL}%00`),
    );
    const templates: ReadonlyArray<(a: string, b: string) => string> = [
      (a) => `/api/v1/referrals/${a}`,
      (a, b) => `/api/v1/referrals/${a}/${b}`,
      (a) => `/api/v1/referrals/${a}/review`,
      (a) => `/api/v1/referrals/${a}/audit`,
      (a) => `/api/v1/referrals/${a}/replay`,
      (a, b) => `/api/v1/rulesets/${a}/versions/${b}`,
      (a, b) => `/api/v1/rulesets/${a}/versions/${b}/approvals`,
      (a, b) => `/api/v1/rulesets/${a}/versions/${b}/activate`,
      (a, b) => `/api/v1/rulesets/${a}/versions/${b}/simulate`,
      (a) => `/api/v1/${a}`,
      (a, b) => `/api/v1/triage/${a}${b}`,
      (a) => `/api/${a}/v1/triage`,
      (a, b) => `/${a}/${b}`,
      () => '/api/v1/triage',
      () => '/api/v1/referrals',
      () => '/api/v1/rulesets',
      () => '/API/V1/RULESETS/',
      () => '//api//v1//referrals',
    ];
    const query = fc.oneof(
      fc.constant(''),
      fc.constantFrom('?version=1.1.0', '?version=%ZZ', '?version=1.0.0&version=1.1.0', '?version[]=1', '?__proto__[polluted]=1', '?constructor[prototype][polluted]=1', '?status=routed&limit=0x10',
        '?limit=1e2', '?cursor=%ZZ', '?cursor=', '?a=%00&b=%ZZ', `?${'x'.repeat(3000)}=1`),
      fc.string({ unit: fc.constantFrom(...'abc=&%[]._-019'), maxLength: 30 }).map((q) => `?${q}`),
      forgedCursor.map((cursor) => `?cursor=${cursor.text}`),
    );
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE'] as const;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...templates), segment, segment, query, fc.constantFrom(...methods), fc.constantFrom(...EVERYONE), garbageToken, async (template, a, b, q, method, who, garbage) => {
        count('paths');
        const path = template(a, b) + q;
        const auth = authorization(who, garbage);
        const headers: Array<readonly [string, string]> = auth === undefined ? [] : [['Authorization', auth]];
        const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? '{}' : undefined;
        if (body !== undefined) headers.push(['Content-Type', 'application/json']);
        const res = await sendRaw(serving.port, method, path, headers, body);
        await expectDocumentedForRoute(res, method, routes);
        if (who === 'anonymous' && path.startsWith('/api/v1/')) expect(res.status).to.equal(401);
        if (who === 'garbage' && path.startsWith('/api/v1/')) expect(res.status).to.equal(401);
      }),
      { numRuns: 850 },
    );
  });

  it('pages the queue only from a cursor the service could have given: any other cursor is 400 QUERY_INVALID /cursor', async () => {
    // A triage clinician's queue, and a GP's own practice's list: the same cursors are the service's own.
    const queue: PostEndpoint = { name: 'queue', path: '/api/v1/referrals', roles: ['triage-clinician', 'gp'], contractCode: 'QUERY_INVALID', accepted: [] };
    const who = fc.oneof({ weight: 5, arbitrary: fc.constant<Who>('triage-clinician') }, { weight: 1, arbitrary: fc.constantFrom(...EVERYONE) });
    await fc.assert(
      fc.asyncProperty(forgedCursor, who, garbageToken, fc.constantFrom('', '&limit=1', '&status=routed'), async (cursor, caller, garbage, more) => {
        count('queue cursors');
        const auth = authorization(caller, garbage);
        const res = await sendRaw(serving.port, 'GET', `/api/v1/referrals?cursor=${cursor.text}${more}`, auth === undefined ? [] : [['Authorization', auth]]);
        await expectDocumentedForRoute(res, 'GET', routes);
        if (expectRefusedBeforeBody(res, caller, queue)) return;
        if (cursor.ok) {
          expectAnswer(res, 200);
          expect((res.body as { items: unknown }).items).to.be.an('array');
        } else {
          expectAnswer(res, 400, 'QUERY_INVALID');
          expect(issuesOf(res).map((issue) => issue.path)).to.deep.equal(['/cursor']);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('answers any nesting and width, anywhere in a request, with exactly the first structure error in the text', async () => {
    /** A chain of `depth` containers, the innermost holding `width` items, the outermost placed at one field of a valid body. */
    const nested = fc.record({ depth: fc.integer({ min: 1, max: 40 }), width: fc.integer({ min: 0, max: 160 }), objects: fc.boolean(), duplicate: fc.boolean() }).map(({ depth, width, objects, duplicate }) => {
      let node: JsonNode = objects
        ? new Entries(Array.from({ length: width }, (_, i) => [duplicate && i === width - 1 && i > 0 ? 'k0' : `k${i}`, i] as const))
        : Array.from({ length: width }, (_, i) => i);
      for (let level = 1; level < depth; level++) node = objects ? new Entries([['x', node]]) : [node];
      return node;
    });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...POSTS), nested, fc.constantFrom<readonly string[]>([], ['patient'], ['redFlags', 'nightPain'], ['note'], ['reason'], ['from'], ['inflammatory', 'axialSpaFeatures', '0']), async (endpoint, node, at) => {
        count('nesting and width');
        const tree = at.length === 0 ? node : editAt(endpoint.contractCode === 'REFERRAL_INVALID' ? toNode(CONTRACT_EXAMPLE) : new Entries([]), at, () => node);
        const who = endpoint.roles[0] === 'gp' ? 'gp-other' : (endpoint.roles[0] as Who);
        const res = await post(endpoint.path, who, '', jsonText(tree));
        await expectDocumentedForRoute(res, 'POST', routes);
        const problem = structureProblem(tree);
        if (problem) expectStructureProblem(res, problem);
        else expect(res.status).to.be.below(500);
      }),
      { numRuns: 250 },
    );
  });

  it('refuses any body with a content coding but identity, compressed or not, bombs included, with 415 (after the caller and the role)', async () => {
    // Compressed bodies are never inflated (json-body.ts: inflate false): a coding is refused before a byte of the body is read.
    // A Map, not an object: a generated coding such as `__proto__` or `constructor` must find no compressor.
    const compressors = new Map<string, (bytes: Buffer) => Buffer>([['gzip', gzipSync], ['x-gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync]]);
    const coding = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'x-gzip', 'GZIP', 'Br', 'compress', 'x-compress', 'zstd', 'identity, gzip', 'gzip, identity', 'gzip, gzip', 'chunked', 'utf-8', '*', 'identity;q=1', 'identify', '__proto__', 'constructor') },
      { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/).filter((text) => text.toLowerCase() !== 'identity') },
      { weight: 1, arbitrary: fc.constantFrom('identity', 'Identity', 'IDENTITY') },
    );
    /** Mostly a caller the endpoint admits (the coding is looked at only then), sometimes anyone. */
    const endpointAndCaller = fc.constantFrom(...POSTS).chain((endpoint) => fc.tuple(fc.constant(endpoint), fc.oneof({ weight: 3, arbitrary: fc.constantFrom<Who>(...endpoint.roles) }, { weight: 1, arbitrary: fc.constantFrom(...EVERYONE) })));
    /** The body as the coding would have it (when the coding is one zlib writes), or as plain text; sometimes a bomb that inflates to 1 MiB. */
    const payload = fc.record({ node: hostileNode, compress: fc.boolean(), bomb: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(endpointAndCaller, garbageToken, coding, payload, async ([endpoint, who], garbage, contentCoding, { node, compress, bomb }) => {
        const caller = who === 'gp' && endpoint.name === 'referrals' ? 'gp-other' : who;
        const auth = authorization(caller, garbage);
        const compressor = compressors.get(contentCoding.toLowerCase());
        // a bomb only where it can be compressed (1 MiB sent as it is would be cut short by the early answer)
        const text = bomb && compressor ? jsonText(new Entries([['notes', 'a'.repeat(1024 * 1024)]])) : jsonText(node);
        const bytes = compressor && (compress || bomb) ? compressor(Buffer.from(text)) : Buffer.from(text);
        const headers: Array<readonly [string, string]> = [['Content-Type', 'application/json'], ['Content-Encoding', contentCoding]];
        if (auth !== undefined) headers.push(['Authorization', auth]);
        count('content codings');
        const res = await sendRaw(serving.port, 'POST', endpoint.path, headers, bytes);
        await expectDocumentedForRoute(res, 'POST', routes);
        if (expectRefusedBeforeBody(res, who, endpoint)) return;
        if (contentCoding.toLowerCase() !== 'identity') {
          expectAnswer(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
          expect(issuesOf(res)).to.deep.equal([]);
          return;
        }
        // identity is no coding at all: the answer is the answer to the same bytes sent with no Content-Encoding
        count('content codings');
        const plain = await sendRaw(serving.port, 'POST', endpoint.path, headers.filter(([name]) => name !== 'Content-Encoding'), bytes);
        await expectDocumentedForRoute(plain, 'POST', routes);
        expect(res.status).to.equal(plain.status);
        expect(res.status).to.not.equal(415);
        if (plain.status >= 400) expect((res.body as { error: { code: string } }).error.code).to.equal((plain.body as { error: { code: string } }).error.code);
      }),
      { numRuns: 150 },
    );
  });
});

describe('clinical safety properties of the active rule set, msk-triage 2.0.0', () => {
  const ruleSet = registry.active('msk-triage');
  if (ruleSet?.version !== '2.0.0') throw new Error('msk-triage 2.0.0 is not the active rule set');
  const rank = (urgency: (typeof URGENCIES)[number]) => URGENCIES.indexOf(urgency);

  const clinicalReferral = fc
    .record({
      lumbar: fc.boolean(),
      bodySite: fc.constantFrom('cervical-spine', 'thoracic-spine', 'shoulder', 'elbow', 'wrist-hand', 'hip', 'knee', 'ankle-foot', 'multiple-joints'),
      onset: fc.constantFrom('gradual', 'sudden', 'injury'),
      durationWeeks: fc.integer({ min: 0, max: 200 }),
      careWeeks: fc.integer({ min: 0, max: 60 }),
      dateOfBirth: fc.constantFrom('1940-05-01', '1966-11-22', '1976-11-23', '1990-01-01', '2004-07-07'),
      flags: fc.subarray([...RED_FLAGS]),
      swollen: fc.integer({ min: 0, max: 5 }),
    })
    .map((r) => {
      const patch = {
        complaint: { onset: r.onset, durationWeeks: r.durationWeeks },
        patient: { dateOfBirth: r.dateOfBirth },
        history: { nonSurgicalCareWeeks: r.careWeeks },
        redFlags: Object.fromEntries(r.flags.map((f) => [f, true])),
        inflammatory: { swollenJointCount: r.swollen },
      };
      return r.lumbar ? aReferral(patch) : aKneeReferral({ ...patch, complaint: { ...patch.complaint, bodySite: r.bodySite } });
    });

  it('never lowers the urgency when a red flag is added', async () => {
    await fc.assert(
      fc.asyncProperty(clinicalReferral, fc.constantFrom(...RED_FLAGS), async (referral, flag) => {
        const before = await ruleSet.evaluate(referral, '2026-11-22');
        const after = await ruleSet.evaluate({ ...referral, redFlags: { ...referral.redFlags, [flag]: true } }, '2026-11-22');
        expect(rank(after.urgency)).to.be.at.most(rank(before.urgency));
      }),
      { numRuns: 400 },
    );
  });

  it('never routes on bmi or smoker', async () => {
    await fc.assert(
      fc.asyncProperty(clinicalReferral, fc.double({ min: 10, max: 100, noNaN: true }), fc.boolean(), async (referral, bmi, smoker) => {
        const without = await ruleSet.evaluate(referral, '2026-11-22');
        const withThem = await ruleSet.evaluate({ ...referral, bmi, smoker }, '2026-11-22');
        expect(withThem).to.deep.equal(without);
      }),
      { numRuns: 200 },
    );
  });

  it('gives every valid referral a route from a rule (2.0.0 has no gaps)', async () => {
    await fc.assert(
      fc.asyncProperty(clinicalReferral, async (referral) => {
        expect((await ruleSet.evaluate(referral, '2026-11-22')).outcome).to.equal('rule');
      }),
      { numRuns: 300 },
    );
  });
});
