/**
 * Reads of patient data are audit events: opening a referral, reading its audit trail, reading the
 * review queue (who, what, when; never the patient data). And a GP's 404 for another practice's
 * referral takes the same time as one for an id that names none, so that its timing tells nothing.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { aReferral } from '../support/referral-factory.js';
import { db, testApp } from '../support/test-app.js';

const t = await testApp();
const practice = () => `R${randomUUID().replaceAll('-', '').slice(0, 8).toUpperCase()}`;

interface Row {
  event_type: string;
  actor: string;
  actor_role: string;
  referral_id: string | null;
  details: Record<string, unknown>;
}
const eventsAfter = async (seq: number): Promise<Row[]> => db.query<Row>('select event_type, actor, actor_role, referral_id, details from audit_events where seq > $1 order by seq', [seq]);
const headSeq = async (): Promise<number> => (await db.query<{ seq: number }>('select coalesce(max(seq), 0)::int as seq from audit_events'))[0]?.seq ?? 0;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

describe('reads of patient data', () => {
  it('records a clinician opening a referral and reading its audit trail, and the trail shows the opening', async () => {
    const ods = practice();
    const gp = await t.gpOf(ods);
    const patient = aReferral({ referrer: { odsCode: ods } });
    const { body } = await gp.post('/api/v1/referrals').send(patient);
    const id = body.id as string;
    const before = await headSeq();
    expect((await t.clinician.get(`/api/v1/referrals/${id}`)).status).to.equal(200);
    const trail = await t.clinician.get(`/api/v1/referrals/${id}/audit`);
    expect(trail.status).to.equal(200);
    const reads = await eventsAfter(before);
    expect(reads.map((row) => [row.event_type, row.referral_id, row.actor_role, row.details])).to.deep.equal([
      ['referral.read', id, 'triage-clinician', { view: 'referral' }],
      ['referral.read', id, 'triage-clinician', { view: 'audit-trail' }],
    ]);
    expect(reads[0]?.actor).to.match(/^person:/);
    const shown = (trail.body.events as Array<{ type: string; details: Record<string, unknown> }>).filter((event) => event.type === 'referral.read');
    expect(shown.map((event) => event.details)).to.deep.equal([{ view: 'referral' }]);
    // Nothing of the patient in what was recorded.
    const recorded = JSON.stringify(reads);
    for (const value of [patient.patient.nhsNumber, patient.patient.dateOfBirth]) expect(recorded).to.not.include(value);
  });

  it('records a GP reading their own referral, and nothing for a read that was refused but the refusal', async () => {
    const ods = practice();
    const gp = await t.gpOf(ods);
    const other = await t.gpOf(practice()); // issued now: its token.created comes before what is counted
    const { body } = await gp.post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: ods } }));
    const before = await headSeq();
    expect((await gp.get(`/api/v1/referrals/${body.id as string}`)).status).to.equal(200);
    expect((await other.get(`/api/v1/referrals/${body.id as string}`)).status).to.equal(404);
    expect((await eventsAfter(before)).map((row) => [row.event_type, row.actor_role, row.details.reason ?? row.details.view])).to.deep.equal([
      ['referral.read', 'gp', 'referral'],
      ['access.denied', 'gp', 'other-practice'],
    ]);
  });

  it('records each read of the review queue with its filters and how many referrals it showed', async () => {
    const before = await headSeq();
    const queue = await t.clinician.get('/api/v1/referrals?status=awaiting-review&pathway=secondary&limit=5');
    expect(queue.status).to.equal(200);
    const [event, ...rest] = await eventsAfter(before);
    expect(rest).to.deep.equal([]);
    expect(event).to.deep.include({ event_type: 'referral.queue-read', referral_id: null, actor_role: 'triage-clinician' });
    expect(event?.details).to.deep.equal({ status: 'awaiting-review', pathway: 'secondary', urgency: null, practice: null, synthetic: 'exclude', page: 'first', shown: (queue.body.items as unknown[]).length });
  });

  it('answers a GP 404 for another practice’s referral in the same time as for an id that names none (200 of each, interleaved)', async function () {
    this.timeout(120_000);
    const ods = practice();
    const { body } = await (await t.gpOf(ods)).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: ods } }));
    const outsider = await t.gpOf(practice());
    const timed = async (path: string) => {
      const started = performance.now();
      const res = await outsider.get(path);
      expect(res.status).to.equal(404);
      return performance.now() - started;
    };
    const theirs: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 20; i++) await timed(`/api/v1/referrals/${randomUUID()}`); // warm-up
    for (let i = 0; i < 200; i++) {
      // Alternating which goes first, so that neither always follows the other's work.
      const pair = i % 2 === 0 ? [true, false] : [false, true];
      for (const other of pair) {
        if (other) theirs.push(await timed(`/api/v1/referrals/${body.id as string}`));
        else unknown.push(await timed(`/api/v1/referrals/${randomUUID()}`));
      }
    }
    const [a, b] = [median(theirs), median(unknown)];
    // When only the other practice's denial was written, it took 2-3 times as long.
    expect(a / b, `median ${a.toFixed(2)} ms for another practice's referral against ${b.toFixed(2)} ms for an unknown id`).to.be.within(0.75, 1.33);
  });
});
