/**
 * No patient data in logs, error answers or the process's output. 1,000 canary patients (see
 * test/support/canary-patients.ts), each with its own NHS number, date of birth, clinician name,
 * notes and external reference, go through every success path, every error path and every
 * authentication and authorisation failure, each request tagged with a request id of ours. Then
 * none of their identifying values may appear in:
 * - any log line, as written (after the logger's redaction backstop) and as the code handed it to
 *   the logger (before the backstop: the code must not rely on it);
 * - any answer's headers, or any answer's body but the two reads that exist to return the referral
 *   (those are the positive control: the scanner must find the canary there);
 * - anything written to stdout or stderr while the traffic runs.
 * The scanner, the output interception and the logger's backstop are themselves tested first, so
 * that a scanner that finds nothing because it is broken fails.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import request, { type Response, type Test } from 'supertest';
import type { AppDeps } from '../../src/app.js';
import { issueToken, revokeToken } from '../../src/auth/api-tokens.js';
import type { Referral } from '../../src/generated/referral.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import type { Database, Queryable } from '../../src/store/database.js';
import { caller } from '../support/callers.js';
import {
  CanaryScanner,
  canaryPatients,
  canaryReferral,
  canaryText,
  dashedNhs,
  spacedNhs,
  ukDate,
  type CanaryField,
  type CanaryPatient,
  type Leak,
} from '../support/canary-patients.js';
import { capturingLogger, db, activeVersion, registry, testApp, type TestApp } from '../support/test-app.js';

const CANARIES = 1000;
/** Canaries 0 … LIFECYCLE-1 each go through a whole referral's life; the rest through one error path each. */
const LIFECYCLE = 180;
const BATCH = 20;
const FIELDS: readonly CanaryField[] = ['nhsNumber', 'dateOfBirth', 'clinicianName', 'notes', 'externalReference'];

const canaries = canaryPatients(CANARIES);
const scanner = new CanaryScanner(canaries);

// ---------------------------------------------------------------------------------------------
// The paths, each with the statuses its requests must get. `echo`: the answer is the referral
// itself (a read by someone allowed to read it), so its body must hold the canary's values.
// ---------------------------------------------------------------------------------------------
interface PathSpec {
  status: readonly number[];
  echo?: boolean;
  /** statuses at least one of its requests must get */
  mustSee?: readonly number[];
}

const PATHS = {
  // success paths, and the referral's life (canaries 0 … 179)
  'triage as a GP': { status: [200] },
  'triage as a triage clinician': { status: [200] },
  'triage as a clinical lead': { status: [200] },
  'submit as the GP, with an Idempotency-Key (201)': { status: [201] },
  'idempotent replay of the submission (201, Idempotency-Replayed)': { status: [201] },
  'Idempotency-Key reused with another body (422)': { status: [422] },
  'read as the referring GP': { status: [200], echo: true },
  'read as a triage clinician': { status: [200], echo: true },
  'GP of another practice reads the referral (404)': { status: [404] },
  'wrong role: a clinical lead reads a referral (403)': { status: [403] },
  'wrong role: a GP reviews, with a reason naming the patient (403)': { status: [403] },
  'wrong role: a GP reads the audit trail (403)': { status: [403] },
  'wrong role: a GP replays (403)': { status: [403] },
  'wrong role: a triage clinician submits (403)': { status: [403] },
  'wrong role: a clinical lead submits (403)': { status: [403] },
  'wrong role: a clinical lead reads the queue, with patient values in the query (403)': { status: [403] },
  "a GP lists the practice's referrals, with patient values in the query (400)": { status: [400] },
  'review: confirm, with a note naming the patient': { status: [201] },
  'review: override, with a reason naming the patient': { status: [201] },
  'second review (409)': { status: [409] },
  'review queue': { status: [200] },
  'audit trail': { status: [200] },
  'replay': { status: [200] },
  // invalid input (400, 413, 415, 405, 404)
  'referral invalid: NHS number and date of birth swapped': { status: [400] },
  'referral invalid: patient values in coded fields': { status: [400] },
  'referral invalid: patient values in numbers and flags': { status: [400] },
  'referral invalid: NHS number with a wrong check digit': { status: [400] },
  'referral invalid: date of birth written DD/MM/YYYY': { status: [400] },
  'referral invalid: notes longer than 4,000 characters': { status: [400] },
  'referral invalid, submitted by a GP': { status: [400] },
  'unknown field named after the NHS number': { status: [400] },
  'unknown field named after the date of birth': { status: [400] },
  'unknown field named after the clinician': { status: [400] },
  'unknown field named after the patient’s family name': { status: [400] },
  'unknown field named after the external reference': { status: [400] },
  'unknown fields named after patient values, inside patient and referrer': { status: [400] },
  'review invalid: patient values in its fields and an unknown field named after the patient': { status: [400] },
  'review of an unknown referral, with a reason naming the patient (404)': { status: [404] },
  'malformed JSON: the referral cut short': { status: [400] },
  'malformed JSON: unquoted patient values': { status: [400] },
  'duplicate key: notes twice': { status: [400] },
  'duplicate key named after the patient': { status: [400] },
  'JSON too deep, holding patient values': { status: [400] },
  'JSON too wide, under a key named after the external reference': { status: [400] },
  'body too large (413)': { status: [413] },
  'referral sent as text/plain (415)': { status: [415] },
  'referral sent as UTF-16 (415)': { status: [415] },
  'PUT of a referral (405)': { status: [405] },
  'unknown address with patient values in the path (404)': { status: [404] },
  'version query holding the NHS number (400)': { status: [400] },
  'queue query holding patient values (400)': { status: [400] },
  'malformed percent-encoding around the NHS number (400)': { status: [400] },
  'referral id that is an NHS number (404)': { status: [404] },
  'rule set id and version named after the patient (404)': { status: [404] },
  'Idempotency-Key that is the clinician’s name (400)': { status: [400] },
  'concurrent submissions with one Idempotency-Key (201 or 409)': { status: [201, 409] },
  // failures of the service (500, 202 manual triage, 409, 503)
  'evaluation failure whose error names the patient (500)': { status: [500] },
  'evaluation failure whose error message has several lines (500)': { status: [500] },
  'submission when evaluation fails: manual triage (202)': { status: [202] },
  'confirming a referral that has no route (409)': { status: [409] },
  'database unavailable, its error holding the referral (503)': { status: [503] },
  'unexpected database error holding the referral (500)': { status: [500] },
  'unexpected error whose message has several lines (500)': { status: [500] },
  // authentication and authorisation
  'no token (401)': { status: [401] },
  'no token, patient values in the path (401)': { status: [401] },
  'garbage token: the NHS number (401)': { status: [401] },
  'garbage token shaped like a service token, carrying patient values (401)': { status: [401] },
  'garbage JWT carrying the patient (401)': { status: [401] },
  'another scheme, credentials naming the patient (401)': { status: [401] },
  'revoked token (401)': { status: [401] },
  'expired token (401)': { status: [401] },
  'GP submits for another practice (403)': { status: [403] },
  'rate limit per address (429)': { status: [200, 401, 429], mustSee: [429] },
  'rate limit per caller (429)': { status: [200, 429], mustSee: [429] },
} as const satisfies Record<string, PathSpec>;

type PathName = keyof typeof PATHS;
const specOf = (path: PathName): PathSpec => PATHS[path];

// ---------------------------------------------------------------------------------------------
// Apps whose logger hands every line to us twice: as written, and as the code gave it to the
// logger, before the redaction backstop.
// ---------------------------------------------------------------------------------------------
interface RawEntry {
  requestId: string | undefined;
  text: string;
}

interface ObservedApp extends TestApp {
  name: string;
  /** the formatted lines, as the service would write them */
  logLines: string[];
  /** what the code handed to the logger, before any format ran */
  rawEntries: RawEntry[];
}

const observed: ObservedApp[] = [];

async function observedApp(name: string, overrides: Partial<AppDeps> = {}): Promise<ObservedApp> {
  const { logger, lines } = capturingLogger();
  const rawEntries: RawEntry[] = [];
  const write = logger.write.bind(logger) as (...args: unknown[]) => boolean;
  logger.write = ((info: unknown, ...rest: unknown[]) => {
    // The request's id as the code handed it over: every line logged while answering names its request.
    rawEntries.push({ requestId: (info as { requestId?: string }).requestId, text: JSON.stringify(info) });
    return write(info, ...rest);
  }) as typeof logger.write;
  const app: ObservedApp = { ...(await testApp({ logger, ...overrides })), name, logLines: lines, rawEntries };
  observed.push(app);
  return app;
}

/** A rule set whose evaluation throws an error naming the patient, as a careless fact could. */
class PatientNamingRuleSet extends CompiledRuleSet {
  multiline = false;
  override evaluate(referral: Referral): never {
    const values = `${referral.patient.nhsNumber} born ${referral.patient.dateOfBirth} for ${referral.referrer.clinicianName ?? ''} ref ${referral.externalReference ?? ''}`;
    const notes = referral.notes ?? '';
    throw new TypeError(this.multiline ? `cannot evaluate ${values}\n${notes}` : `cannot evaluate ${values}: ${notes.replaceAll('\n', ' ')}`);
  }
}

function namingRegistry(multiline: boolean): RuleSetRegistry {
  const base = activeVersion;
  const compiled = new PatientNamingRuleSet(base.compiled.document);
  compiled.multiline = multiline;
  return new RuleSetRegistry([{ ...base, compiled }]);
}

/** The run's database, but inserting a referral fails with an error that repeats the insert's values. */
function failingReferralInserts(real: Database, failure: (values: string) => Error): Database {
  return {
    ...real,
    transaction: <T>(work: (tx: Queryable) => Promise<T>) =>
      real.transaction((tx) =>
        work({
          ...tx,
          query: <R>(sql: string, params?: readonly unknown[]) =>
            /insert into referrals/i.test(sql) ? Promise.reject(failure(JSON.stringify(params))) : tx.query<R>(sql, params),
        }),
      ),
  };
}

// ---------------------------------------------------------------------------------------------
// What was sent and answered
// ---------------------------------------------------------------------------------------------
interface Exchange {
  path: PathName;
  canary: CanaryPatient;
  requestId: string;
  status: number;
  errorCode: string | undefined;
  body: string;
  headers: string;
  problem?: string;
}

const exchanges: Exchange[] = [];
/** Time spent waiting for each path's answers, for LOG_CANARY_TIMINGS. */
const pathMs: Partial<Record<PathName, number>> = {};
let sequence = 0;

async function exchange(path: PathName, canary: CanaryPatient, test: Test, check?: (res: Response) => string | undefined): Promise<Response> {
  // a UUID, the only request id the service takes from a caller: the exchange's log lines carry it
  const requestId = `00000000-0000-4000-8000-${(sequence++).toString(16).padStart(12, '0')}`;
  const sent = performance.now();
  const res = await test.set('X-Request-Id', requestId);
  pathMs[path] = (pathMs[path] ?? 0) + performance.now() - sent;
  const body = res.text ?? '';
  const errorCode = (res.body as { error?: { code?: string } } | undefined)?.error?.code;
  const headers = Object.entries(res.headers as Record<string, string | string[]>)
    .map(([name, value]) => `${name}: ${String(value)}`)
    .join('\n');
  const problem = check?.(res);
  exchanges.push({ path, canary, requestId, status: res.status, errorCode, body, headers, ...(problem ? { problem } : {}) });
  return res;
}

/** Runs `work` for each item, `BATCH` at a time. */
async function inBatches<T>(items: readonly T[], work: (item: T, position: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += BATCH) await Promise.all(items.slice(i, i + BATCH).map((item, j) => work(item, i + j)));
}

// ---------------------------------------------------------------------------------------------
// stdout and stderr while the traffic runs: every write is kept; one holding a canary value is
// kept but not passed on to the terminal.
// ---------------------------------------------------------------------------------------------
function captureProcessOutput(options: { quiet?: boolean } = {}): { chunks: string[]; restore: () => void } {
  const chunks: string[] = [];
  const restores = [process.stdout, process.stderr].map((stream) => {
    const own = Object.getOwnPropertyDescriptor(stream, 'write');
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = (chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      chunks.push(text);
      if (options.quiet) return true;
      const shown = scanner.scan(text).length === 0 ? chunk : '[log-canary: a write holding canary values was held back]\n';
      return original(shown, ...rest);
    };
    return () => (own ? Object.defineProperty(stream, 'write', own) : Reflect.deleteProperty(stream, 'write'));
  });
  return { chunks, restore: () => restores.forEach((restore) => restore()) };
}

/** Leaks, summarised without the values themselves: "where field/form" → how many. */
function summarise(found: readonly { where: string; leak: Leak }[]): Record<string, number> {
  const summary: Record<string, number> = {};
  for (const { where, leak } of found) {
    const key = `${where}: ${leak.field}/${leak.form}`;
    summary[key] = (summary[key] ?? 0) + 1;
  }
  return summary;
}

const jsonOf = (text: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('patient data never reaches the logs, error answers or process output (1,000 canary patients)', () => {
  describe('the scanner, so that a broken one fails', () => {
    it('finds every canary’s every value, in every form, inside JSON, URLs and other cases', () => {
      const missed: string[] = [];
      for (const c of canaries) {
        const forms: [CanaryField, string][] = [
          ['nhsNumber', c.nhsNumber],
          ['nhsNumber', spacedNhs(c.nhsNumber)],
          ['nhsNumber', dashedNhs(c.nhsNumber)],
          ['nhsNumber', `nhs${c.nhsNumber}x`],
          ['dateOfBirth', c.dateOfBirth],
          ['dateOfBirth', ukDate(c.dateOfBirth)],
          ['clinicianName', c.clinicianName],
          ['clinicianName', c.clinicianName.toUpperCase()],
          ['clinicianName', encodeURIComponent(c.clinicianName)],
          ['notes', c.notes],
          ['notes', c.familyName.toLowerCase()],
          ['externalReference', c.externalReference],
        ];
        for (const [field, value] of forms) {
          const line = JSON.stringify({ level: 'info', message: 'request', path: `/x/${value}/y`, text: `said ${value}.` });
          const found = scanner.scan(line).filter((leak) => leak.field === field);
          if (found.length === 0) missed.push(`canary ${c.index} ${field}`);
          if (['nhsNumber', 'dateOfBirth'].includes(field) && !found.every((leak) => leak.canary === c.index)) missed.push(`canary ${c.index} ${field}: wrong canary`);
        }
      }
      expect(missed).to.deep.equal([]);
    });

    it('finds every field of a canary referral, and nothing in the same referral without them', () => {
      for (const c of canaries.slice(0, 50)) {
        const found = new Set(scanner.scan(JSON.stringify(canaryReferral(c))).map((leak) => leak.field));
        expect([...found].sort()).to.deep.equal([...FIELDS].sort());
      }
      expect(scanner.scan(JSON.stringify(canaryReferral(canaries[0] as CanaryPatient, { externalReference: 'EMIS-2026-000123', patient: { nhsNumber: '9434765919', dateOfBirth: '1958-03-14' }, referrer: { clinicianName: 'Dr A Example' }, notes: 'Free text.' })))).to.deep.equal([]);
    });

    it('finds nothing in masked values or in the ids, dates and timings a log line holds', () => {
      const line = JSON.stringify({
        event: 'http.request', requestId: randomUUID(), actor: `token:${randomUUID()}`, status: 400, durationMs: 1.2345678,
        note: 'NHS [REDACTED-NHS], born [REDACTED-DATE]', timestamp: '2026-11-22T12:00:00.001Z', evaluationDate: '2026-11-22',
      });
      expect(scanner.scan(line)).to.deep.equal([]);
    });

    it('sees what is written to stdout and stderr, and holds back a write carrying a canary value', () => {
      const c = canaries[7] as CanaryPatient;
      const capture = captureProcessOutput({ quiet: true });
      try {
        process.stdout.write(`log-canary probe ${c.nhsNumber}\n`);
        process.stderr.write(Buffer.from(`log-canary probe ${c.clinicianName}\n`));
      } finally {
        capture.restore();
      }
      expect(capture.chunks).to.have.length(2);
      expect(capture.chunks.map((chunk) => [...new Set(scanner.scan(chunk).map((leak) => leak.field))])).to.deep.equal([['nhsNumber'], ['clinicianName']]);
    });
  });

  describe('the logger’s redaction backstop (src/log/logger.ts)', () => {
    it('masks the NHS number and date of birth of every canary, in every form, that code logs by mistake', async () => {
      const { logger, lines } = capturingLogger();
      for (const c of canaries) {
        logger.warn(`mistake ${c.nhsNumber} ${c.dateOfBirth}`, {
          event: 'test.mistake',
          patient: { nhsNumber: c.nhsNumber, dateOfBirth: c.dateOfBirth },
          text: `NHS ${spacedNhs(c.nhsNumber)} / ${dashedNhs(c.nhsNumber)}, born ${ukDate(c.dateOfBirth)}`,
          nested: [{ deeper: [`id${c.nhsNumber}x`] }],
        });
      }
      for (let i = 0; i < 100 && lines.length < canaries.length; i++) await tick();
      expect(lines).to.have.length(canaries.length);
      const leaks = lines.flatMap((line) => scanner.scan(line).filter((leak) => leak.field === 'nhsNumber' || leak.field === 'dateOfBirth'));
      expect(summarise(leaks.map((leak) => ({ where: 'logger', leak })))).to.deep.equal({});
      for (const line of lines) {
        expect(line).to.contain('[REDACTED-NHS]').and.to.contain('[REDACTED-DATE]');
        expect(JSON.parse(line)).to.include({ event: 'test.mistake', level: 'warn' });
      }
    });

    it('does not mask names or free text: only code that never logs them keeps them out', async () => {
      const { logger, lines } = capturingLogger();
      const c = canaries[3] as CanaryPatient;
      logger.warn('mistake', { event: 'test.mistake', name: c.clinicianName });
      for (let i = 0; i < 100 && lines.length < 1; i++) await tick();
      expect(scanner.scan(lines.join('\n')).map((leak) => leak.field)).to.include('clinicianName');
    });
  });

  describe('the traffic', function () {
    this.timeout(180_000);
    let output: { chunks: string[]; restore: () => void } | undefined;
    const timings: Record<string, number> = {};
    let main: ObservedApp;
    let backstop: ObservedApp;
    const backstopRequests: { field: CanaryField; res: Response }[] = [];

    before(async function () {
      this.timeout(180_000);
      const started = Date.now();
      main = await observedApp('main');
      const namingFailure = await observedApp('evaluation failure', { registry: namingRegistry(false) });
      const multilineFailure = await observedApp('evaluation failure, multi-line', { registry: namingRegistry(true) });
      const unavailable = await observedApp('database unavailable', {
        db: failingReferralInserts(db, (values) => Object.assign(new Error(`terminating connection due to administrator command while inserting ${values}`), { code: '57P01' })),
      });
      const broken = await observedApp('database error', {
        db: failingReferralInserts(db, (values) => Object.assign(new Error(`insert failed: ${values}`), { code: 'XX000', detail: `Failing row contains ${values}` })),
      });
      const brokenMultiline = await observedApp('database error, multi-line', {
        db: failingReferralInserts(db, (values) => Object.assign(new Error(`insert failed\n${(JSON.parse(values) as unknown[]).map(String).join('\n')}`), { code: 'XX000' })),
      });
      const limits = { perAddress: 5, perCaller: 5, windowMs: 60_000 };
      const perAddress = await observedApp('rate limit per address', { rateLimits: limits });
      const perCaller = await observedApp('rate limit per caller', { rateLimits: limits, config: { rulesetId: 'msk-triage', bodyLimitBytes: 64 * 1024, trustProxyHops: 1 } });
      backstop = await observedApp('request ids shaped like patient data');

      const gp = await main.gpOf('J82001');
      const otherGp = await main.gpOf('J82002');
      const { clinician, lead, anonymous } = main;
      const now = new Date();
      const revoked = await issueToken(db, { name: 'log-canary revoked', role: 'triage-clinician', expiresAt: null, now });
      await revokeToken(db, revoked.record.id, now);
      const expired = await issueToken(db, { name: 'log-canary expired', role: 'triage-clinician', expiresAt: new Date('2020-01-01T00:00:00Z'), now: new Date('2019-01-01T00:00:00Z') });
      const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
      const asJson = (test: Test, body: string) => test.set('content-type', 'application/json').send(body);

      output = captureProcessOutput();
      try {
        // --- the referral's life: canaries 0 … LIFECYCLE-1 ---------------------------------------
        const lifeStarted = Date.now();
        await inBatches(canaries.slice(0, LIFECYCLE), async (c, i) => {
          // Triage is the costliest request (the rules engine): each canary is triaged by one role.
          if (i % 3 === 0) await exchange('triage as a GP', c, gp.post('/api/v1/triage').send(canaryReferral(c)));
          else if (i % 3 === 1) await exchange('triage as a triage clinician', c, clinician.post('/api/v1/triage').send(canaryReferral(c)));
          else await exchange('triage as a clinical lead', c, lead.post('/api/v1/triage').send(canaryReferral(c)));
          const submitted = await exchange('submit as the GP, with an Idempotency-Key (201)', c, gp.post('/api/v1/referrals').set('Idempotency-Key', c.externalReference).send(canaryReferral(c)));
          const location = String(submitted.headers.location);
          await exchange('idempotent replay of the submission (201, Idempotency-Replayed)', c, gp.post('/api/v1/referrals').set('Idempotency-Key', c.externalReference).send(canaryReferral(c)), (res) =>
            res.headers['idempotency-replayed'] === 'true' && res.headers.location === location ? undefined : 'not the stored answer',
          );
          await exchange('Idempotency-Key reused with another body (422)', c, gp.post('/api/v1/referrals').set('Idempotency-Key', c.externalReference).send(canaryReferral(c, { notes: canaryText(c) })));
          await exchange('read as the referring GP', c, gp.get(location));
          await exchange('read as a triage clinician', c, clinician.get(location));
          await exchange('GP of another practice reads the referral (404)', c, otherGp.get(location));
          const reason = canaryText(c);
          switch (i % 7) {
            case 0: await exchange('wrong role: a clinical lead reads a referral (403)', c, lead.get(location)); break;
            case 1: await exchange('wrong role: a GP reviews, with a reason naming the patient (403)', c, gp.post(`${location}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'soon', reason })); break;
            case 2: await exchange('wrong role: a GP reads the audit trail (403)', c, gp.get(`${location}/audit`)); break;
            case 3: await exchange('wrong role: a GP replays (403)', c, gp.post(`${location}/replay`)); break;
            case 4: await exchange('wrong role: a triage clinician submits (403)', c, clinician.post('/api/v1/referrals').send(canaryReferral(c))); break;
            case 5: await exchange('wrong role: a clinical lead submits (403)', c, lead.post('/api/v1/referrals').send(canaryReferral(c))); break;
            default:
              await exchange('wrong role: a clinical lead reads the queue, with patient values in the query (403)', c, lead.get(`/api/v1/referrals?status=${c.nhsNumber}&cursor=${encodeURIComponent(c.clinicianName)}`));
              await exchange("a GP lists the practice's referrals, with patient values in the query (400)", c, gp.get(`/api/v1/referrals?status=${c.nhsNumber}&cursor=${encodeURIComponent(c.clinicianName)}`));
          }
          if (i % 2 === 0) await exchange('review: confirm, with a note naming the patient', c, clinician.post(`${location}/review`).send({ outcome: 'confirmed', reason }));
          else await exchange('review: override, with a reason naming the patient', c, clinician.post(`${location}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'soon', reason }));
          await exchange('second review (409)', c, clinician.post(`${location}/review`).send({ outcome: 'overridden', pathway: 'secondary', urgency: 'urgent', reason }));
          await exchange('review queue', c, clinician.get('/api/v1/referrals?status=reviewed&limit=20'));
          await exchange('audit trail', c, clinician.get(`${location}/audit`));
          await exchange('replay', c, clinician.post(`${location}/replay`));
        });
        timings.lifecycle = Date.now() - lifeStarted;

        // --- one error path per canary: canaries LIFECYCLE … CANARIES-1 -------------------------------
        const failingGp = await namingFailure.gpOf('J82001');
        const unavailableGp = await unavailable.gpOf('J82001');
        const brokenGp = await broken.gpOf('J82001');
        const brokenMultilineGp = await brokenMultiline.gpOf('J82001');
        let forwarded = 0;
        const scenarios: ((c: CanaryPatient) => Promise<unknown>)[] = [
          (c) => exchange('referral invalid: NHS number and date of birth swapped', c, clinician.post('/api/v1/triage').send(canaryReferral(c, { patient: { nhsNumber: c.dateOfBirth, dateOfBirth: c.nhsNumber } }))),
          (c) => exchange('referral invalid: patient values in coded fields', c, clinician.post('/api/v1/triage').send(canaryReferral(c, {
            patient: { sex: c.clinicianName }, referrer: { odsCode: c.externalReference }, complaint: { bodySite: c.notes, side: c.nhsNumber, onset: c.dateOfBirth }, startBack: { bothersomeness: c.familyName },
          }))),
          (c) => exchange('referral invalid: patient values in numbers and flags', c, clinician.post('/api/v1/triage').send(canaryReferral(c, {
            complaint: { painScore: c.nhsNumber, durationWeeks: c.dateOfBirth }, redFlags: { nightPain: c.clinicianName }, history: { impactOnLife: c.notes }, bmi: c.externalReference,
          }))),
          (c) => exchange('referral invalid: NHS number with a wrong check digit', c, clinician.post('/api/v1/triage').send(canaryReferral(c, { patient: { nhsNumber: c.nhsNumber.slice(0, 9) + String((Number(c.nhsNumber[9]) + 1) % 10) } }))),
          (c) => exchange('referral invalid: date of birth written DD/MM/YYYY', c, clinician.post('/api/v1/triage').send(canaryReferral(c, { patient: { dateOfBirth: ukDate(c.dateOfBirth) } }))),
          (c) => exchange('referral invalid: notes longer than 4,000 characters', c, clinician.post('/api/v1/triage').send(canaryReferral(c, { notes: `${c.notes}\n`.repeat(Math.ceil(4100 / c.notes.length)) }))),
          (c) => exchange('referral invalid, submitted by a GP', c, gp.post('/api/v1/referrals').set('Idempotency-Key', c.externalReference).send(canaryReferral(c, { patient: { dateOfBirth: c.nhsNumber } }))),
          (c) => exchange('unknown field named after the NHS number', c, clinician.post('/api/v1/triage').send(canaryReferral(c, { [c.nhsNumber]: c.dateOfBirth }))),
          (c) => exchange('unknown field named after the date of birth', c, clinician.post('/api/v1/triage').send(canaryReferral(c, { [c.dateOfBirth]: c.nhsNumber }))),
          (c) => exchange('unknown field named after the clinician', c, clinician.post('/api/v1/triage').send(canaryReferral(c, { [c.clinicianName]: true }))),
          (c) => exchange('unknown field named after the patient’s family name', c, clinician.post('/api/v1/triage').send(canaryReferral(c, { [c.familyName]: c.dateOfBirth }))),
          (c) => exchange('unknown field named after the external reference', c, clinician.post('/api/v1/triage').send(canaryReferral(c, { [c.externalReference]: c.nhsNumber }))),
          (c) => exchange('unknown fields named after patient values, inside patient and referrer', c, clinician.post('/api/v1/triage').send(canaryReferral(c, {
            patient: { [c.nhsNumber]: 1, [ukDate(c.dateOfBirth)]: 2, [c.familyName]: c.notes }, referrer: { [c.clinicianName]: 3, [c.externalReference]: 4 },
          }))),
          (c) => exchange('review invalid: patient values in its fields and an unknown field named after the patient', c, clinician.post(`/api/v1/referrals/${randomUUID()}/review`).send({
            outcome: 'overridden', pathway: c.nhsNumber, urgency: c.dateOfBirth, service: c.clinicianName, reason: canaryText(c), [c.familyName]: c.notes,
          })),
          (c) => exchange('review of an unknown referral, with a reason naming the patient (404)', c, clinician.post(`/api/v1/referrals/${randomUUID()}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'soon', reason: canaryText(c) })),
          (c) => exchange('malformed JSON: the referral cut short', c, asJson(clinician.post('/api/v1/triage'), JSON.stringify(canaryReferral(c)).slice(0, -3))),
          (c) => exchange('malformed JSON: unquoted patient values', c, asJson(clinician.post('/api/v1/triage'), `{"patient":{"nhsNumber":${spacedNhs(c.nhsNumber)},"dateOfBirth":${ukDate(c.dateOfBirth)}},"referrer":{"clinicianName":${c.clinicianName}},"notes":${c.notes}}`)),
          (c) => exchange('duplicate key: notes twice', c, asJson(clinician.post('/api/v1/triage'), JSON.stringify(canaryReferral(c)).replace('"notes":', `"notes":${JSON.stringify(canaryText(c))},"notes":`))),
          (c) => exchange('duplicate key named after the patient', c, asJson(clinician.post('/api/v1/triage'), JSON.stringify(canaryReferral(c)).replace('"patient":{', `"patient":{"${c.familyName}":"${c.nhsNumber}","${c.familyName}":"${c.dateOfBirth}",`))),
          (c) => exchange('JSON too deep, holding patient values', c, asJson(clinician.post('/api/v1/triage'), `{"notes":${JSON.stringify(c.notes)},"${c.externalReference}":${'['.repeat(40)}"${c.nhsNumber}"${']'.repeat(40)}}`)),
          (c) => exchange('JSON too wide, under a key named after the external reference', c, asJson(clinician.post('/api/v1/triage'), JSON.stringify({ ...canaryReferral(c), [c.externalReference]: Array.from({ length: 101 }, () => canaryText(c)) }))),
          (c) => exchange('body too large (413)', c, clinician.post('/api/v1/triage').send(canaryReferral(c, { notes: `${c.notes}\n`.repeat(Math.ceil(70_000 / c.notes.length)) }))),
          (c) => exchange('referral sent as text/plain (415)', c, clinician.post('/api/v1/triage').set('content-type', 'text/plain').send(JSON.stringify(canaryReferral(c)))),
          (c) => exchange('referral sent as UTF-16 (415)', c, clinician.post('/api/v1/triage').set('content-type', 'application/json; charset=utf-16').send(JSON.stringify(canaryReferral(c)))),
          (c) => exchange('PUT of a referral (405)', c, clinician.put('/api/v1/triage').send(canaryReferral(c))),
          (c) => exchange('unknown address with patient values in the path (404)', c, clinician.get(`/api/v1/patients/${c.nhsNumber}/${c.dateOfBirth}/${encodeURIComponent(c.clinicianName)}?ref=${c.externalReference}`)),
          (c) => exchange('version query holding the NHS number (400)', c, clinician.post(`/api/v1/triage?version=${c.nhsNumber}&dob=${c.dateOfBirth}&name=${encodeURIComponent(c.clinicianName)}`).send(canaryReferral(c))),
          (c) => exchange('queue query holding patient values (400)', c, clinician.get(`/api/v1/referrals?${c.externalReference}=${c.nhsNumber}&status=${c.familyName}&cursor=${c.dateOfBirth}&limit=${spacedNhs(c.nhsNumber)}`)),
          (c) => exchange('malformed percent-encoding around the NHS number (400)', c, clinician.get(`/api/v1/referrals/%ZZ${c.nhsNumber}%E0${c.familyName}`)),
          (c) => exchange('referral id that is an NHS number (404)', c, clinician.get(`/api/v1/referrals/${c.nhsNumber}`)),
          (c) => exchange('rule set id and version named after the patient (404)', c, clinician.get(`/api/v1/rulesets/${c.externalReference}/versions/${c.dateOfBirth}`)),
          (c) => exchange('Idempotency-Key that is the clinician’s name (400)', c, gp.post('/api/v1/referrals').set('Idempotency-Key', c.clinicianName).send(canaryReferral(c))),
          (c) => {
            const send = () => gp.post('/api/v1/referrals').set('Idempotency-Key', `race-${c.externalReference}`).send(canaryReferral(c));
            return Promise.all([exchange('concurrent submissions with one Idempotency-Key (201 or 409)', c, send()), exchange('concurrent submissions with one Idempotency-Key (201 or 409)', c, send())]);
          },
          (c) => exchange('evaluation failure whose error names the patient (500)', c, namingFailure.clinician.post('/api/v1/triage').send(canaryReferral(c))),
          (c) => exchange('evaluation failure whose error message has several lines (500)', c, multilineFailure.clinician.post('/api/v1/triage').send(canaryReferral(c))),
          async (c) => {
            const stored = await exchange('submission when evaluation fails: manual triage (202)', c, failingGp.post('/api/v1/referrals').send(canaryReferral(c)));
            await exchange('confirming a referral that has no route (409)', c, namingFailure.clinician.post(`${String(stored.headers.location)}/review`).send({ outcome: 'confirmed', reason: canaryText(c) }));
          },
          (c) => exchange('database unavailable, its error holding the referral (503)', c, unavailableGp.post('/api/v1/referrals').set('Idempotency-Key', c.externalReference).send(canaryReferral(c))),
          (c) => exchange('unexpected database error holding the referral (500)', c, brokenGp.post('/api/v1/referrals').send(canaryReferral(c))),
          (c) => exchange('unexpected error whose message has several lines (500)', c, brokenMultilineGp.post('/api/v1/referrals').send(canaryReferral(c))),
          (c) => exchange('no token (401)', c, anonymous.post('/api/v1/triage').send(canaryReferral(c))),
          (c) => exchange('no token, patient values in the path (401)', c, anonymous.get(`/api/v1/referrals/${c.nhsNumber}?dob=${c.dateOfBirth}&name=${encodeURIComponent(c.clinicianName)}`)),
          (c) => exchange('garbage token: the NHS number (401)', c, caller(main.app, c.nhsNumber).post('/api/v1/triage').send(canaryReferral(c))),
          (c) => exchange('garbage token shaped like a service token, carrying patient values (401)', c, caller(main.app, `msk_${`${c.nhsNumber}${c.familyName}${'A'.repeat(43)}`.slice(0, 43)}`).post('/api/v1/triage').send(canaryReferral(c))),
          (c) => exchange('garbage JWT carrying the patient (401)', c, caller(main.app, `${b64('{"alg":"none"}')}.${b64(JSON.stringify({ sub: c.nhsNumber, name: c.clinicianName, birthdate: c.dateOfBirth }))}.${c.familyName}`).post('/api/v1/triage').send(canaryReferral(c))),
          (c) => exchange('another scheme, credentials naming the patient (401)', c, request(main.app).post('/api/v1/triage').set('Authorization', c.index % 2 ? `Basic ${Buffer.from(`${c.clinicianName}:${c.nhsNumber}`).toString('base64')}` : `${c.familyName} ${spacedNhs(c.nhsNumber)} ${c.dateOfBirth}`).send(canaryReferral(c))),
          (c) => exchange('revoked token (401)', c, caller(main.app, revoked.token).post('/api/v1/triage').send(canaryReferral(c))),
          (c) => exchange('expired token (401)', c, caller(main.app, expired.token).post('/api/v1/triage').send(canaryReferral(c))),
          (c) => exchange('GP submits for another practice (403)', c, gp.post('/api/v1/referrals').set('Idempotency-Key', c.externalReference).send(canaryReferral(c, { referrer: { odsCode: 'J82002' } }))),
          (c) => exchange('rate limit per address (429)', c, (c.index % 2 ? perAddress.clinician : perAddress.anonymous).post('/api/v1/triage').send(canaryReferral(c))),
          (c) => exchange('rate limit per caller (429)', c, perCaller.clinician.post('/api/v1/triage').set('X-Forwarded-For', `10.9.${(forwarded >> 8) & 255}.${forwarded++ & 255}`).send(canaryReferral(c))),
        ];
        const errorsStarted = Date.now();
        await inBatches(canaries.slice(LIFECYCLE), (c, i) => (scenarios[i % scenarios.length] as (c: CanaryPatient) => Promise<unknown>)(c));
        timings.errors = Date.now() - errorsStarted;

        // --- request ids shaped like patient data: only the backstop stands between them and the logs -----
        for (const c of canaries.slice(LIFECYCLE, LIFECYCLE + 10)) {
          for (const [field, id] of [['nhsNumber', c.nhsNumber], ['dateOfBirth', c.dateOfBirth]] as const) {
            backstopRequests.push({ field, res: await request(backstop.app).get('/healthz').set('X-Request-Id', id) });
            backstopRequests.push({ field, res: await backstop.anonymous.post('/api/v1/triage').set('X-Request-Id', id).send(canaryReferral(c)) });
            backstopRequests.push({ field, res: await backstop.clinician.post('/api/v1/triage').set('X-Request-Id', id).send(canaryReferral(c, { patient: { sex: c.clinicianName } })) });
          }
        }
        // The last answers' log lines are written once their 'finish' event has run: wait for them.
        const unlogged = () => {
          const logged = new Set(observed.flatMap((app) => app.logLines.map((line) => String(jsonOf(line)?.requestId))));
          return exchanges.some((e) => !logged.has(e.requestId));
        };
        for (let i = 0; i < 40 && unlogged(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      } finally {
        output.restore();
      }
      timings.total = Date.now() - started;
      if (process.env.LOG_CANARY_TIMINGS) {
        process.stderr.write(`log-canary: ${exchanges.length} requests; timings (ms) ${JSON.stringify(timings)}\n`);
        for (const path of Object.keys(PATHS) as PathName[]) {
          const mine = exchanges.filter((e) => e.path === path);
          process.stderr.write(`  ${new Set(mine.map((e) => e.canary.index)).size} canaries, ${mine.length} requests, ${Math.round(pathMs[path] ?? 0)} ms waited: ${path}\n`);
        }
      }
    });

    const pathOfRequest = () => new Map(exchanges.map((e) => [e.requestId, e]));

    type PlacedLine = { app: string; kind: 'written' | 'handed to the logger'; text: string; exchange: Exchange | undefined };
    let placed: PlacedLine[] | undefined;
    /** Every log line of the apps but the backstop's, with the exchange it belongs to. */
    function logLinesOf(): PlacedLine[] {
      const byId = pathOfRequest();
      return (placed ??= observed
        .filter((app) => app !== backstop)
        .flatMap((app) => [
          ...app.logLines.map((text) => ({ app: app.name, kind: 'written' as const, text, exchange: byId.get(String(jsonOf(text)?.requestId)) })),
          ...app.rawEntries.map((entry) => ({ app: app.name, kind: 'handed to the logger' as const, text: entry.text, exchange: byId.get(String(entry.requestId)) })),
        ]));
    }

    it(`sends ${CANARIES.toLocaleString('en-GB')} distinct canary patients through, every path seeing several`, () => {
      expect(new Set(exchanges.map((e) => e.canary.index)).size).to.equal(CANARIES);
      const seen = Object.keys(PATHS).filter((path) => new Set(exchanges.filter((e) => e.path === path).map((e) => e.canary.index)).size < 5);
      expect(seen, 'paths with fewer than 5 canaries').to.deep.equal([]);
    });

    it('captured one http.request line for every request, and no line it cannot place', () => {
      const requestLines = new Set(observed.flatMap((app) => app.logLines.map(jsonOf)).filter((line) => line?.event === 'http.request').map((line) => String(line?.requestId)));
      expect(exchanges.filter((e) => !requestLines.has(e.requestId)).map((e) => e.path)).to.deep.equal([]);
      const unplaced = logLinesOf().filter((line) => !line.exchange).map((line) => `${line.app} (${line.kind}): ${String(jsonOf(line.text)?.event)}`);
      expect(unplaced).to.deep.equal([]);
    });

    it('logged the failures it provoked: authentication, denials, evaluation and database errors', () => {
      const events = new Set(logLinesOf().map((line) => String(jsonOf(line.text)?.event)));
      expect([...events]).to.include.members(['http.request', 'auth.failed', 'auth.denied', 'triage.evaluation-failed', 'http.unexpected-error']);
      const failures = logLinesOf().filter((line) => line.kind === 'written' && jsonOf(line.text)?.event === 'triage.evaluation-failed');
      expect(failures.every((line) => typeof jsonOf(line.text)?.stack === 'string'), 'the evaluation failures carry their stack frames').to.equal(true);
    });

    for (const [path, spec] of Object.entries(PATHS) as [PathName, PathSpec][]) {
      it(`${path}: no canary value in its log lines${spec.echo ? ' or headers (and the scanner finds the canary in the body)' : ', answer bodies or headers'}`, () => {
        const mine = exchanges.filter((e) => e.path === path);
        expect(new Set(mine.map((e) => e.canary.index)).size, 'distinct canaries on this path').to.be.at.least(5);
        expect(mine.filter((e) => !specOf(path).status.includes(e.status) || e.problem).map((e) => `${e.status} ${e.errorCode ?? ''} ${e.problem ?? ''}`.trim()), 'unexpected answers').to.deep.equal([]);
        for (const status of spec.mustSee ?? []) expect(mine.map((e) => e.status), `a ${status} on this path`).to.include(status);

        const found: { where: string; leak: Leak }[] = [];
        for (const e of mine) {
          for (const leak of scanner.scan(e.headers)) found.push({ where: `${e.status} headers`, leak });
          if (spec.echo) {
            const inBody = scanner.scan(e.body);
            const own = new Set(inBody.filter((leak) => leak.canary === e.canary.index || leak.canary === undefined).map((leak) => leak.field));
            expect([...own].sort(), 'the canary’s own values in the read').to.deep.equal([...FIELDS].sort());
            for (const leak of inBody.filter((l) => l.canary !== undefined && l.canary !== e.canary.index)) found.push({ where: `${e.status} body, another canary’s`, leak });
          } else {
            for (const leak of scanner.scan(e.body)) found.push({ where: `${e.status} ${e.errorCode ?? ''} body`.replace('  ', ' '), leak });
          }
        }
        for (const line of logLinesOf().filter((l) => l.exchange?.path === path)) {
          for (const leak of scanner.scan(line.text)) found.push({ where: `log line (${line.kind}) ${String(jsonOf(line.text)?.event)}`, leak });
        }
        expect(summarise(found), 'canary values found').to.deep.equal({});
      });
    }

    it('logs the decision’s route and rule-set version, never the referral', () => {
      const successes = main.logLines.map(jsonOf).filter((line) => line?.status === 200 && line.route === '/api/v1/triage');
      expect(successes).to.have.length(exchanges.filter((e) => e.path.startsWith('triage as')).length);
      expect(new Set(successes.map((line) => line?.role))).to.deep.equal(new Set(['gp', 'triage-clinician', 'clinical-lead']));
      const version = registry.active('msk-triage')?.version;
      for (const line of successes) {
        expect(line).to.include({ event: 'http.request', method: 'POST', rulesetId: 'msk-triage', rulesetVersion: version, pathway: 'physio', urgency: 'routine' });
        expect(Object.keys(line ?? {})).to.not.include.members(['body', 'referral', 'patient', 'query', 'url', 'headers']);
      }
    });

    it('wrote no canary value to stdout or stderr while the traffic ran', () => {
      expect(output, 'stdout and stderr were captured').to.not.equal(undefined);
      const found = (output?.chunks ?? []).flatMap((chunk) => scanner.scan(chunk).map((leak) => ({ where: 'stdout/stderr', leak })));
      expect(summarise(found)).to.deep.equal({});
    });

    it('replaces request ids shaped like an NHS number or a date of birth with its own, so that no log line holds them', () => {
      expect(backstopRequests.map((r) => r.res.status)).to.include.members([200, 401, 400]);
      // The service does not adopt such an id: it answers with a new UUID of its own …
      for (const { res } of backstopRequests) expect(res.headers['x-request-id']).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // … so that the code never hands the canary to the logger, and no line is written with it.
      const handed = backstop.rawEntries.flatMap((entry) => scanner.scan(`${entry.text} ${entry.requestId ?? ''}`).map((leak) => leak.field));
      expect(handed).to.deep.equal([]);
      expect(backstop.logLines.length).to.be.at.least(backstopRequests.length);
      const written = backstop.logLines.flatMap((line) => scanner.scan(line).map((leak) => ({ where: `log line ${String(jsonOf(line)?.event)}`, leak })));
      expect(summarise(written)).to.deep.equal({});
    });

    it('answers requests with such request ids without the referral', () => {
      // The request id is echoed to its sender (X-Request-Id, and error.requestId) by design; the
      // referral is not: the other fields must not come back.
      const found = backstopRequests.flatMap(({ field, res }) =>
        scanner.scan(`${res.text ?? ''}\n${JSON.stringify(res.headers)}`).filter((leak) => leak.field !== field).map((leak) => ({ where: `${res.status} answer`, leak })),
      );
      expect(summarise(found)).to.deep.equal({});
    });
  });
});
