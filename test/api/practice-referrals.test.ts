/**
 * A GP's own practice's referrals over the API: GET /api/v1/referrals with a GP's token lists that
 * practice's referrals only, newest first, in pages, filtered by status; the practice is the token's.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { expectError } from '../support/error-shape.js';
import { aKneeReferral, aReferral } from '../support/referral-factory.js';
import { testApp } from '../support/test-app.js';

const t = await testApp();
interface Item { id: string; practiceOds: string }
const itemsOf = (res: { body: unknown }): Item[] => (res.body as { items: Item[] }).items;
const idsOf = (res: { body: unknown }): string[] => itemsOf(res).map((i) => i.id);
const practice = () => `P${randomUUID().replaceAll('-', '').slice(0, 8).toUpperCase()}`;

describe("a GP's own practice's referrals (GET /api/v1/referrals)", () => {
  it('lists only the own practice’s referrals, newest first', async () => {
    const own = practice();
    const other = practice();
    const gp = await t.gpOf(own);
    const ids: string[] = [];
    for (const body of [aReferral({ referrer: { odsCode: own } }), aKneeReferral({ referrer: { odsCode: own } }), aReferral({ referrer: { odsCode: own } })]) {
      ids.push(((await gp.post('/api/v1/referrals').send(body).expect(201)).body as { id: string }).id);
    }
    await (await t.gpOf(other)).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: other } })).expect(201);
    const res = await gp.get('/api/v1/referrals').expect(200);
    expect(res.headers['cache-control']).to.equal('no-store');
    expect(idsOf(res)).to.deep.equal([...ids].reverse());
    expect(itemsOf(res).every((i) => i.practiceOds === own)).to.equal(true);
    expect(itemsOf(res).some((i) => 'possibleDuplicate' in i), 'a mark that could tell of another practice').to.equal(false);
    expect(res.body.nextCursor).to.equal(null);
  });

  it('pages with the cursor it gives, and filters by status', async () => {
    const own = practice();
    const gp = await t.gpOf(own);
    const ids: string[] = [];
    // The first waits for a clinician's review (a red flag no knee rule handles: MSK-N01), the others are routed.
    const bodies = [aKneeReferral({ referrer: { odsCode: own }, redFlags: { bilateralLegSymptoms: true } }), aReferral({ referrer: { odsCode: own } }), aReferral({ referrer: { odsCode: own } })];
    for (const body of bodies) ids.push(((await gp.post('/api/v1/referrals').send(body).expect(201)).body as { id: string }).id);
    const latest = await gp.post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: own }, redFlags: { saddleAnaesthesia: true } })).expect(201);
    const first = await gp.get('/api/v1/referrals?limit=2').expect(200);
    expect(idsOf(first)).to.deep.equal([latest.body.id, ids[2]]);
    const second = await gp.get(`/api/v1/referrals?limit=2&cursor=${first.body.nextCursor as string}`).expect(200);
    expect(idsOf(second)).to.deep.equal([ids[1], ids[0]]);
    expect(second.body.nextCursor).to.equal(null);
    // Each status filter lists only its own; together they list them all.
    const waiting = await gp.get('/api/v1/referrals?status=awaiting-review').expect(200);
    expect(idsOf(waiting)).to.deep.equal([ids[0]]);
    const routed = await gp.get('/api/v1/referrals?status=routed,reviewed').expect(200);
    expect(idsOf(routed)).to.deep.equal([latest.body.id, ids[2], ids[1]]);
  });

  it('refuses the queue’s other filters and a cursor it did not give, with QUERY_INVALID', async () => {
    const gp = await t.gpOf(practice());
    expectError(await gp.get('/api/v1/referrals?pathway=physio'), 400, 'QUERY_INVALID');
    expectError(await gp.get('/api/v1/referrals?cursor=bm90LWEtY3Vyc29y'), 400, 'QUERY_INVALID');
    expectError(await gp.get('/api/v1/referrals?status=lost'), 400, 'QUERY_INVALID');
  });
});
