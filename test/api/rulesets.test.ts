import { expect } from 'chai';
import request from 'supertest';
import SwaggerParser from '@apidevtools/swagger-parser';
import { expectError, issuesOf } from '../support/error-shape.js';
import { registry, testApp } from '../support/test-app.js';

const t = await testApp();
const { app } = t;

describe('GET /api/v1/rulesets', () => {
  it('lists each rule set with its versions, status, content hash and active version', async () => {
    const res = await t.lead.get('/api/v1/rulesets');
    expect(res.status).to.equal(200);
    const msk = (res.body.rulesets as Array<Record<string, unknown>>).find((r) => r.id === 'msk-triage');
    expect(msk?.activeVersion).to.equal('2.0.0');
    expect(msk?.versions).to.deep.include({
      version: '2.0.0', status: 'active', effectiveFrom: '2026-12-01', title: 'Default MSK triage policy, version 2',
      sha256: registry.active('msk-triage')?.sha256, active: true,
    });
    expect(msk?.versions).to.deep.include({
      version: '1.0.0', status: 'retired', effectiveFrom: '2026-11-22', title: 'Default MSK triage policy',
      sha256: registry.get('msk-triage', '1.0.0')?.sha256, active: false,
    });
  });

  it('answers a triage clinician the same list', async () => {
    const [clinician, lead] = [await t.clinician.get('/api/v1/rulesets'), await t.lead.get('/api/v1/rulesets')];
    expect(clinician.status).to.equal(200);
    expect(clinician.body).to.deep.equal(lead.body);
  });

  it('answers a GP 403 FORBIDDEN', async () => {
    const res = await (await t.gpOf('J82001')).get('/api/v1/rulesets');
    expectError(res, 403, 'FORBIDDEN');
    expect(res.body).to.not.have.property('rulesets');
  });
});

describe('GET /api/v1/rulesets/{id}/versions/{version}', () => {
  it('answers one version’s full content: header, rules, default route and cases', async () => {
    const res = await t.clinician.get('/api/v1/rulesets/msk-triage/versions/2.0.0');
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ id: 'msk-triage', version: '2.0.0', active: true });
    expect(res.body.ruleset.rules).to.have.length(51);
    expect(res.body.ruleset).to.include({ decisionProcedure: '2' });
    expect(res.body.ruleset.invariants).to.deep.equal(['red-flag-safety-net']);
    expect(res.body.ruleset.defaultRoute).to.include({ pathway: 'community', urgency: 'routine', reviewRequired: true });
    expect(res.body.cases.cases.length).to.be.greaterThan(60);
  });

  it('answers 404 for an unknown rule set or version', async () => {
    expectError(await t.clinician.get('/api/v1/rulesets/nope/versions/1.0.0'), 404, 'RULESET_NOT_FOUND');
    expectError(await t.clinician.get('/api/v1/rulesets/msk-triage/versions/0.0.1'), 404, 'RULESET_VERSION_NOT_FOUND');
  });
});

describe('POST …/approvals, …/activate and …/simulate: bodies checked against their schemas', () => {
  // At a version that does not exist: a body the schema accepts is answered 404, and nothing is recorded.
  const post = (action: string, body: unknown) => t.lead.post(`/api/v1/rulesets/msk-triage/versions/9.9.9/${action}`).send(body as object);
  const NOT_A_NOTE = 'must be text of 1 to 1000 characters';
  const NOT_A_REASON = 'is required: text of 1 to 1000 characters';
  const SEND_FROM = 'send { "from": "X.Y.Z" } or nothing: the version to compare with (default: the active one)';

  it('takes an approval with an optional note of 1 to 1000 characters, not only spaces, and no other field', async () => {
    for (const body of [{}, { note: ' checked against the cases ' }, { note: 'a'.repeat(1000) }]) expectError(await post('approvals', body), 404, 'RULESET_VERSION_NOT_FOUND');
    const refusals: Array<[unknown, Array<{ path: string; message: string }>]> = [
      [[], [{ path: '/', message: 'must be an object' }]],
      [{ note: '' }, [{ path: '/note', message: NOT_A_NOTE }]],
      [{ note: ' \t\n' }, [{ path: '/note', message: NOT_A_NOTE }]],
      [{ note: 'a'.repeat(1001) }, [{ path: '/note', message: NOT_A_NOTE }]],
      [{ note: null }, [{ path: '/note', message: NOT_A_NOTE }]],
      [{ note: 5, approver: 'Dr B Lead' }, [{ path: '/approver', message: 'is not a field here: send note' }, { path: '/note', message: NOT_A_NOTE }]],
      [{ Smith: 'x' }, [{ path: '/(unnamed)', message: 'is not a field here: send note' }]],
    ];
    for (const [body, issues] of refusals) {
      const res = await post('approvals', body);
      expectError(res, 400, 'REQUEST_INVALID');
      expect(issuesOf(res), JSON.stringify(body).slice(0, 40)).to.deep.equal(issues);
    }
  });

  it('takes an activation with a reason of 1 to 1000 characters, not only spaces, and no other field', async () => {
    expectError(await post('activate', { reason: ' new NICE guidance ' }), 404, 'RULESET_VERSION_NOT_FOUND');
    const refusals: Array<[unknown, Array<{ path: string; message: string }>]> = [
      [[], [{ path: '/', message: 'must be an object' }]],
      [{}, [{ path: '/reason', message: NOT_A_REASON }]],
      [{ reason: '   ' }, [{ path: '/reason', message: NOT_A_REASON }]],
      [{ reason: ['why'] }, [{ path: '/reason', message: NOT_A_REASON }]],
      [{ activatedBy: 'Dr B Lead' }, [{ path: '/activatedBy', message: 'is not a field here: send reason' }, { path: '/reason', message: NOT_A_REASON }]],
    ];
    for (const [body, issues] of refusals) {
      const res = await post('activate', body);
      expectError(res, 400, 'REQUEST_INVALID');
      expect(issuesOf(res), JSON.stringify(body)).to.deep.equal(issues);
    }
  });

  it('takes a simulation with an optional from version and no other field, answering any other body once, at /from', async () => {
    expectError(await post('simulate', { from: '1.0.0' }), 404, 'RULESET_VERSION_NOT_FOUND');
    const list = await post('simulate', []);
    expectError(list, 400, 'QUERY_INVALID');
    expect(issuesOf(list)).to.deep.equal([{ path: '/', message: 'send { "from": "X.Y.Z" } or nothing' }]);
    for (const body of [{ from: 'latest' }, { from: '1.0' }, { from: 1 }, { from: null }, { to: '1.0.0' }, { from: '1.0.0', to: '1.1.0' }, { from: 'latest', Smith: 1, Jones: 2 }]) {
      const res = await post('simulate', body);
      expectError(res, 400, 'QUERY_INVALID');
      expect(issuesOf(res), JSON.stringify(body)).to.deep.equal([{ path: '/from', message: SEND_FROM }]);
    }
  });
});

describe('health, readiness and the API description', () => {
  it('answers /healthz while the process serves', async () => {
    const res = await request(app).get('/healthz');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok' });
  });

  it('answers /readyz with the active rule set', async () => {
    const res = await request(app).get('/readyz');
    expect(res.status).to.equal(200);
    expect(res.body.ruleset).to.include({ id: 'msk-triage', version: '2.0.0' });
  });

  it('answers /readyz 503 while shutting down', async () => {
    const { app: closing } = await testApp({ readiness: { shuttingDown: true } });
    expectError(await request(closing).get('/readyz'), 503, 'NOT_READY');
  });

  it('answers /readyz 503 without an active rule set for the configured id', async () => {
    const { app: other } = await testApp({ config: { rulesetId: 'not-loaded', bodyLimitBytes: 65536 } });
    expectError(await request(other).get('/readyz'), 503, 'NOT_READY');
  });

  it('serves a valid OpenAPI 3.1 description built from the schemas', async () => {
    const res = await request(app).get('/openapi.json');
    expect(res.status).to.equal(200);
    expect(res.body.openapi).to.equal('3.1.0');
    await SwaggerParser.validate(structuredClone(res.body));
    expect(res.body.components.schemas.Referral.required).to.include('redFlags');
    expect(res.body.paths['/api/v1/triage'].post.requestBody.content['application/json'].schema.$ref).to.equal('#/components/schemas/Referral');
  });

  it('describes the approval, activation and simulation bodies by the schemas the service checks them with', async () => {
    const res = await request(app).get('/openapi.json');
    const bodyOf = (action: string): unknown => res.body.paths[`/api/v1/rulesets/{id}/versions/{version}/${action}`].post.requestBody;
    expect(bodyOf('approvals')).to.deep.equal({ required: false, content: { 'application/json': { schema: { $ref: '#/components/schemas/ApprovalRequest' } } } });
    expect(bodyOf('activate')).to.deep.equal({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ActivationRequest' } } } });
    expect(bodyOf('simulate')).to.deep.equal({ required: false, content: { 'application/json': { schema: { $ref: '#/components/schemas/SimulationRequest' } } } });
    expect(res.body.components.schemas.ActivationRequest.required).to.deep.equal(['reason']);
    expect(res.body.components.schemas.ActivationRequest.properties.reason.$ref).to.equal('#/components/schemas/SignedText');
    expect(res.body.components.schemas.SignedText).to.include({ type: 'string', minLength: 1, maxLength: 1000 });
  });

  it('answers 405 for other methods on the API description', async () => {
    const res = await request(app).post('/openapi.json').send({});
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).to.equal('GET');
  });

  it('answers a badly percent-encoded address with 400, not 500', async () => {
    expectError(await t.clinician.get('/api/v1/rulesets/msk-triage/versions/%ZZ1.0.0'), 400, 'URL_MALFORMED');
  });

  it('answers unknown addresses with 404 in the error shape', async () => {
    expectError(await request(app).get('/api/v2/triage'), 404, 'NOT_FOUND');
    expectError(await request(app).post('/nope').send({}), 404, 'NOT_FOUND');
  });

  it('echoes an X-Request-Id that is a UUID and replaces any other, a plain token included', async () => {
    const uuid = '0f7c2a9e-5b1d-4e3a-9c8b-7d6e5f4a3b2c';
    expect((await request(app).get('/healthz').set('x-request-id', uuid)).headers['x-request-id']).to.equal(uuid);
    const plain = await request(app).get('/healthz').set('x-request-id', 'gp-system-42');
    expect(plain.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
    const unsafe = await request(app).get('/healthz').set('x-request-id', '<script>');
    expect(unsafe.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  });
});
