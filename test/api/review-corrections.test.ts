/**
 * A clinician corrects a review: an override of a reviewed referral that names the current decision
 * (If-Match) and the latest review (correctsReviewId) is a new decision linked to the one it
 * replaces, with a review and an audit event of its own, and the trail still verifies. Anything less
 * on a reviewed referral changes nothing: no If-Match, no review named or a confirmation is 409
 * ALREADY_REVIEWED; another decision or review named is 409 DECISION_CHANGED; of two corrections at
 * once, one is made.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { verifyCoverage, verifyRecords } from '../../src/audit/audit-trail.js';
import { caller, tokenFor } from '../support/callers.js';
import { expectError } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { db, testApp } from '../support/test-app.js';

const t = await testApp();
const practice = () => `R${randomUUID().replaceAll('-', '').slice(0, 8).toUpperCase()}`;
const CORRECTION = { outcome: 'overridden', pathway: 'physio', urgency: 'soon', reason: 'Imaging reported since: no fracture' } as const;

interface Read {
  status: string;
  decision: { id: string; source: string; pathway: string; urgency: string; replacesDecisionId: string | null; reason: string | null };
  decisions: Array<{ id: string }>;
  reviews: Array<{ id: string; outcome: string; reviewedDecisionId: string; newDecisionId: string | null }>;
}

const read = async (id: string): Promise<Read> => (await t.clinician.get(`/api/v1/referrals/${id}`).expect(200)).body as Read;
const review = (id: string, body: object, ifMatch?: string) => {
  const req = t.clinician.post(`/api/v1/referrals/${id}/review`);
  return (ifMatch === undefined ? req : req.set('If-Match', `"${ifMatch}"`)).send(body);
};

/** The trail's cross-checks, for this referral: every decision and review announced, state as they say, records as hashed. */
async function trailProblemsAbout(id: string): Promise<string[]> {
  return [...(await verifyCoverage(db)), ...(await verifyRecords(db))].filter((problem) => problem.includes(id));
}

describe('correcting a review', () => {
  let id: string;
  beforeEach(async () => {
    const ods = practice();
    const gp = await t.gpOf(ods);
    id = (await gp.post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: ods }, redFlags: { immunosuppressed: true } })).expect(201)).body.id as string;
  });

  it('corrects a confirmation: a new decision replacing the confirmed one, a review of its own, an event that names what it corrects', async () => {
    await review(id, { outcome: 'confirmed' }).expect(201);
    const before = await read(id);
    const confirmation = before.reviews.at(-1)?.id as string;
    const res = await review(id, { ...CORRECTION, correctsReviewId: confirmation }, before.decision.id).expect(201);
    expect(res.body).to.include({ status: 'reviewed', outcome: 'overridden', correctsReviewId: confirmation });

    const after = await read(id);
    expect(after.status).to.equal('reviewed');
    expect(after.decision).to.include({ id: res.body.decisionId, source: 'override', pathway: 'physio', urgency: 'soon', replacesDecisionId: before.decision.id, reason: CORRECTION.reason });
    expect(after.decisions.map((d) => d.id)).to.deep.equal([before.decision.id, res.body.decisionId]);
    expect(after.reviews.map((r) => [r.outcome, r.reviewedDecisionId, r.newDecisionId])).to.deep.equal([
      ['confirmed', before.decision.id, null],
      ['overridden', before.decision.id, res.body.decisionId],
    ]);
    const events = (await t.clinician.get(`/api/v1/referrals/${id}/audit`).expect(200)).body.events as Array<{ type: string; details: Record<string, unknown> }>;
    expect(events.filter((e) => e.type === 'referral.overridden').map((e) => e.details)).to.deep.equal([
      { ...events.find((e) => e.type === 'referral.overridden')?.details, reviewId: res.body.reviewId, correctsReviewId: confirmation, reviewedDecisionId: before.decision.id, decisionId: res.body.decisionId },
    ]);
    expect(await trailProblemsAbout(id)).to.deep.equal([]);
  });

  it('corrects an override, and that correction again: each a decision replacing the one before', async () => {
    const first = await review(id, { outcome: 'overridden', pathway: 'secondary', urgency: 'urgent', reason: 'Worse on examination' }).expect(201);
    const second = await review(id, { ...CORRECTION, correctsReviewId: first.body.reviewId }, first.body.decisionId).expect(201);
    const third = await review(id, { ...CORRECTION, urgency: 'routine', correctsReviewId: second.body.reviewId }, second.body.decisionId).expect(201);
    const after = await read(id);
    expect(after.decision).to.include({ id: third.body.decisionId, urgency: 'routine', replacesDecisionId: second.body.decisionId });
    expect(after.decisions).to.have.length(4);
    expect(await trailProblemsAbout(id)).to.deep.equal([]);
  });

  it('refuses anything less on a reviewed referral, and changes nothing', async () => {
    await review(id, { outcome: 'confirmed' }).expect(201);
    const before = await read(id);
    const latest = before.reviews.at(-1)?.id as string;
    // A client that may have read the referral before its review: no If-Match.
    expectError(await review(id, { ...CORRECTION, correctsReviewId: latest }), 409, 'ALREADY_REVIEWED');
    // An override written before another clinician confirmed: the same decision, but no review named.
    expectError(await review(id, CORRECTION, before.decision.id), 409, 'ALREADY_REVIEWED');
    // A second confirmation adds nothing.
    expectError(await review(id, { outcome: 'confirmed' }, before.decision.id), 409, 'ALREADY_REVIEWED');
    expectError(await review(id, { ...CORRECTION, correctsReviewId: randomUUID() }, before.decision.id), 409, 'DECISION_CHANGED');
    expectError(await review(id, { ...CORRECTION, correctsReviewId: latest }, randomUUID()), 409, 'DECISION_CHANGED');
    expectError(await review(id, { outcome: 'confirmed', correctsReviewId: latest }, before.decision.id), 400, 'REVIEW_INVALID');
    expect(await read(id)).to.deep.equal(before);
  });

  it('refuses a review that names a review where there is none', async () => {
    const before = await read(id);
    expectError(await review(id, { ...CORRECTION, correctsReviewId: randomUUID() }, before.decision.id), 409, 'DECISION_CHANGED');
    expect((await read(id)).status).to.equal('awaiting-review');
  });

  it('makes one of two corrections of the same review at once; the other is 409', async () => {
    const first = await review(id, { outcome: 'overridden', pathway: 'secondary', urgency: 'urgent', reason: 'Worse on examination' }).expect(201);
    const other = caller(t.app, await tokenFor(db, 'triage-clinician', { name: 'Dr O Other' }));
    const body = { ...CORRECTION, correctsReviewId: first.body.reviewId as string };
    const both = await Promise.all([
      review(id, body, first.body.decisionId),
      other.post(`/api/v1/referrals/${id}/review`).set('If-Match', `"${first.body.decisionId as string}"`).send({ ...body, urgency: 'routine' }),
    ]);
    expect(both.map((r) => r.status).sort()).to.deep.equal([201, 409]);
    expectError(both.find((r) => r.status === 409) as (typeof both)[number], 409, 'DECISION_CHANGED');
    expect((await read(id)).decisions).to.have.length(3);
  });
});
