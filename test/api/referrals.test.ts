/**
 * Referrals as a GP system and a triage clinician use them: submit, read, queue, review, audit,
 * replay, on the run's database (PGlite, or PostgreSQL with TEST_DATABASE_URL). Each request carries
 * the token of the role that makes it: a GP of the referring practice submits and reads; a triage
 * clinician reads the queue, reviews, replays and reads the audit trail.
 */
import { expect } from 'chai';
import { createHash, randomUUID } from 'node:crypto';
import type request from 'supertest';
import type { Decision } from '../../src/generated/decision.js';
import type { Referral } from '../../src/generated/referral.js';
import { validateDecision } from '../../src/schemas/schema-registry.js';
import { issueToken } from '../../src/auth/api-tokens.js';
import { caller, type Caller } from '../support/callers.js';
import { expectError, issuesOf } from '../support/error-shape.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';
import { db, testApp } from '../support/test-app.js';

const t = await testApp();

/** Each test uses its own practice, so that its queue is its own in the shared database. */
const practice = () => `T${randomUUID().replaceAll('-', '').slice(0, 8).toUpperCase()}`;

/** Submitted as a GP of the referral's own practice, as the practice's system would. */
async function submit(body: Referral, key?: string): Promise<request.Response> {
  const req = (await t.gpOf(body.referrer.odsCode)).post('/api/v1/referrals').send(body);
  return key ? req.set('Idempotency-Key', key) : req;
}

/** The audit trail's pseudonymous id of a caller: `person:<the id of the person who holds the token>`. */
async function actorIdOf(who: Caller): Promise<string> {
  const sha256 = createHash('sha256').update(who.token ?? '', 'utf8').digest('hex');
  const [row] = await db.query<{ id: string }>('select person_id as id from api_tokens where token_sha256 = $1', [sha256]);
  if (!row) throw new Error('no such token');
  return `person:${row.id}`;
}

const storedCount = async (ods: string): Promise<number> =>
  (await db.query<{ n: number }>('select count(*)::int as n from referrals where practice_ods = $1', [ods]))[0]?.n ?? -1;

interface AuditRow {
  id: string;
  referral_id: string | null;
  event_type: string;
  actor: string;
  actor_role: string | null;
  details: Record<string, unknown>;
}
const denialsAbout = async (referralId: string): Promise<AuditRow[]> =>
  (await db.query<AuditRow>("select * from audit_events where event_type='access.denied' order by seq")).filter((row) => row.details.referralId === referralId);

/** What a GP is told of a decision: all of it but each fired rule's condition tree. */
const asToldToGp = (decision: Decision) => ({
  ...decision,
  firedRules: decision.firedRules.map(({ conditions: _conditions, ...rule }) => rule),
});

const GP_VIEW_KEYS = ['id', 'status', 'receivedAt', 'updatedAt', 'referral', 'decision'];
const GP_DECISION_KEYS = ['source', 'pathway', 'urgency', 'service', 'reviewRequired', 'ruleset', 'evaluationDate', 'reason', 'createdAt', 'explanation'];

describe('POST /api/v1/referrals', () => {
  it('stores the referral and its decision, answering 201 with Location, id and status', async () => {
    const ods = practice();
    const res = await submit(aReferral({ referrer: { odsCode: ods } }));
    expect(res.status).to.equal(201);
    expect(res.body.id).to.match(/^[0-9a-f-]{36}$/);
    expect(res.headers.location).to.equal(`/api/v1/referrals/${res.body.id}`);
    expect(res.body.status).to.equal('routed');
    // The full decision, as a triage clinician reads it, is the contract's decision.
    const stored = await t.clinician.get(res.headers.location as string);
    expect(stored.status).to.equal(200);
    expect(stored.body.referral.patient.nhsNumber).to.equal('9434765919');
    expect(stored.body.decision).to.include({ source: 'rules', pathway: 'physio', urgency: 'routine' });
    const full = stored.body.decision.explanation as Decision;
    expect(validateDecision(full), JSON.stringify(validateDecision.errors)).to.equal(true);
    expect(full.firedRules.length).to.be.above(0);
    // The GP who submitted is answered the same decision without the rules' condition trees.
    expect(res.body.decision).to.deep.equal(asToldToGp(full));
    expect(validateDecision(res.body.decision)).to.equal(false);
  });

  it("answers a GP reading their own practice's referral its status and current route, not the history or who decided", async () => {
    const ods = practice();
    const res = await submit(aReferral({ referrer: { odsCode: ods } }));
    const mine = await (await t.gpOf(ods)).get(res.headers.location as string);
    expect(mine.status).to.equal(200);
    expect(Object.keys(mine.body as object).sort()).to.deep.equal([...GP_VIEW_KEYS].sort());
    expect(Object.keys(mine.body.decision as object).sort()).to.deep.equal([...GP_DECISION_KEYS].sort());
    const full = (await t.clinician.get(res.headers.location as string)).body;
    expect(full.decisions).to.have.length(1);
    expect(full.decision).to.include.keys('id', 'decidedBy', 'decidedByName', 'decidedByRole', 'replacesDecisionId');
    // who decided (id, name and role) is the clinician's to see, not the GP's
    const { id: _id, decidedBy: _decidedBy, decidedByName: _name, decidedByRole: _role, replacesDecisionId: _replaces, explanation, ...shared } = full.decision as Record<string, unknown>;
    expect(mine.body).to.deep.equal({
      id: full.id,
      status: full.status,
      receivedAt: full.receivedAt,
      updatedAt: full.updatedAt,
      referral: full.referral,
      decision: { ...shared, explanation: asToldToGp(explanation as Decision) },
    });
    expect(mine.body.decision.explanation).to.deep.equal(res.body.decision);
    expect(JSON.stringify(mine.body)).to.not.match(/"conditions"|"decidedBy"|"decisions"/);
  });

  it('queues a decision that needs review as awaiting-review', async () => {
    const res = await submit(aReferral({ referrer: { odsCode: practice() }, redFlags: { immunosuppressed: true } })); // MSK-V01 asks for review
    expect(res.status).to.equal(201);
    expect(res.body.status).to.equal('awaiting-review');
  });

  it('stores nothing for a referral that breaks the contract', async () => {
    const ods = practice();
    const res = await submit(aReferral({ referrer: { odsCode: ods }, redFlags: { nightPain: null } }));
    expectError(res, 400, 'REFERRAL_INVALID');
    const queue = await t.clinician.get('/api/v1/referrals?limit=200');
    expect(queue.status).to.equal(200);
    expect((queue.body.items as Array<{ practiceOds: string }>).filter((i) => i.practiceOds === ods)).to.deep.equal([]);
    expect(await storedCount(ods)).to.equal(0);
  });

  it('refuses a GP who refers for another practice: 403 at /referrer/odsCode, nothing stored', async () => {
    const own = practice();
    const other = practice();
    for (const key of [undefined, randomUUID()]) {
      const req = (await t.gpOf(own)).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: other } }));
      const res = await (key ? req.set('Idempotency-Key', key) : req);
      expectError(res, 403, 'FORBIDDEN');
      expect(issuesOf(res)).to.deep.equal([{ path: '/referrer/odsCode', message: 'must be the ODS code of your own practice' }]);
    }
    expect(await storedCount(other)).to.equal(0);
    expect(await storedCount(own)).to.equal(0);
  });

  it('refuses a GP who sets the status, decision, route, rule version or review flag: 400, nothing stored', async () => {
    const ods = practice();
    const fields: Record<string, unknown> = {
      status: 'routed',
      decision: { pathway: 'physio', urgency: 'routine', service: 'msk-physiotherapy' },
      route: { pathway: 'physio', urgency: 'routine', service: 'msk-physiotherapy' },
      ruleVersion: '1.0.0',
      reviewRequired: false,
    };
    for (const [field, value] of Object.entries(fields)) {
      const res = await submit(aReferral({ referrer: { odsCode: ods }, [field]: value }));
      expectError(res, 400, 'REFERRAL_INVALID');
      expect(issuesOf(res), field).to.deep.equal([{ path: `/${field}`, message: 'is not a field of this contract; remove it' }]);
    }
    expect(await storedCount(ods)).to.equal(0);
  });

  describe('with an Idempotency-Key', () => {
    it('answers a retry with the same key and body with the stored answer, and stores one referral', async () => {
      const key = randomUUID();
      const ods = practice();
      const body = aReferral({ referrer: { odsCode: ods } });
      const first = await submit(body, key);
      const again = await submit(body, key);
      expect(first.status).to.equal(201);
      expect(again.status).to.equal(201);
      expect(again.body).to.deep.equal(first.body);
      expect(again.headers['idempotency-replayed']).to.equal('true');
      expect(again.headers.location).to.equal(first.headers.location);
      expect(await storedCount(ods)).to.equal(1);
    });

    it('answers 422 for the same key with another body from the same practice', async () => {
      const key = randomUUID();
      const ods = practice();
      expect((await submit(aReferral({ referrer: { odsCode: ods } }), key)).status).to.equal(201);
      expectError(await submit(aReferral({ referrer: { odsCode: ods }, notes: 'Another referral.' }), key), 422, 'IDEMPOTENCY_KEY_REUSED');
      expect(await storedCount(ods)).to.equal(1);
    });

    it('keeps each practice its own keys: the same key from two practices stores two referrals', async () => {
      const key = randomUUID();
      const [a, b] = [practice(), practice()];
      const fromA = await submit(aReferral({ referrer: { odsCode: a } }), key);
      const fromB = await submit(aReferral({ referrer: { odsCode: b } }), key);
      expect([fromA.status, fromB.status]).to.deep.equal([201, 201]);
      expect(fromB.headers['idempotency-replayed']).to.equal(undefined);
      expect(fromB.body.id).to.not.equal(fromA.body.id);
      expect([await storedCount(a), await storedCount(b)]).to.deep.equal([1, 1]);
      const againA = await submit(aReferral({ referrer: { odsCode: a } }), key);
      expect(againA.headers['idempotency-replayed']).to.equal('true');
      expect(againA.body.id).to.equal(fromA.body.id);
    });

    it('stores one referral for ten concurrent requests with one key; the others are 409 or the same answer', async () => {
      const key = randomUUID();
      const ods = practice();
      const body = aReferral({ referrer: { odsCode: ods } });
      await t.gpOf(ods); // the token first, so that the ten requests start together
      const answers = await Promise.all(Array.from({ length: 10 }, () => submit(body, key)));
      const created = answers.filter((r) => r.status === 201);
      expect(answers.every((r) => r.status === 201 || r.status === 409)).to.equal(true);
      expect(new Set(created.map((r) => r.body.id as string)).size).to.equal(1);
      for (const conflict of answers.filter((r) => r.status === 409)) expectError(conflict, 409, 'IDEMPOTENCY_IN_FLIGHT');
      const queue = await t.clinician.get('/api/v1/referrals?limit=200&status=routed');
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
    expectError(await t.clinician.get(`/api/v1/referrals/${randomUUID()}`), 404, 'REFERRAL_NOT_FOUND');
    expectError(await t.clinician.get('/api/v1/referrals/9434765919'), 404, 'REFERRAL_NOT_FOUND');
  });

  it("answers a GP of another practice 404, exactly as for an unknown id, and records the attempt", async () => {
    const ods = practice();
    const { body } = await submit(aReferral({ referrer: { odsCode: ods } }));
    const outsider = await t.gpOf(practice());
    const unknownId = randomUUID();
    const theirs = await outsider.get(`/api/v1/referrals/${body.id as string}`);
    const unknown = await outsider.get(`/api/v1/referrals/${unknownId}`);
    expectError(theirs, 404, 'REFERRAL_NOT_FOUND');
    expectError(unknown, 404, 'REFERRAL_NOT_FOUND');
    // Byte for byte the same answer, but for the request id: nothing tells the referral exists.
    const withoutRequestId = (res: request.Response) => res.text.replace(res.headers['x-request-id'] as string, '<request-id>');
    expect(withoutRequestId(theirs)).to.equal(withoutRequestId(unknown));
    expect(theirs.text).to.not.include(body.id as string);
    expect(theirs.headers['content-type']).to.equal(unknown.headers['content-type']);

    const denials = await denialsAbout(body.id as string);
    expect(denials).to.have.length(1);
    expect(denials[0]).to.deep.include({ referral_id: null, actor: await actorIdOf(outsider), actor_role: 'gp' });
    expect(denials[0]?.details).to.deep.equal({ method: 'GET', route: '/api/v1/referrals/:id', reason: 'other-practice', referralId: body.id as string });
    // The unknown id is recorded the same way (so that both 404s do the same work, and take the same time).
    const probes = await denialsAbout(unknownId);
    expect(probes.map((row) => row.details)).to.deep.equal([{ method: 'GET', route: '/api/v1/referrals/:id', reason: 'no-such-referral', referralId: unknownId }]);
    // ... and the referral's own practice still reads it.
    expect((await (await t.gpOf(ods)).get(`/api/v1/referrals/${body.id as string}`)).status).to.equal(200);
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
      const page: request.Response = await t.clinician.get(`/api/v1/referrals?status=routed&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
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
    const res = await t.clinician.get('/api/v1/referrals?status=routed&pathway=secondary&urgency=emergency&limit=200');
    const mine = (res.body.items as Array<{ practiceOds: string; pathway: string; urgency: string }>).filter((i) => i.practiceOds === ods);
    expect(mine).to.have.length(1);
    expect(mine[0]).to.include({ pathway: 'secondary', urgency: 'emergency' });
  });

  it('refuses an unknown status, a page size over 200 and a forged cursor, listing each', async () => {
    const res = await t.clinician.get('/api/v1/referrals?status=lost&limit=500&cursor=abc');
    expectError(res, 400, 'QUERY_INVALID');
    expect(issuesOf(res).map((i) => i.path)).to.deep.equal(['/status', '/limit', '/cursor']);
  });
});

describe('POST /api/v1/referrals/{id}/review', () => {
  async function awaitingReview(ods = practice()): Promise<string> {
    const res = await submit(aReferral({ referrer: { odsCode: ods }, redFlags: { immunosuppressed: true } })); // MSK-V01 asks for review
    expect(res.body.status).to.equal('awaiting-review');
    return res.body.id as string;
  }

  it('confirms the decision: status reviewed, the same decision, an audit event', async () => {
    const id = await awaitingReview();
    const res = await t.clinician.post(`/api/v1/referrals/${id}/review`).send({ outcome: 'confirmed' });
    expect(res.status).to.equal(201);
    const stored = await t.clinician.get(`/api/v1/referrals/${id}`);
    expect(stored.body.status).to.equal('reviewed');
    expect(stored.body.decisions).to.have.length(1);
    const audit = await t.clinician.get(`/api/v1/referrals/${id}/audit`);
    // The clinician's read of the referral after the review is in the trail too.
    expect((audit.body.events as Array<{ type: string }>).map((e) => e.type)).to.deep.equal(['referral.submitted', 'referral.decided', 'referral.reviewed', 'referral.read']);
  });

  it('records who did each step: the GP submitted, the triage clinician reviewed', async () => {
    const ods = practice();
    const id = await awaitingReview(ods);
    expect((await t.clinician.post(`/api/v1/referrals/${id}/review`).send({ outcome: 'confirmed' })).status).to.equal(201);
    const audit = await t.clinician.get(`/api/v1/referrals/${id}/audit`);
    const gp = await actorIdOf(await t.gpOf(ods));
    const clinician = await actorIdOf(t.clinician);
    expect(gp).to.match(/^person:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(clinician).to.match(/^person:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((audit.body.events as Array<{ type: string; actor: string; actorRole: string }>).map(({ type, actor, actorRole }) => ({ type, actor, actorRole }))).to.deep.equal([
      { type: 'referral.submitted', actor: gp, actorRole: 'gp' },
      { type: 'referral.decided', actor: gp, actorRole: 'gp' },
      { type: 'referral.reviewed', actor: clinician, actorRole: 'triage-clinician' },
    ]);
  });

  it('shows who reviewed and who overrode by name and role, and takes one clinician with two tokens as one actor', async () => {
    const first = await issueToken(db, { role: 'triage-clinician', name: 'Dr T Clinician', expiresAt: null, now: new Date() });
    const second = await issueToken(db, { role: 'triage-clinician', name: 'T Clinician (ward PC)', expiresAt: null, now: new Date(), personId: first.person.id });
    const reviewedBy = { id: `person:${first.person.id}`, name: 'Dr T Clinician', role: 'triage-clinician' };
    const ods = practice();
    const [confirmedId, overriddenId] = [await awaitingReview(ods), await awaitingReview(ods)];
    const confirmed = await caller(t.app, first.token).post(`/api/v1/referrals/${confirmedId}/review`).send({ outcome: 'confirmed' });
    expect(confirmed.status).to.equal(201);
    expect(confirmed.body.reviewedBy).to.deep.equal(reviewedBy);
    const overridden = await caller(t.app, second.token).post(`/api/v1/referrals/${overriddenId}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'soon', reason: 'seen in clinic' });
    expect(overridden.status).to.equal(201);
    expect(overridden.body.reviewedBy, 'the second token is the same person').to.deep.equal(reviewedBy);
    const stored = await t.clinician.get(`/api/v1/referrals/${overriddenId}`);
    expect(stored.body.decision).to.include({ source: 'override', decidedBy: reviewedBy.id, decidedByName: 'Dr T Clinician', decidedByRole: 'triage-clinician' });
    expect(stored.body.decisions[0]).to.include({ source: 'rules', decidedByName: null, decidedByRole: null });
    const reviews = (await t.clinician.get(`/api/v1/referrals/${confirmedId}`)).body.reviews as Array<Record<string, unknown>>;
    expect(reviews.map((r) => [r.outcome, r.reviewedBy])).to.deep.equal([['confirmed', reviewedBy]]);
    const asGp = await (await t.gpOf(ods)).get(`/api/v1/referrals/${overriddenId}`);
    expect(JSON.stringify(asGp.body), 'a GP is not told who reviewed').to.not.contain('Clinician');
    // The review events' actors (the trail also holds the reads of the referral since).
    const actors = await Promise.all([confirmedId, overriddenId].map(async (id) => ((await t.clinician.get(`/api/v1/referrals/${id}/audit`)).body.events as Array<{ type: string; actor: string }>).filter((e) => e.type === 'referral.reviewed' || e.type === 'referral.overridden').at(-1)?.actor));
    expect(actors).to.deep.equal([reviewedBy.id, reviewedBy.id]);
    const audit = JSON.stringify((await t.clinician.get(`/api/v1/referrals/${overriddenId}/audit`)).body);
    expect(audit, 'the audit trail names people by id only').to.not.contain('Dr T Clinician');
  });

  it('overrides with a new decision linked to the one it replaces, never an update', async () => {
    const id = await awaitingReview();
    const before = await t.clinician.get(`/api/v1/referrals/${id}`);
    const res = await t.clinician.post(`/api/v1/referrals/${id}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'urgent', service: 'urgent-direct-access-ultrasound', reason: 'Mass is the leading concern; spinal imaging already booked.' });
    expect(res.status).to.equal(201);
    const after = await t.clinician.get(`/api/v1/referrals/${id}`);
    expect(after.body.status).to.equal('reviewed');
    expect(after.body.decisions).to.have.length(2);
    expect(after.body.decisions[0]).to.deep.equal(before.body.decisions[0]);
    expect(after.body.decision).to.include({ source: 'override', pathway: 'gp', urgency: 'urgent', replacesDecisionId: before.body.decision.id, reason: 'Mass is the leading concern; spinal imaging already booked.' });
    const audit = await t.clinician.get(`/api/v1/referrals/${id}/audit`);
    // The override, then the clinician's read of the referral after it.
    expect((audit.body.events as Array<{ type: string }>).slice(-2).map((e) => e.type)).to.deep.equal(['referral.overridden', 'referral.read']);
  });

  it('requires a route and a reason to override, and no route to confirm', async () => {
    const id = await awaitingReview();
    const noReason = await t.clinician.post(`/api/v1/referrals/${id}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'urgent' });
    expectError(noReason, 400, 'REVIEW_INVALID');
    expect(issuesOf(noReason)).to.deep.equal([{ path: '/reason', message: 'is required' }]);
    const confirmWithRoute = await t.clinician.post(`/api/v1/referrals/${id}/review`).send({ outcome: 'confirmed', pathway: 'gp' });
    expectError(confirmWithRoute, 400, 'REVIEW_INVALID');
    expect(issuesOf(confirmWithRoute)).to.deep.equal([{ path: '/pathway', message: 'is given only to override' }]);
  });

  it('answers 409 to a second review, and to one of two reviews at once', async () => {
    const id = await awaitingReview();
    const both = await Promise.all([
      t.clinician.post(`/api/v1/referrals/${id}/review`).send({ outcome: 'confirmed' }),
      t.clinician.post(`/api/v1/referrals/${id}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'urgent', reason: 'second opinion' }),
    ]);
    expect(both.map((r) => r.status).sort()).to.deep.equal([201, 409]);
    expectError(both.find((r) => r.status === 409) as request.Response, 409, 'ALREADY_REVIEWED');
    expectError(await t.clinician.post(`/api/v1/referrals/${id}/review`).send({ outcome: 'confirmed' }), 409, 'ALREADY_REVIEWED');
  });

  it('names who decided each decision to a triage clinician, by name and role, beside the pseudonymous id', async () => {
    const id = await awaitingReview();
    await t.clinician.post(`/api/v1/referrals/${id}/review`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'soon', reason: 'advice first' }).expect(201);
    const read = await t.clinician.get(`/api/v1/referrals/${id}`).expect(200);
    // The name and the role as two fields (docs/http-api.md); the rules' own decision has neither.
    const decisions = read.body.decisions as Array<{ decidedBy: string; decidedByName: string | null; decidedByRole: string | null }>;
    expect(decisions.map((d) => [d.decidedBy === 'rules' ? 'rules' : 'person', d.decidedByName, d.decidedByRole])).to.deep.equal([['rules', null, null], ['person', 'test triage-clinician', 'triage-clinician']]);
    expect(decisions[1]?.decidedBy).to.equal(await actorIdOf(t.clinician));
    expect(read.body.decision).to.include({ decidedByName: 'test triage-clinician', decidedByRole: 'triage-clinician' });
  });

  it('reviews only while If-Match names the current decision: a stale one is 409 DECISION_CHANGED, and nothing changes', async () => {
    const id = await awaitingReview();
    const read = await t.clinician.get(`/api/v1/referrals/${id}`).expect(200);
    const decisionId = read.body.decision.id as string;
    expectError(await t.clinician.post(`/api/v1/referrals/${id}/review`).set('If-Match', `"${randomUUID()}"`).send({ outcome: 'confirmed' }), 409, 'DECISION_CHANGED');
    expect((await t.clinician.get(`/api/v1/referrals/${id}`)).body.status).to.equal('awaiting-review');
    const done = await t.clinician.post(`/api/v1/referrals/${id}/review`).set('If-Match', `"${decisionId}"`).send({ outcome: 'overridden', pathway: 'gp', urgency: 'soon', reason: 'advice first' }).expect(201);
    expect(done.body.decisionId).to.not.equal(decisionId);
    expectError(await t.clinician.post(`/api/v1/referrals/${id}/review`).set('If-Match', `"${decisionId}"`).send({ outcome: 'confirmed' }), 409, 'DECISION_CHANGED');
  });

  it('answers 404 for a referral that does not exist', async () => {
    expectError(await t.clinician.post(`/api/v1/referrals/${randomUUID()}/review`).send({ outcome: 'confirmed' }), 404, 'REFERRAL_NOT_FOUND');
  });
});

describe('POST /api/v1/referrals/{id}/replay', () => {
  it('re-evaluates with the recorded rule-set version and date and reports a match, as an audit event', async () => {
    const { body } = await submit(aReferral({ referrer: { odsCode: practice() }, redFlags: { saddleAnaesthesia: true } }));
    const res = await t.clinician.post(`/api/v1/referrals/${body.id as string}/replay`);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ referralId: body.id, result: 'matched', evaluationDate: '2026-11-22' });
    expect(res.body.ruleset).to.deep.equal(body.decision.ruleset);
    const stored = await t.clinician.get(`/api/v1/referrals/${body.id as string}`);
    const audit = await t.clinician.get(`/api/v1/referrals/${body.id as string}/audit`);
    // The replay, then the clinician's read of the referral after it.
    expect((audit.body.events as Array<{ type: string }>).at(-1)).to.deep.include({ type: 'referral.read', details: { view: 'referral' } });
    expect((audit.body.events as Array<{ type: string }>).at(-2)).to.deep.include({
      type: 'referral.replayed',
      actor: await actorIdOf(t.clinician),
      actorRole: 'triage-clinician',
    });
    const replayed = (audit.body.events as Array<{ type: string; details: Record<string, unknown> }>).at(-2);
    // With the hash of the decision it replayed, as the decision's row stood then (record-hashes.ts).
    expect(replayed?.details).to.include({ decisionId: stored.body.decision.id as string, result: 'matched' });
    expect(Object.keys(replayed?.details ?? {}).sort()).to.deep.equal(['decisionId', 'decisionSha256', 'result']);
    expect(replayed?.details.decisionSha256).to.match(/^[0-9a-f]{64}$/);
  });
});

describe('when the database is gone', () => {
  it('answers 503 DATABASE_UNAVAILABLE and stores nothing, and /readyz says not ready', async function () {
    this.timeout(30_000);
    const { freshDatabase } = await import('../support/test-database.js');
    const { db: doomedDb } = await freshDatabase();
    const doomed = await testApp({ db: doomedDb });
    const gp = await doomed.gpOf('J82001');
    await doomedDb.close(); // closed, not given back (test/support/test-database.ts)
    expectError(await gp.post('/api/v1/referrals').send(aReferral()), 503, 'DATABASE_UNAVAILABLE');
    expectError(await doomed.anonymous.get('/readyz'), 503, 'NOT_READY');
  });
});
