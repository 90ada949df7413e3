/**
 * Every cell of role × endpoint × own/other practice, with real tokens: the answer each caller gets,
 * and, where it is a 2xx, that it carries only the fields that role may see. The table below is the
 * expectation, written out by hand from http-api.md; the policy in src/auth/access-policy.ts must
 * produce it, and every route of the policy and of the OpenAPI description must appear in it.
 */
import { expect } from 'chai';
import type { Express } from 'express';
import { createApp } from '../../src/app.js';
import { POLICY } from '../../src/auth/access-policy.js';
import { openApiDocument, openApiPath } from '../../src/http/openapi.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import type { Database } from '../../src/store/database.js';
import { caller, callersFor, tokenFor, type Caller, type Callers } from '../support/callers.js';
import { expectError } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { capturingLogger, GENEROUS_LIMITS, tickingClock, version1RulesDir, version1Versions } from '../support/test-app.js';
import { freshDatabase } from '../support/test-database.js';

const OWN = 'A81001';
const OTHER = 'B82002';

type Who = 'anonymous' | 'gp-own' | 'gp-other' | 'triage-clinician' | 'clinical-lead' | 'operator';
const EVERYONE: readonly Who[] = ['anonymous', 'gp-own', 'gp-other', 'triage-clinician', 'clinical-lead', 'operator'];

interface Endpoint {
  method: 'GET' | 'POST';
  route: string;
  /** the concrete request: a fresh referral of the own practice where the route needs one */
  path: (referralId: string) => string;
  body?: () => object;
  /** the status each caller gets */
  expect: Record<Who, number>;
  /** the code of a 409, when it is not ACTIVATION_REFUSED */
  conflict?: string;
}

/** This test's patient, whose NHS number appears nowhere else (not in the rule sets' bundled cases). */
const NHS_NUMBER = '4000000012';
const referralOfOwnPractice = () => aReferral({ patient: { nhsNumber: NHS_NUMBER }, referrer: { odsCode: OWN } });
// Needs review, so that a review can be made: an unexplained mass with a history of cancer.
const reviewable = () => aReferral({ patient: { nhsNumber: NHS_NUMBER }, referrer: { odsCode: OWN }, redFlags: { unexplainedMass: true, historyOfCancer: true } });

const MATRIX: readonly Endpoint[] = [
  { method: 'POST', route: '/api/v1/triage', path: () => '/api/v1/triage', body: referralOfOwnPractice,
    expect: { anonymous: 401, 'gp-own': 200, 'gp-other': 200, 'triage-clinician': 200, 'clinical-lead': 200, operator: 403 } },
  { method: 'POST', route: '/api/v1/referrals', path: () => '/api/v1/referrals', body: referralOfOwnPractice,
    expect: { anonymous: 401, 'gp-own': 201, 'gp-other': 403, 'triage-clinician': 403, 'clinical-lead': 403, operator: 403 } },
  { method: 'GET', route: '/api/v1/referrals', path: () => '/api/v1/referrals?status=awaiting-review',
    expect: { anonymous: 401, 'gp-own': 200, 'gp-other': 200, 'triage-clinician': 200, 'clinical-lead': 403, operator: 403 } },
  { method: 'GET', route: '/api/v1/referrals/:id', path: (id) => `/api/v1/referrals/${id}`,
    expect: { anonymous: 401, 'gp-own': 200, 'gp-other': 404, 'triage-clinician': 200, 'clinical-lead': 403, operator: 403 } },
  { method: 'POST', route: '/api/v1/referrals/:id/review', path: (id) => `/api/v1/referrals/${id}/review`, body: () => ({ outcome: 'confirmed' }),
    expect: { anonymous: 401, 'gp-own': 403, 'gp-other': 403, 'triage-clinician': 201, 'clinical-lead': 403, operator: 403 } },
  { method: 'GET', route: '/api/v1/referrals/:id/audit', path: (id) => `/api/v1/referrals/${id}/audit`,
    expect: { anonymous: 401, 'gp-own': 403, 'gp-other': 403, 'triage-clinician': 200, 'clinical-lead': 403, operator: 403 } },
  { method: 'POST', route: '/api/v1/referrals/:id/replay', path: (id) => `/api/v1/referrals/${id}/replay`,
    expect: { anonymous: 401, 'gp-own': 403, 'gp-other': 403, 'triage-clinician': 200, 'clinical-lead': 403, operator: 403 } },
  { method: 'GET', route: '/api/v1/rulesets', path: () => '/api/v1/rulesets',
    expect: { anonymous: 401, 'gp-own': 403, 'gp-other': 403, 'triage-clinician': 200, 'clinical-lead': 200, operator: 403 } },
  { method: 'GET', route: '/api/v1/rulesets/:id/versions/:version', path: () => '/api/v1/rulesets/msk-triage/versions/1.0.0',
    expect: { anonymous: 401, 'gp-own': 403, 'gp-other': 403, 'triage-clinician': 200, 'clinical-lead': 200, operator: 403 } },
  { method: 'POST', route: '/api/v1/rulesets/:id/versions/:version/approvals', path: () => '/api/v1/rulesets/msk-triage/versions/1.1.0/approvals', body: () => ({ note: 'matrix' }),
    expect: { anonymous: 401, 'gp-own': 403, 'gp-other': 403, 'triage-clinician': 403, 'clinical-lead': 201, operator: 403 } },
  // The lead approved 1.1.0 in the row above: the same lead may not also activate it (two people).
  { method: 'POST', route: '/api/v1/rulesets/:id/versions/:version/activate', path: () => '/api/v1/rulesets/msk-triage/versions/1.1.0/activate', body: () => ({ reason: 'matrix' }),
    expect: { anonymous: 401, 'gp-own': 403, 'gp-other': 403, 'triage-clinician': 403, 'clinical-lead': 409, operator: 403 } },
  // Nothing is scheduled: a lead is let through, and told so.
  { method: 'POST', route: '/api/v1/rulesets/:id/versions/:version/cancel-schedule', path: () => '/api/v1/rulesets/msk-triage/versions/1.1.0/cancel-schedule', body: () => ({ reason: 'matrix' }),
    expect: { anonymous: 401, 'gp-own': 403, 'gp-other': 403, 'triage-clinician': 403, 'clinical-lead': 409, operator: 403 }, conflict: 'NOT_SCHEDULED' },
  { method: 'POST', route: '/api/v1/rulesets/:id/versions/:version/simulate', path: () => '/api/v1/rulesets/msk-triage/versions/1.1.0/simulate', body: () => ({}),
    expect: { anonymous: 401, 'gp-own': 403, 'gp-other': 403, 'triage-clinician': 403, 'clinical-lead': 200, operator: 403 } },
  { method: 'GET', route: '/metrics', path: () => '/metrics',
    expect: { anonymous: 401, 'gp-own': 403, 'gp-other': 403, 'triage-clinician': 403, 'clinical-lead': 403, operator: 200 } },
];

/** Open to anyone: everything else the OpenAPI description gives is in the policy. */
const OPEN_PATHS = ['/healthz', '/readyz', '/openapi.json'];

const ERROR_CODE: Record<number, string | undefined> = { 401: 'AUTHENTICATION_REQUIRED', 403: 'FORBIDDEN', 404: 'REFERRAL_NOT_FOUND', 409: 'ACTIVATION_REFUSED' };

describe('access control: every role against every endpoint, own and other practice', function () {
  this.timeout(60_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let app: Express;
  let callers: Callers;
  let who: Record<Who, Caller>;

  before(async () => {
    ({ db, dispose } = await freshDatabase());
    const { logger } = capturingLogger();
    // 1.0.0 active and the 1.1.0 draft: a version to approve, activate and simulate
    app = createApp({ config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir: version1RulesDir }, registry: new RuleSetRegistry(version1Versions), db, logger, clock: tickingClock(), rateLimits: GENEROUS_LIMITS });
    callers = await callersFor(app, db);
    who = { anonymous: callers.anonymous, 'gp-own': await callers.gpOf(OWN), 'gp-other': await callers.gpOf(OTHER), 'triage-clinician': callers.clinician, 'clinical-lead': callers.lead, operator: caller(app, await tokenFor(db, 'operator')) };
  });
  after(() => dispose());

  it('covers every route and method of the policy, and the policy covers every operation of the OpenAPI description but the open ones', () => {
    const inMatrix = MATRIX.map((e) => `${e.method} ${e.route}`).sort();
    const inPolicy = Object.entries(POLICY).flatMap(([route, methods]) => Object.keys(methods).map((m) => `${m} ${route}`)).sort();
    expect(inMatrix).to.deep.equal(inPolicy);
    const paths = openApiDocument('test').paths as Record<string, Record<string, { 'x-allowed-roles': string[] }>>;
    const documented = Object.entries(paths)
      .filter(([p]) => !OPEN_PATHS.includes(p))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(documented).to.deep.equal(inPolicy.map((op) => { const [m, r] = op.split(' '); return `${m} ${openApiPath(r as string)}`; }).sort());
    for (const [route, methods] of Object.entries(POLICY)) {
      for (const [method, roles] of Object.entries(methods)) expect(paths[openApiPath(route)]?.[method.toLowerCase()]?.['x-allowed-roles']).to.deep.equal(roles);
    }
  });

  for (const endpoint of MATRIX) {
    for (const caller of EVERYONE) {
      const status = endpoint.expect[caller];
      it(`${endpoint.method} ${endpoint.route} as ${caller} → ${status}`, async () => {
        // A new referral of the own practice for each cell, so that no cell depends on another.
        const submitted = await who['gp-own'].post('/api/v1/referrals').send(reviewable());
        expect(submitted.status).to.equal(201);
        const id = submitted.body.id as string;
        const before = await db.query<{ n: number }>('select count(*)::int as n from referrals');
        const client = who[caller];
        const req = endpoint.method === 'GET' ? client.get(endpoint.path(id)) : client.post(endpoint.path(id)).send(endpoint.body?.() ?? {});
        const res = await req;
        const code = status === 409 && endpoint.conflict ? endpoint.conflict : ERROR_CODE[status];
        if (code) expectError(res, status, code as 'FORBIDDEN');
        else expect(res.status, JSON.stringify(res.body)).to.equal(status);
        const after = await db.query<{ n: number }>('select count(*)::int as n from referrals');
        // Only a GP's own submission stores a referral.
        expect(after[0]?.n).to.equal((before[0]?.n ?? 0) + (status === 201 && endpoint.route === '/api/v1/referrals' ? 1 : 0));
        if (status < 300) expectOnlyVisibleFields(caller, endpoint, res.body);
      });
    }
  }

  it('answers another practice exactly as it answers an id that does not exist, and records the refusal', async () => {
    const submitted = await who['gp-own'].post('/api/v1/referrals').send(referralOfOwnPractice());
    const other = await who['gp-other'].get(`/api/v1/referrals/${submitted.body.id as string}`);
    const unknown = await who['gp-other'].get('/api/v1/referrals/00000000-0000-4000-8000-000000000000');
    const strip = (body: { error: Record<string, unknown> }) => ({ ...body.error, requestId: undefined });
    expect(other.status).to.equal(404);
    expect(strip(other.body)).to.deep.equal(strip(unknown.body));
    expect(Object.keys(other.headers).sort()).to.deep.equal(Object.keys(unknown.headers).sort());
    const [denied] = await db.query<{ actor: string; actor_role: string; details: Record<string, unknown>; referral_id: string | null }>(
      "select actor, actor_role, details, referral_id from audit_events where event_type = 'access.denied' and details ->> 'referralId' = $1",
      [submitted.body.id],
    );
    expect(denied?.actor).to.match(/^person:[0-9a-f-]{36}$/);
    expect(denied).to.deep.include({ actor_role: 'gp', referral_id: null, details: { method: 'GET', route: '/api/v1/referrals/:id', reason: 'other-practice', referralId: submitted.body.id } });
  });

  it('records each refusal of a role as an access.denied event with the actor, and nothing of the patient', async () => {
    const countDenied = async () => (await db.query<{ n: number }>("select count(*)::int as n from audit_events where event_type = 'access.denied'"))[0]?.n ?? 0;
    const before = await countDenied();
    expectError(await callers.lead.post('/api/v1/referrals').send(referralOfOwnPractice()), 403, 'FORBIDDEN');
    expect(await countDenied()).to.equal(before + 1);
    const [event] = await db.query<Record<string, unknown>>("select * from audit_events where event_type = 'access.denied' order by seq desc limit 1");
    expect(event).to.deep.include({ actor_role: 'clinical-lead', details: { method: 'POST', route: '/api/v1/referrals', reason: 'role' } });
    expect(JSON.stringify(event)).to.not.contain(NHS_NUMBER);
    expectError(await callers.anonymous.post('/api/v1/referrals').send(referralOfOwnPractice()), 401, 'AUTHENTICATION_REQUIRED');
    expect(await countDenied(), 'an unauthenticated call is logged, not audited').to.equal(before + 1);
    expectError(await who['gp-other'].post('/api/v1/referrals').send(referralOfOwnPractice()), 403, 'FORBIDDEN');
    expect(await countDenied(), 'a GP referring for another practice is recorded').to.equal(before + 2);
    const [refused] = await db.query<Record<string, unknown>>("select * from audit_events where event_type = 'access.denied' order by seq desc limit 1");
    expect(refused).to.deep.include({ actor_role: 'gp', details: { method: 'POST', route: '/api/v1/referrals', reason: 'other-practice' } });
  });

  it('denies by default: a method or address outside the policy is refused to every role', async () => {
    for (const caller of EVERYONE) {
      const res = await who[caller].delete('/api/v1/referrals');
      if (caller === 'anonymous') expectError(res, 401, 'AUTHENTICATION_REQUIRED');
      else {
        expectError(res, 405, 'METHOD_NOT_ALLOWED');
        expect(res.headers.allow).to.equal('POST, GET');
      }
      const unknown = await who[caller].get('/api/v1/admin');
      if (caller === 'anonymous') expectError(unknown, 401, 'AUTHENTICATION_REQUIRED');
      else expectError(unknown, 404, 'NOT_FOUND');
    }
  });

  it('keeps health, readiness and the OpenAPI description open', async () => {
    for (const path of OPEN_PATHS) expect((await callers.anonymous.get(path)).status, path).to.equal(200);
  });
});

/** Property-level authorisation: what each role's 2xx may carry. */
function expectOnlyVisibleFields(caller: Who, endpoint: Endpoint, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  if (caller === 'gp-own' || caller === 'gp-other') {
    // The route and its reasons, never the rules' condition trees, the history, or who decided.
    expect(text).to.not.contain('"conditions"');
    expect(text).to.not.contain('"decidedBy"');
    expect(body).to.not.have.property('decisions');
    if (endpoint.route === '/api/v1/referrals/:id') expect(Object.keys(body).sort()).to.deep.equal(['decision', 'id', 'receivedAt', 'referral', 'status', 'updatedAt']);
    // A GP's list is their own practice's only: the own GP sees this test's referrals, the other GP none of them.
    if (endpoint.route === '/api/v1/referrals' && endpoint.method === 'GET') {
      const items = body.items as Array<{ practiceOds: string }>;
      expect(items.every((item) => item.practiceOds === (caller === 'gp-own' ? OWN : OTHER))).to.equal(true);
      expect(items.length > 0).to.equal(caller === 'gp-own');
    }
  }
  if (caller === 'operator') {
    // The service's counters only: no referral, no NHS number.
    expect(endpoint.route).to.equal('/metrics');
    expect(text).to.not.contain(NHS_NUMBER);
  }
  if (caller === 'clinical-lead') {
    // Rule sets and aggregates only: no referral, no NHS number.
    expect(text).to.not.contain(NHS_NUMBER);
    expect(body).to.not.have.property('referral');
  }
  if (caller === 'triage-clinician' && endpoint.route === '/api/v1/referrals/:id') {
    expect(body).to.have.property('decisions');
    expect(text).to.contain('"conditions"');
  }
}
