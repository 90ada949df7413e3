/**
 * Properties over generated input: whatever JSON arrives, the answer is a decision (200) or the
 * documented error shape (400), never a crash or a 5xx; and a red flag never lowers urgency.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import request from 'supertest';
import { URGENCIES } from '../../src/rules/route-order.js';
import { ERRORS } from '../../src/http/error-catalogue.js';
import { aKneeReferral, aReferral, RED_FLAGS } from '../support/referral-factory.js';
import { registry, testApp } from '../support/test-app.js';

const { app } = testApp();

function expectDocumentedAnswer(res: request.Response): void {
  expect([200, 400], JSON.stringify(res.body)).to.include(res.status);
  if (res.status === 400) {
    const error = (res.body as { error: { code: string; issues?: Array<{ path: string; message: string }> } }).error;
    expect(Object.keys(ERRORS)).to.include(error.code);
    for (const issue of error.issues ?? []) {
      expect(issue.path).to.match(/^\//);
      expect(issue.message).to.be.a('string').and.not.equal('');
    }
  }
}

const PATHS = ['', 'patient', 'referrer', 'complaint', 'redFlags', 'findings', 'inflammatory', 'startBack', 'history'];
const FIELDS = ['nhsNumber', 'dateOfBirth', 'sex', 'odsCode', 'bodySite', 'durationWeeks', 'painScore', 'saddleAnaesthesia', 'swollenJointCount', 'axialSpaFeatures', 'bothersomeness', 'nonSurgicalCareWeeks', '__proto__', 'constructor', 'toString'];

/** A valid referral with one field, at one level, replaced by any JSON value (or removed). */
const mutatedReferral = fc
  .record({ at: fc.constantFrom(...PATHS), field: fc.constantFrom(...FIELDS), value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(null)) })
  .map(({ at, field, value }) => {
    const referral = JSON.parse(JSON.stringify(aReferral())) as Record<string, Record<string, unknown>>;
    const target: Record<string, unknown> = at === '' ? referral : (referral[at] ??= {});
    // defineProperty, so that __proto__ and constructor become own keys, as JSON.parse makes them
    Object.defineProperty(target, field, { value, enumerable: true, configurable: true, writable: true });
    return JSON.stringify(referral);
  });

describe('hostile and malformed input, generated', function () {
  this.timeout(120_000);

  it('answers any JSON value with a decision or the documented 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
        const res = await request(app).post('/api/v1/triage').set('content-type', 'application/json').send(JSON.stringify(value));
        expectDocumentedAnswer(res);
      }),
      { numRuns: 300 },
    );
  });

  it('answers any single-field mutation of a valid referral with a decision or the documented 400', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedReferral, async (body) => {
        const res = await request(app).post('/api/v1/triage').set('content-type', 'application/json').send(body);
        expectDocumentedAnswer(res);
      }),
      { numRuns: 500 },
    );
    expect(Object.getOwnPropertyNames(Object.prototype)).to.not.include('polluted');
  });

  it('answers arbitrary bytes with 400, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), async (text) => {
        const res = await request(app).post('/api/v1/triage').set('content-type', 'application/json').send(text);
        expect([400]).to.include(res.status);
      }),
      { numRuns: 200 },
    );
    expect((await request(app).get('/healthz')).status).to.equal(200);
  });
});

describe('clinical safety properties of msk-triage 1.0.0', () => {
  const ruleSet = registry.active('msk-triage');
  if (!ruleSet) throw new Error('no active rule set');
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

  it('gives every valid referral a route from a rule (1.0.0 has no gaps)', async () => {
    await fc.assert(
      fc.asyncProperty(clinicalReferral, async (referral) => {
        expect((await ruleSet.evaluate(referral, '2026-11-22')).outcome).to.equal('rule');
      }),
      { numRuns: 300 },
    );
  });
});
