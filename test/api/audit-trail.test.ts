/**
 * The audit trail is append-only and tamper-evident: the database refuses updates and deletes,
 * and the verifier names the first row that was edited, deleted or reordered behind its back.
 * These tests own a fresh database, because they tamper with it.
 */
import { expect } from 'chai';
import { verifyAuditChain, verifyCoverage, verifyRecords } from '../../src/audit/audit-trail.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import type { Database } from '../../src/store/database.js';
import { syntheticReferrals } from '../../src/schemas/synthetic-referrals.js';
import { expectError } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { freshDatabase } from '../support/test-database.js';
import { activeVersion, testApp, type TestApp } from '../support/test-app.js';

describe('the audit trail', function () {
  this.timeout(60_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let t: TestApp;

  before(async () => {
    ({ db, dispose } = await freshDatabase());
    t = await testApp({ db });
    // each referral sent by a GP of its own practice
    for (const referral of syntheticReferrals(300, 7)) {
      expect((await (await t.gpOf(referral.referrer.odsCode)).post('/api/v1/referrals').send(referral)).status).to.equal(201);
    }
  });
  after(() => dispose());

  /** Runs SQL past the append-only triggers, as someone with direct database access could. */
  async function tamper(sql: string): Promise<void> {
    await db.transaction(async (tx) => {
      await tx.query('set local role none'); // as the tables' owner would: the runtime role may not
      await tx.query('alter table audit_events disable trigger user');
      await tx.query(sql);
      await tx.query('alter table audit_events enable trigger user');
    });
  }

  it('verifies: every row of the chain checks out', async () => {
    const result = await verifyAuditChain(db);
    // Two events a referral (submitted, decided), and one for each token its practice's GP was issued.
    const [tokens] = await db.query<{ n: number }>('select count(*)::int as n from api_tokens');
    expect(result).to.deep.include({ ok: true, rows: 600 + (tokens?.n ?? 0) });
    expect(await verifyCoverage(db)).to.deep.equal([]);
    // every row names its actor pseudonymously, with the actor's role: here, the GPs who referred
    // (the tokens' events are the operator's, who issued them: test/api/cli.test.ts)
    const actors = await db.query<{ actor: string; actor_role: string | null }>("select distinct actor, actor_role from audit_events where event_type <> 'token.created'");
    expect(actors.length).to.be.above(1);
    for (const { actor, actor_role } of actors) {
      expect(actor).to.match(/^person:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(actor_role).to.equal('gp');
    }
  });

  /** The message `sql` is refused with, as the service runs (the runtime role) and as the tables' owner. */
  async function refusals(sql: string): Promise<{ runtime: string; owner: string }> {
    const refusal = (run: Promise<unknown>) => run.then(() => '(not refused)', (error: Error) => error.message);
    const runtime = await refusal(db.query(sql));
    const owner = await refusal(db.transaction(async (tx) => {
      await tx.query('set local role none');
      await tx.query(sql);
    }));
    return { runtime, owner };
  }

  it('is refused updates, deletes and truncation by the database itself, with the runtime role\'s rights and with the owner\'s', async () => {
    for (const sql of ["update audit_events set actor = 'someone else' where seq = 1", 'delete from audit_events where seq = 1', 'truncate audit_events', "update decisions set pathway = 'gp'"]) {
      const { runtime, owner } = await refusals(sql);
      expect(runtime, sql).to.match(/^permission denied for table (audit_events|decisions)$/);
      expect(owner, sql).to.match(/append-only/);
    }
  });

  it('never lets a submitted referral change', async () => {
    const { runtime, owner } = await refusals(`update referrals set referral = jsonb_set(referral, '{notes}', '"changed"')`);
    expect(runtime).to.equal('permission denied for table referrals');
    expect(owner).to.match(/never changed/);
  });

  it('keeps a referral whose evaluation failed, with no route, awaiting manual triage', async () => {
    const base = activeVersion;
    class Broken extends CompiledRuleSet {
      override evaluate(): never {
        throw new TypeError('engine broke');
      }
    }
    const failing = await testApp({ db, registry: new RuleSetRegistry([{ ...base, compiled: new Broken(base.compiled.document) }]) });
    const res = await (await failing.gpOf('J82001')).post('/api/v1/referrals').send(aReferral());
    expect(res.status).to.equal(202);
    expect(res.body).to.deep.include({ status: 'awaiting-manual-triage', decision: null });
    const stored = await t.clinician.get(res.headers.location as string);
    expect(stored.body.decision).to.include({ source: 'evaluation-failed', pathway: null, urgency: null });
    const queue = await t.clinician.get('/api/v1/referrals?status=awaiting-manual-triage,routed&limit=1');
    expect(queue.body.items[0].id).to.equal(res.body.id); // no route sorts before emergency
    expectError(await t.clinician.post(`/api/v1/referrals/${res.body.id as string}/review`).send({ outcome: 'confirmed' }), 409, 'NOTHING_TO_CONFIRM');
    const override = await t.clinician.post(`/api/v1/referrals/${res.body.id as string}/review`).send({ outcome: 'overridden', pathway: 'physio', urgency: 'routine', reason: 'triaged by hand' });
    expect(override.status).to.equal(201);
    const audit = await t.clinician.get(`/api/v1/referrals/${res.body.id as string}/audit`);
    // The clinician's read of the referral, between the failure and the override, is in the trail too.
    expect((audit.body.events as Array<{ type: string }>).map((e) => e.type)).to.deep.equal(['referral.submitted', 'referral.evaluation-failed', 'referral.read', 'referral.overridden']);
  });

  it('replays 300 stored referrals, each to exactly the decision it got', async () => {
    const rows = await db.query<{ id: string }>("select referral_id as id from decisions where source = 'rules'");
    expect(rows.length).to.be.at.least(300);
    for (const { id } of rows) {
      const replay = await t.clinician.post(`/api/v1/referrals/${id}/replay`);
      expect(replay.status, id).to.equal(200);
      expect(replay.body.result, id).to.equal('matched');
    }
  });

  describe('when someone changes the table behind its back', () => {
    it('notices a deleted last row, through the state it recorded', async () => {
      expect(await verifyCoverage(db)).to.deep.equal([]);
      expect((await (await t.gpOf('J82001')).post('/api/v1/referrals').send(aReferral())).status).to.equal(201);
      const [last] = await db.query<{ seq: number; event_type: string }>('select seq::int as seq, event_type from audit_events order by seq desc limit 1');
      expect(last?.event_type).to.equal('referral.decided');
      await tamper(`delete from audit_events where seq = ${last?.seq ?? 0}`);
      expect((await verifyAuditChain(db)).ok).to.equal(true); // the chain alone cannot see its own tail cut
      expect((await verifyCoverage(db)).join()).to.match(/decision .* has no audit event/);
    });

    it('names a referral whose status, route and queue rank were edited in place, from its own decisions and reviews', async () => {
      const res = await (await t.gpOf('J82001')).post('/api/v1/referrals').send(aReferral({ redFlags: { saddleAnaesthesia: true } }));
      expect(res.status).to.equal(201);
      const id = res.body.id as string;
      const [before] = await db.query<{ status: string; pathway: string; urgency: string; queue_rank: number }>('select status, pathway, urgency, queue_rank from referrals where id = $1', [id]);
      expect(before?.urgency).to.equal('emergency');
      // (An earlier test here cut the chain's tail: only what is said of this referral counts.)
      const about = async () => (await verifyCoverage(db)).filter((problem) => problem.includes(id));
      expect(await about()).to.deep.equal([]);
      // What the tables' owner could do (the runtime role may not: the attacks' test): an emergency turned into a reviewed routine referral.
      const asOwner = (sql: string, params: unknown[]) => db.transaction(async (tx) => {
        await tx.query('set local role none');
        await tx.query(sql, params);
      });
      await asOwner("update referrals set status = 'reviewed', pathway = 'gp', urgency = 'routine', queue_rank = 5 where id = $1", [id]);
      try {
        expect(await about()).to.deep.equal([
          `referral ${id} says status reviewed (its decisions and reviews: ${before?.status ?? '?'}), route gp / routine (its current decision: ${before?.pathway ?? '?'} / emergency), queue rank 5 (its urgency: ${before?.queue_rank ?? '?'})`,
        ]);
      } finally {
        await asOwner('update referrals set status = $2, pathway = $3, urgency = $4, queue_rank = $5 where id = $1', [id, before?.status, before?.pathway, before?.urgency, before?.queue_rank]);
      }
      expect(await about()).to.deep.equal([]);
    });

    it('names a referral, a decision or a review edited after the event that recorded it, even with every trigger off', async () => {
      const gp = await t.gpOf('J82001');
      const res = await gp.post('/api/v1/referrals').send(aReferral({ redFlags: { saddleAnaesthesia: true } }));
      const id = res.body.id as string;
      expect((await t.clinician.post(`/api/v1/referrals/${id}/review`).send({ outcome: 'confirmed' })).status).to.equal(201);
      const events = await db.query<{ event_type: string; details: Record<string, unknown> }>('select event_type, details from audit_events where referral_id = $1 order by seq', [id]);
      const hashes = (type: string) => Object.keys(events.find((e) => e.event_type === type)?.details ?? {}).filter((key) => key.endsWith('Sha256')).sort();
      expect(hashes('referral.submitted')).to.deep.equal(['referralSha256']);
      expect(hashes('referral.decided')).to.deep.equal(['decisionSha256']);
      expect(hashes('referral.reviewed')).to.deep.equal(['decisionSha256', 'reviewSha256']);
      expect(await verifyRecords(db)).to.deep.equal([]);
      const [decision] = await db.query<{ id: string }>('select id from decisions where referral_id = $1', [id]);
      const [review] = await db.query<{ id: string }>('select id from reviews where referral_id = $1', [id]);
      const edits = [
        { table: 'referrals', set: `referral = jsonb_set(referral, '{complaint,bodySite}', '"knee"')`, where: `id = '${id}'`, named: `referral ${id} was changed after row` },
        { table: 'decisions', set: `urgency = 'routine'`, where: `id = '${decision?.id ?? ''}'`, named: `decision ${decision?.id ?? ''} was changed after row` },
        { table: 'reviews', set: `reason = 'not what was said'`, where: `id = '${review?.id ?? ''}'`, named: `review ${review?.id ?? ''} was changed after row` },
      ];
      for (const edit of edits) {
        const [before] = await db.query<{ row: string }>(`select to_jsonb(t)::text as row from ${edit.table} t where ${edit.where}`);
        await db.transaction(async (tx) => {
          await tx.query('set local role none'); // as the tables' owner would: the runtime role may not
          await tx.query(`alter table ${edit.table} disable trigger user`);
          await tx.query(`update ${edit.table} set ${edit.set} where ${edit.where}`);
          await tx.query(`alter table ${edit.table} enable trigger user`);
        });
        try {
          const problems = await verifyRecords(db);
          expect(problems.some((problem) => problem.startsWith(edit.named)), problems.join('; ')).to.equal(true);
        } finally {
          await db.transaction(async (tx) => {
            await tx.query('set local role none'); // as the tables' owner would: the runtime role may not
            await tx.query(`alter table ${edit.table} disable trigger user`);
            const columns = Object.keys(JSON.parse(before?.row ?? '{}') as object).join(', ');
            await tx.query(`update ${edit.table} t set (${columns}) = (select ${columns} from jsonb_populate_record(null::${edit.table}, $1::jsonb)) where ${edit.where}`, [before?.row]);
            await tx.query(`alter table ${edit.table} enable trigger user`);
          });
        }
      }
      expect(await verifyRecords(db)).to.deep.equal([]);
    });

    it('names a row whose content was edited', async () => {
      await tamper("update audit_events set actor = 'mallory' where seq = 7");
      expect(await verifyAuditChain(db)).to.deep.include({ ok: false, brokenAt: 7, reason: 'row 7 was changed after it was written' });
    });

    it('names a row edited together with its own hash, by the break in the next row', async () => {
      await tamper("update audit_events set actor = (select actor from audit_events where seq = 6), hash = (select hash from audit_events where seq = 6) where seq = 7");
      const result = await verifyAuditChain(db);
      expect(result.ok).to.equal(false);
      expect((result as { brokenAt: number }).brokenAt).to.be.at.most(8);
    });

    it('names a deleted row', async () => {
      await tamper('delete from audit_events where seq = 5');
      expect(await verifyAuditChain(db)).to.deep.include({ ok: false, brokenAt: 5, reason: 'row 5 is missing' });
    });

    it("names a row whose actor's role was edited, or erased to pass for a row written before roles were recorded", async () => {
      const [row3, row2] = await db.query<{ actor_role: string | null }>('select actor_role from audit_events where seq in (2, 3) order by seq desc');
      // the first rows are the operator's: the tokens the test's callers were issued, each with its token.created
      expect([row3?.actor_role, row2?.actor_role]).to.deep.equal(['operator', 'operator']);
      await tamper("update audit_events set actor_role = 'clinical-lead' where seq = 3");
      expect(await verifyAuditChain(db)).to.deep.include({ ok: false, brokenAt: 3, reason: 'row 3 was changed after it was written' });
      await tamper('update audit_events set actor_role = null where seq = 2');
      expect(await verifyAuditChain(db)).to.deep.include({ ok: false, brokenAt: 2, reason: 'row 2 was changed after it was written' });
    });
  });
});
