import { expect } from 'chai';
import request from 'supertest';
import SwaggerParser from '@apidevtools/swagger-parser';
import { expectError } from '../support/error-shape.js';
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

  it('echoes a safe X-Request-Id and replaces an unsafe one', async () => {
    expect((await request(app).get('/healthz').set('x-request-id', 'gp-system-42')).headers['x-request-id']).to.equal('gp-system-42');
    const unsafe = await request(app).get('/healthz').set('x-request-id', '<script>');
    expect(unsafe.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  });
});
