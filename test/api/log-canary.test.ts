/**
 * No patient data in logs or error bodies: canary referrals, each with its own NHS number, date of
 * birth, clinician name, notes and reference, go through every success and error path, and none of
 * their identifying values may appear in any captured log line or error body.
 */
import { expect } from 'chai';
import request from 'supertest';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { aReferral, nhsNumberFrom } from '../support/referral-factory.js';
import { loadedVersions, testApp } from '../support/test-app.js';

interface Canary {
  nhsNumber: string;
  dateOfBirth: string;
  clinicianName: string;
  notes: string;
  externalReference: string;
}

function canaries(count: number): Canary[] {
  const found: Canary[] = [];
  for (let n = 100_000_000; found.length < count; n += 7919) {
    const nhsNumber = nhsNumberFrom(String(n).padStart(9, '0'));
    if (!nhsNumber) continue;
    const i = found.length;
    const day = String((i % 28) + 1).padStart(2, '0');
    const month = String((i % 12) + 1).padStart(2, '0');
    found.push({
      nhsNumber,
      dateOfBirth: `19${String(30 + (i % 60))}-${month}-${day}`,
      clinicianName: `Dr Canary Quillfeather ${i}`,
      notes: `CANARY-NOTE-${i} patient lives at 7 Canary Wharf`,
      externalReference: `CANARY-REF-${i}`,
    });
  }
  return found;
}

const referralOf = (c: Canary, patch: Record<string, unknown> = {}) =>
  aReferral({
    externalReference: c.externalReference,
    patient: { nhsNumber: c.nhsNumber, dateOfBirth: c.dateOfBirth },
    referrer: { clinicianName: c.clinicianName },
    notes: c.notes,
    ...patch,
  });

class ThrowingRuleSet extends CompiledRuleSet {
  override evaluate(): never {
    throw new TypeError('evaluation broke');
  }
}

describe('patient data never reaches the logs or error bodies', () => {
  const { app, logLines } = testApp();
  const base = loadedVersions[0];
  if (!base) throw new Error('no rule set loaded');
  const failing = testApp({ registry: new RuleSetRegistry([{ ...base, compiled: new ThrowingRuleSet(base.compiled.document) }]) });
  const bodies: string[] = [];
  /** Audit trails are answers, not logs, but they hold only ids and codes: no patient data either. */
  const auditBodies: string[] = [];
  const all = canaries(40);

  before(async function () {
    this.timeout(60_000);
    for (const c of all) {
      const json = (body: string, target = app, path = '/api/v1/triage') =>
        request(target).post(path).set('content-type', 'application/json').send(body);
      const answers = await Promise.all([
        request(app).post('/api/v1/triage').send(referralOf(c)), // 200
        request(app).post('/api/v1/triage').send(referralOf(c, { redFlags: { saddleAnaesthesia: null } })), // 400 contract
        request(app).post('/api/v1/triage').send(referralOf(c, { patient: { nhsNumber: c.nhsNumber.slice(0, 9) + 'x' } })), // bad NHS number
        request(app).post('/api/v1/triage').send(referralOf(c, { patient: { dateOfBirth: '2099-' + c.dateOfBirth.slice(5) } })), // future DOB
        request(app).post('/api/v1/triage').send(referralOf(c, { unknownField: c.nhsNumber })), // additional property
        json(JSON.stringify(referralOf(c)).slice(0, -5)), // malformed JSON
        json(JSON.stringify(referralOf(c, { notes: c.notes + ' '.repeat(70_000) }))), // 413
        request(app).post('/api/v1/triage').set('content-type', 'text/plain').send(JSON.stringify(referralOf(c))), // 415
        json(`{"notes":"${c.notes}","deep":${'['.repeat(3000)}${']'.repeat(3000)}}`), // too deep
        request(app).post('/api/v1/triage?version=9.9.9').send(referralOf(c)), // 404 version
        request(app).post(`/api/v1/triage?nhsNumber=${c.nhsNumber}&dob=${c.dateOfBirth}&version=x`).send(referralOf(c)), // 400 query, values in URL
        request(app).get(`/api/v1/patients/${c.nhsNumber}/${c.dateOfBirth}`), // 404 with values in the path
        request(app).get('/healthz').set('x-request-id', c.nhsNumber), // NHS number as a request id
        request(app).get(`/api/v1/rulesets/msk-triage/versions/%ZZ${c.nhsNumber}`), // 400 bad encoding, value in the path
        request(app).get(`/api/v1/rulesets/x${c.nhsNumber}x/versions/${c.dateOfBirth}`), // 404 with values glued to letters
        json(JSON.stringify(referralOf(c)).replace('"patient":{', `"patient":{"${c.clinicianName}":1,`)), // unknown key carrying a name
        json(JSON.stringify(referralOf(c)).replace('"notes":', `"notes":"${c.notes}","notes":`)), // duplicate key
        request(failing.app).post('/api/v1/triage').send(referralOf(c)), // 500 evaluation failed
        request(app).post('/api/v1/referrals').set('Idempotency-Key', `canary-${c.externalReference}`).send(referralOf(c)), // 201 stored
        request(app).post('/api/v1/referrals').set('Idempotency-Key', `canary-${c.externalReference}`).send(referralOf(c, { notes: 'other' })), // 422
        request(app).post('/api/v1/referrals').send(referralOf(c, { patient: { sex: null } })), // 400, nothing stored
        request(failing.app).post('/api/v1/referrals').send(referralOf(c)), // 202 manual triage
      ]);
      const stored = answers.find((res) => res.status === 201 && res.headers.location?.startsWith('/api/v1/referrals/'));
      if (stored) {
        const location = stored.headers.location as string;
        const more = await Promise.all([
          request(app).get(location),
          request(app).get(`${location}/audit`),
          request(app).post(`${location}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'soon' }), // 400 no reason
          request(app).post(`${location}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'soon', reason: `reviewed ${c.clinicianName}` }),
          request(app).post(`${location}/replay`),
          request(app).get('/api/v1/referrals?status=routed&limit=5'),
        ]);
        for (const res of more) if (res.status >= 400) bodies.push(JSON.stringify(res.body));
        auditBodies.push(JSON.stringify(more[1]?.body));
      }
      for (const res of answers) if (res.status >= 400) bodies.push(JSON.stringify(res.body));
    }
  });

  it('captured the request events it searches (so the search can fail)', () => {
    expect(logLines.length).to.be.greaterThan(all.length * 20);
    expect(failing.logLines.some((l) => l.includes('triage.evaluation-failed'))).to.equal(true);
    expect(bodies.length).to.be.greaterThan(all.length * 10);
  });

  for (const field of ['nhsNumber', 'dateOfBirth', 'clinicianName', 'notes', 'externalReference'] as const) {
    it(`finds no canary ${field} in any log line or error body`, () => {
      const output = [...logLines, ...failing.logLines, ...bodies].join('\n');
      const leaks = all.filter((c) => output.includes(c[field]) || output.includes(c[field].slice(0, 12)));
      expect(leaks.map((c) => c[field]), `${field} leaked`).to.deep.equal([]);
    });
  }

  it('finds no canary identifying value in any audit trail', () => {
    expect(auditBodies.length).to.be.greaterThan(all.length / 2);
    const trails = auditBodies.join('\n');
    for (const c of all) for (const value of [c.nhsNumber, c.dateOfBirth, c.notes, c.externalReference]) expect(trails).to.not.contain(value);
  });

  it('logs the decision’s route and rule-set version, not the referral', () => {
    const success = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.status === 200 && l.route === '/api/v1/triage');
    expect(success).to.include({ event: 'http.request', rulesetVersion: '1.0.0', pathway: 'physio', urgency: 'routine' });
    expect(Object.keys(success ?? {})).to.not.include.members(['body', 'referral', 'patient', 'query', 'url']);
  });
});
