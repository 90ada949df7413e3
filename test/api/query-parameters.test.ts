/**
 * Query strings, strictly: a parameter an address does not take is a 400 on every endpoint, numbers
 * are plain decimals, and a query that is not UTF-8 when decoded is refused, never read as U+FFFD.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { POLICY } from '../../src/auth/access-policy.js';
import { QUERY_PARAMETERS } from '../../src/http/query-parameters.js';
import type { Role } from '../../src/domain/roles.js';
import { caller, tokenFor, type Caller } from '../support/callers.js';
import { expectError, issuesOf } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { db, testApp, type TestApp } from '../support/test-app.js';

/** A concrete address for a route template: ids that need not exist, since the query is refused first. */
const concrete = (route: string) => route.replace(':id/versions', 'msk-triage/versions').replace(':version', '2.0.0').replace(':id', randomUUID());

describe('query parameters', () => {
  let t: TestApp;
  const callers = new Map<Role, Caller>();

  before(async () => {
    t = await testApp();
    callers.set('gp', await t.gpOf('A81001'));
    callers.set('triage-clinician', t.clinician);
    callers.set('clinical-lead', t.lead);
    callers.set('operator', caller(t.app, await tokenFor(db, 'operator')));
  });

  it('answers a lead who types ?verison= with 400 QUERY_INVALID saying what was meant, rather than triaging against the active version', async () => {
    const res = await t.lead.post('/api/v1/triage?verison=1.0.0').send(aReferral());
    expectError(res, 400, 'QUERY_INVALID');
    expect(issuesOf(res)).to.deep.equal([{ path: '/(unnamed)', message: 'is not a query parameter here (did you mean version?); this address takes: version' }]);
  });

  it('refuses a parameter the address does not take on every endpoint, open ones included, with one issue for each and no name that is not a word of the service', async () => {
    const requests: Array<{ label: string; send: (query: string) => Promise<import('supertest').Response> }> = [];
    for (const [route, methods] of Object.entries(POLICY)) {
      for (const [method, roles] of Object.entries(methods)) {
        const who = callers.get(roles[0] as Role) as Caller;
        requests.push({ label: `${method} ${route}`, send: (query) => (method === 'GET' ? who.get(`${concrete(route)}?${query}`) : who.post(`${concrete(route)}?${query}`).send({})) });
      }
    }
    for (const path of ['/healthz', '/readyz', '/openapi.json']) requests.push({ label: `GET ${path}`, send: (query) => t.anonymous.get(`${path}?${query}`) });
    expect(requests.length).to.equal(Object.values(POLICY).reduce((n, methods) => n + Object.keys(methods).length, 0) + 3);
    for (const { label, send } of requests) {
      const res = await send('Smith=1&zz=2&access_token=3');
      expectError(res, 400, 'QUERY_INVALID');
      expect(issuesOf(res).map((issue) => issue.path), label).to.deep.equal(['/(unnamed)', '/(unnamed)', '/(unnamed)']);
      expect(res.text, label).to.not.include('Smith');
    }
  });

  it("names a parameter of another address, and the ones this address takes: ?limit= on triage", async () => {
    const res = await t.clinician.post('/api/v1/triage?limit=5').send(aReferral());
    expectError(res, 400, 'QUERY_INVALID');
    expect(issuesOf(res)).to.deep.equal([{ path: '/limit', message: 'is not a query parameter here; this address takes: version' }]);
  });

  it('takes the parameters each address lists', async () => {
    expect(QUERY_PARAMETERS['GET /api/v1/referrals']).to.include.members(['status', 'limit', 'cursor']);
    expect((await t.clinician.get('/api/v1/referrals?status=routed&pathway=physio&urgency=routine&synthetic=include&limit=5')).status).to.equal(200);
    expect((await t.lead.post('/api/v1/triage?version=2.0.0').send(aReferral())).status).to.equal(200);
  });

  it('reads a number in a query only as plain decimal digits: 1e1, 0x10, +5, " 5", "5 ", 5.0 and 1_0 are refused, 5 and 200 are taken', async () => {
    for (const limit of ['1e1', '0x10', '%2B5', '+5', '%205', '5%20', '5.0', '1_0', '0b1', 'Infinity', '']) {
      const res = await t.clinician.get(`/api/v1/referrals?limit=${limit}`);
      expectError(res, 400, 'QUERY_INVALID');
      expect(issuesOf(res).map((issue) => issue.path), limit).to.deep.equal(['/limit']);
    }
    for (const limit of ['5', '200']) expect((await t.clinician.get(`/api/v1/referrals?limit=${limit}`)).status, limit).to.equal(200);
  });

  it('refuses a query whose percent-encoding is broken or decodes to bytes that are not UTF-8 with 400 URL_MALFORMED, never as U+FFFD', async () => {
    for (const query of ['status=%ZZ', 'status=%FF', 'status=%C0%AF', 'status=%ED%A0%80', 'status=%F4%90%80%80', '%FF=1', 'cursor=%E2%82']) {
      expectError(await t.clinician.get(`/api/v1/referrals?${query}`), 400, 'URL_MALFORMED');
    }
    expect((await t.clinician.get('/api/v1/referrals?status=routed%2Creviewed')).status, 'a comma, percent-encoded').to.equal(200);
  });
});
