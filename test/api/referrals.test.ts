/**
 * Referrals as a GP system and a triage clinician use them: submit, read, queue, review, audit,
 * replay, on the run's database (PGlite, or PostgreSQL with TEST_DATABASE_URL).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { validateDecision } from '../../src/schemas/schema-registry.js';
import { expectError, issuesOf } from '../support/error-shape.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';
import { testApp } from '../support/test-app.js';

const { app } = testApp();

/** Each test uses its own practice, so that its queue is its own in the shared database. */
const practice = () => `T${randomUUID().replaceAll('-', '').slice(0, 8).toUpperCase()}`;
const submit = (body: object, key?: string) => {
  const req = request(app).post('/api/v1/referrals').send(body);
  return key ? req.set('Idempotency-Key', key) : req;
};

describe('POST /api/v1/referrals', () => {
  it('stores the referral and its decision, answering 201 with Location, id and status', async () => {
    const res = await submit(aReferral({ referrer: { odsCode: practice() } }));
    expect(res.status).to.equal(201);
    expect(res.body.id).to.match(/^[0-9a-f-]{36}$/);
    expect(res.headers.location).to.equal(`/api/v1/referrals/${res.body.id}`);
    expect(res.body.status).to.equal('routed');
    expect(validateDecision(res.body.decision)).to.equal(true);
    const stored = await request(app).get(res.headers.location as string);
    expect(stored.status).to.equal(200);
    expect(stored.body.referral.patient.nhsNumber).to.equal('9434765919');
    expect(stored.body.decision).to.include({ source: 'rules', pathway: 'physio', urgency: 'routine' });
  });

  it('queues a decision that needs review as awaiting-review', async () => {
    const res = await submit(aReferral({ referrer: { odsCode: practice() }, startBack: { walkedShortDistancesOnly: false }, redFlags: { unexplainedMass: true, historyOfCancer: true } }));
    expect(res.status).to.equal(201);
    expect(res.body.status).to.equal('awaiting-review');
  });

  it('stores nothing for a referral that breaks the contract', async () => {
    const ods = practice();
    const res = await submit(aReferral({ referrer: { odsCode: ods }, redFlags: { nightPain: null } }));
    expectError(res, 400, 'REFERRAL_INVALID');
    const queue = await request(app).get('/api/v1/referrals?limit=200');
    expect((queue.body.items as Array<{ practiceOds: string }>).filter((i) => i.practiceOds === ods)).to.deep.equal([]);
  });

  describe('with an Idempotency-Key', () => {
    it('answers a retry with the same key and body with the stored answer, and stores one referral', async () => {
      const key = randomUUID();
      const body = aReferral({ referrer: { odsCode: practice() } });
      const first = await submit(body, key);
      const again = await submit(body, key);
      expect(first.status).to.equal(201);
      expect(again.status).to.equal(201);
      expect(again.body).to.deep.equal(first.body);
      expect(again.headers['idempotency-replayed']).to.equal('true');
      expect(again.headers.location).to.equal(first.headers.location);
    });

    it('answers 422 for the same key with another body', async () => {
      const key = randomUUID();
      await submit(aReferral({ referrer: { odsCode: practice() } }), key);
      expectError(await submit(aReferral({ referrer: { odsCode: practice() } }), key), 422, 'IDEMPOTENCY_KEY_REUSED');
    });

    it('stores one referral for ten concurrent requests with one key; the others are 409 or the same answer', async () => {
      const key = randomUUID();
      const ods = practice();
      const body = aReferral({ referrer: { odsCode: ods } });
      const answers = await Promise.all(Array.from({ length: 10 }, () => submit(body, key)));
      const created = answers.filter((r) => r.status === 201);
      expect(answers.every((r) => r.status === 201 || r.status === 409)).to.equal(true);
      expect(new Set(created.map((r) => r.body.id as string)).size).to.equal(1);
      for (const conflict of answers.filter((r) => r.status === 409)) expectError(conflict, 409, 'IDEMPOTENCY_IN_FLIGHT');
      const queue = await request(app).get('/api/v1/referrals?limit=200&status=routed');
      const mine = (queue.body.items as Array<{ practiceOds: string }>).filter((i) => i.practiceOds === ods);
      expect(mine).to.have.length(1);
    });

    it('refuses a malformed key', async () => {
      expectError(await submit(aReferral(), 'has spaces in it'), 400, 'IDEMPOTENCY_KEY_INVALID');
    });
  });
});

describe('GET /api/v1/referrals/{id}', () => {
  it('answers 404 for an unknown id or one that is not a UUID', async () => {
    expectError(await request(app).get(`/api/v1/referrals/${randomUUID()}`), 404, 'REFERRAL_NOT_FOUND');
    expectError(await request(app).get('/api/v1/referrals/9434765919'), 404, 'REFERRAL_NOT_FOUND');
  });
});

describe('the review queue, GET /api/v1/referrals', () => {
  it('orders the most urgent first, then the oldest, and pages with a cursor', async () => {
    const ods = practice();
    const routine = await submit(aKneeReferral({ referrer: { odsCode: ods } }));
    const emergency = await submit(aKneeReferral({ referrer: { odsCode: ods }, redFlags: { hotSwollenJoint: true } }));
    const urgent = await submit(aKneeReferral({ referrer: { odsCode: ods }, findings: { lockedKnee: true } }));
    const routine2 = await submit(aKneeReferral({ referrer: { odsCode: ods } }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(app).get(`/api/v1/referrals?status=routed&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).to.equal(200);
      expect(page.body.items.length).to.be.at.most(2);
      seen.push(...(page.body.items as Array<{ id: string; practiceOds: string }>).filter((i) => i.practiceOds === ods).map((i) => i.id));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).to.deep.equal([emergency.body.id, urgent.body.id, routine.body.id, routine2.body.id]);
  });

  it('filters by status, pathway and urgency', async () => {
    const ods = practice();
    await submit(aKneeReferral({ referrer: { odsCode: ods }, redFlags: { hotSwollenJoint: true } }));
    await submit(aKneeReferral({ referrer: { odsCode: ods } }));
    const res = await request(app).get('/api/v1/referrals?status=routed&pathway=secondary&urgency=emergency&limit=200');
    const mine = (res.body.items as Array<{ practiceOds: string; pathway: string; urgency: string }>).filter((i) => i.practiceOds === ods);
    expect(mine).to.have.length(1);
    expect(mine[0]).to.include({ pathway: 'secondary', urgency: 'emergency' });
  });

  it('refuses an unknown status, a page size over 200 and a forged cursor, listing each', async () => {
    const res = await request(app).get('/api/v1/referrals?status=lost&limit=500&cursor=abc');
    expectError(res, 400, 'QUERY_INVALID');
    expect(issuesOf(res).map((i) => i.path)).to.deep.equal(['/status', '/limit', '/cursor']);
  });
});

describe('POST /api/v1/referrals/{id}/review', () => {
  async function awaitingReview(): Promise<string> {
    const res = await submit(aReferral({ referrer: { odsCode: practice() }, startBack: { walkedShortDistancesOnly: false }, redFlags: { unexplainedMass: true, historyOfCancer: true } }));
    return res.body.id as string;
  }

  it('confirms the decision: status reviewed, the same decision, an audit event', async () => {
    const id = await awaitingReview();
    const res = await request(app).post(`/api/v1/referrals/${id}/review`).send({ outcome: 'confirmed' });
    expect(res.status).to.equal(201);
    const stored = await request(app).get(`/api/v1/referrals/${id}`);
    expect(stored.body.status).to.equal('reviewed');
    expect(stored.body.decisions).to.have.length(1);
    const audit = await request(app).get(`/api/v1/referrals/${id}/audit`);
    expect((audit.body.events as Array<{ type: string }>).map((e) => e.type)).to.deep.equal(['referral.submitted', 'referral.decided', 'referral.reviewed']);
  });

  it('overrides with a new decision linked to the one it replaces, never an update', async () => {
    const id = await awaitingReview();
    const before = await request(app).get(`/api/v1/referrals/${id}`);
    const res = await request(app).post(`/api/v1/referrals/${id}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'urgent', service: 'urgent-direct-access-ultrasound', reason: 'Mass is the leading concern; spinal imaging already booked.' });
    expect(res.status).to.equal(201);
    const after = await request(app).get(`/api/v1/referrals/${id}`);
    expect(after.body.status).to.equal('reviewed');
    expect(after.body.decisions).to.have.length(2);
    expect(after.body.decisions[0]).to.deep.equal(before.body.decisions[0]);
    expect(after.body.decision).to.include({ source: 'override', pathway: 'gp', urgency: 'urgent', replacesDecisionId: before.body.decision.id, reason: 'Mass is the leading concern; spinal imaging already booked.' });
    const audit = await request(app).get(`/api/v1/referrals/${id}/audit`);
    expect((audit.body.events as Array<{ type: string }>).at(-1)?.type).to.equal('referral.overridden');
  });

  it('requires a route and a reason to override, and no route to confirm', async () => {
    const id = await awaitingReview();
    const noReason = await request(app).post(`/api/v1/referrals/${id}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'urgent' });
    expectError(noReason, 400, 'REVIEW_INVALID');
    expect(issuesOf(noReason)).to.deep.equal([{ path: '/reason', message: 'is required' }]);
    const confirmWithRoute = await request(app).post(`/api/v1/referrals/${id}/review`).send({ outcome: 'confirmed', pathway: 'gp' });
    expect(issuesOf(confirmWithRoute)).to.deep.equal([{ path: '/pathway', message: 'is given only to override' }]);
  });

  it('answers 409 to a second review, and to one of two reviews at once', async () => {
    const id = await awaitingReview();
    const both = await Promise.all([
      request(app).post(`/api/v1/referrals/${id}/review`).send({ outcome: 'confirmed' }),
      request(app).post(`/api/v1/referrals/${id}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'urgent', reason: 'second opinion' }),
    ]);
    expect(both.map((r) => r.status).sort()).to.deep.equal([201, 409]);
    expectError(both.find((r) => r.status === 409) as request.Response, 409, 'ALREADY_REVIEWED');
    expectError(await request(app).post(`/api/v1/referrals/${id}/review`).send({ outcome: 'confirmed' }), 409, 'ALREADY_REVIEWED');
  });

  it('answers 404 for a referral that does not exist', async () => {
    expectError(await request(app).post(`/api/v1/referrals/${randomUUID()}/review`).send({ outcome: 'confirmed' }), 404, 'REFERRAL_NOT_FOUND');
  });
});

describe('POST /api/v1/referrals/{id}/replay', () => {
  it('re-evaluates with the recorded rule-set version and date and reports a match, as an audit event', async () => {
    const { body } = await submit(aReferral({ referrer: { odsCode: practice() }, redFlags: { saddleAnaesthesia: true } }));
    const res = await request(app).post(`/api/v1/referrals/${body.id as string}/replay`);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ referralId: body.id, result: 'matched', evaluationDate: '2026-11-22' });
    expect(res.body.ruleset).to.deep.equal(body.decision.ruleset);
    const stored = await request(app).get(`/api/v1/referrals/${body.id as string}`);
    const audit = await request(app).get(`/api/v1/referrals/${body.id as string}/audit`);
    expect((audit.body.events as Array<{ type: string }>).at(-1)).to.deep.include({ type: 'referral.replayed', details: { decisionId: stored.body.decision.id as string, result: 'matched' } });
  });
});

describe('when the database is gone', () => {
  it('answers 503 DATABASE_UNAVAILABLE and stores nothing, and /readyz says not ready', async function () {
    this.timeout(30_000);
    const { freshDatabase } = await import('../support/test-database.js');
    const { db, dispose } = await freshDatabase();
    const { app: doomed } = testApp({ db });
    await dispose();
    expectError(await request(doomed).post('/api/v1/referrals').send(aReferral()), 503, 'DATABASE_UNAVAILABLE');
    expectError(await request(doomed).get('/readyz'), 503, 'NOT_READY');
  });
});
