/**
 * Synthetic data stays out of clinical work: `msk-triage referrals generate` marks what it stores as
 * synthetic, the review queue, impact simulation and replay of them all leave synthetic referrals
 * out unless asked, and the generator refuses a database that holds real referrals unless told to.
 * On a database of its own (the counts below are of everything in it).
 */
import { expect } from 'chai';
import type { Database } from '../../src/store/database.js';
import { migrate, MIGRATIONS } from '../../src/store/migrations.js';
import { inProcessCli, type InProcessCli } from '../support/cli.js';
import { expectError, issuesOf } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { testApp, type TestApp } from '../support/test-app.js';
import { freshDatabase } from '../support/test-database.js';
import { RUNTIME_ROLE } from '../../src/store/runtime-role.js';

const PRACTICE = 'J82001';

interface QueueItem {
  id: string;
  synthetic: boolean;
}

describe('synthetic data stays out of clinical work', function () {
  this.timeout(120_000);
  let own: Awaited<ReturnType<typeof freshDatabase>>;
  let db: Database;
  let t: TestApp;
  let cli: InProcessCli;
  let realId: string;
  before(async () => {
    own = await freshDatabase();
    db = own.db;
    t = await testApp({ db, config: { rulesetId: 'msk-triage', bodyLimitBytes: 64 * 1024, rulesDir: 'rules' } });
    cli = inProcessCli({ db });
  });
  after(async () => own?.dispose());

  const counts = async () =>
    (await db.query<{ synthetic: boolean; n: number }>('select synthetic, count(*)::int as n from referrals group by synthetic order by synthetic'))
      .map((row) => `${row.synthetic ? 'synthetic' : 'real'} ${row.n}`);
  const queue = async (query = '') => {
    const res = await t.clinician.get(`/api/v1/referrals?limit=200${query}`);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.items as QueueItem[];
  };

  it('referrals generate marks every referral it stores as synthetic, and each one’s submission event says so', async () => {
    const result = await cli('referrals', 'generate', '--count', '6', '--seed', '9');
    expect(result.status, result.stderr).to.equal(0);
    expect(await counts()).to.deep.equal(['synthetic 6']);
    const events = await db.query<{ actor: string; details: Record<string, unknown> }>("select actor, details from audit_events where event_type = 'referral.submitted'");
    expect(events).to.have.length(6);
    expect(events.map((e) => `${e.actor} ${String(e.details.synthetic)}`)).to.deep.equal(Array(6).fill('cli:synthetic-data-generator true'));
    expect((await cli('audit', 'verify')).stdout).to.match(/^audit chain verified/);
    // A clinician who opens one sees that it is synthetic; a real one says it is not.
    const [generated] = await db.query<{ id: string }>('select id from referrals where synthetic limit 1');
    expect((await t.clinician.get(`/api/v1/referrals/${generated?.id ?? ''}`)).body.synthetic).to.equal(true);
  });

  it('the queue leaves synthetic referrals out; ?synthetic=include adds them, ?synthetic=only shows them alone', async () => {
    const submitted = await (await t.gpOf(PRACTICE)).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: PRACTICE } }));
    expect(submitted.status).to.equal(201);
    realId = submitted.body.id as string;
    expect((await t.clinician.get(`/api/v1/referrals/${realId}`)).body.synthetic).to.equal(false);
    // A real submission's event is as it always was: nothing says synthetic.
    const [event] = await db.query<{ details: Record<string, unknown> }>("select details from audit_events where event_type = 'referral.submitted' and referral_id = $1", [realId]);
    expect(event?.details).to.not.have.property('synthetic');

    expect((await queue()).map((i) => `${i.id} ${i.synthetic}`)).to.deep.equal([`${realId} false`]);
    const included = await queue('&synthetic=include');
    expect(included).to.have.length(7);
    expect(included.filter((i) => i.synthetic)).to.have.length(6);
    const only = await queue('&synthetic=only');
    expect(only).to.have.length(6);
    expect(only.every((i) => i.synthetic)).to.equal(true);
    expect((await queue('&synthetic=exclude')).map((i) => i.id)).to.deep.equal([realId]);
  });

  it('pages through synthetic and real referrals alike when asked for both', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await t.clinician.get(`/api/v1/referrals?synthetic=include&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).to.equal(200);
      seen.push(...(page.body.items as QueueItem[]).map((i) => i.id));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(seen).to.have.length(7);
    expect(new Set(seen).size).to.equal(7);
  });

  it('refuses a ?synthetic= it does not know, or given twice, as QUERY_INVALID, on the queue and on simulation', async () => {
    for (const query of ['synthetic=yes', 'synthetic=include&synthetic=only']) {
      const res = await t.clinician.get(`/api/v1/referrals?${query}`);
      expectError(res, 400, 'QUERY_INVALID');
      expect(issuesOf(res).map((i) => i.path)).to.deep.equal(['/synthetic']);
    }
    const simulation = await t.lead.post('/api/v1/rulesets/msk-triage/versions/2.0.0/simulate?synthetic=all').send({});
    expectError(simulation, 400, 'QUERY_INVALID');
    expect(issuesOf(simulation).map((i) => i.path)).to.deep.equal(['/synthetic']);
  });

  it('no request can mark a referral synthetic, and the database refuses to change whether one is', async () => {
    const res = await (await t.gpOf(PRACTICE)).post('/api/v1/referrals').send({ ...aReferral({ referrer: { odsCode: PRACTICE } }), synthetic: true });
    expectError(res, 400, 'REFERRAL_INVALID');
    expect(issuesOf(res)).to.have.length(1); // the unknown field, named as the contract names any it does not know
    await db.actAs(RUNTIME_ROLE);
    let refused: Error | undefined;
    await db.query('update referrals set synthetic = true where id = $1', [realId]).catch((error: Error) => (refused = error));
    expect(refused?.message, 'as the service runs').to.contain('permission denied for table referrals');
    await db.actAs(undefined);
    let refusedToOwner: Error | undefined;
    await db.query('update referrals set synthetic = true where id = $1', [realId]).catch((error: Error) => (refusedToOwner = error));
    expect(refusedToOwner?.message, 'as the tables\' owner').to.contain('a submitted referral is never changed');
    expect(await counts()).to.deep.equal(['real 1', 'synthetic 6']);
  });

  it('referrals generate refuses a database that holds real referrals, unless --into-real-database says it is meant', async () => {
    const refused = await cli('referrals', 'generate', '--count', '3', '--seed', '10');
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.contain('refused: this database holds real referrals').and.contain('--into-real-database');
    expect(refused.stdout).to.equal('');
    expect(await counts()).to.deep.equal(['real 1', 'synthetic 6']);

    const meant = await cli('referrals', 'generate', '--count', '3', '--seed', '10', '--into-real-database');
    expect(meant.status, meant.stderr).to.equal(0);
    expect(await counts()).to.deep.equal(['real 1', 'synthetic 9']);
    expect((await queue()).map((i) => i.id)).to.deep.equal([realId]);
  });

  it('rules simulate takes the real referrals only, unless --synthetic asks, and says how many it left out', async () => {
    const simulated = async (...args: string[]) => {
      const result = await cli('rules', 'simulate', 'msk-triage', '--to', '2.0.0', '--json', ...args);
      expect(result.status, result.stderr).to.equal(0);
      return { referrals: (JSON.parse(result.stdout) as { referrals: number }).referrals, stderr: result.stderr };
    };
    const real = await simulated();
    expect(real.referrals).to.equal(1);
    expect(real.stderr).to.contain('9 synthetic referrals left out (--synthetic include simulates them too)');
    expect(await simulated('--synthetic', 'include')).to.deep.equal({ referrals: 10, stderr: '' });
    expect((await cli('rules', 'simulate', 'msk-triage', '--to', '2.0.0', '--synthetic', 'all')).status).to.equal(2);
  });

  it('the simulation endpoint takes the real referrals only, unless ?synthetic= asks', async () => {
    const simulate = (query = '') => t.lead.post(`/api/v1/rulesets/msk-triage/versions/2.0.0/simulate${query}`).send({});
    expect((await simulate()).body).to.include({ referrals: 1 });
    expect((await simulate('?synthetic=include')).body).to.include({ referrals: 10 });
    expect((await simulate('?synthetic=only')).body).to.include({ referrals: 9 });
  });

  it('referrals replay --all replays the real referrals only, unless --synthetic asks; one named by its id is replayed whatever it is', async () => {
    const real = await cli('referrals', 'replay', '--all');
    expect(real.status, real.stderr).to.equal(0);
    expect(real.stdout).to.contain('replayed 1: 1 matched, 0 differ, 0 unavailable');
    expect(real.stderr).to.contain('9 synthetic referrals left out (--synthetic include replays them too)');
    const all = await cli('referrals', 'replay', '--all', '--synthetic', 'include');
    expect(all.stdout).to.contain('replayed 10: 10 matched, 0 differ, 0 unavailable');
    expect(all.stderr).to.equal('');
    const [synthetic] = await db.query<{ id: string }>('select id from referrals where synthetic limit 1');
    expect((await cli('referrals', 'replay', synthetic?.id ?? '')).stdout).to.contain('replayed 1: 1 matched');
    expect((await cli('referrals', 'replay', synthetic?.id ?? '', '--synthetic', 'include')).status).to.equal(2);
  });
});

describe('migration 006 on a database from before it', function () {
  this.timeout(60_000);

  it('marks as synthetic the referrals the generator had stored, known by their submission event, and no other', async () => {
    const own = await freshDatabase();
    try {
      const { db } = own;
      // The database as it was at 005: no synthetic column, the first migration's guard of a referral's content, 006 not applied.
      const firstGuard = /create function msk_referral_content_is_fixed\(\)[\s\S]*?end \$\$;/.exec(MIGRATIONS[0]?.sql ?? '')?.[0] ?? 'no guard in 001';
      await db.exec(`delete from schema_migrations where id = '006-synthetic-referrals'; alter table referrals drop column synthetic;
        ${firstGuard.replace('create function', 'create or replace function')}`);
      const ids = { generated: '00000000-0000-4000-8000-000000000001', real: '00000000-0000-4000-8000-000000000002' };
      for (const [seq, [kind, id]] of Object.entries(ids).entries()) {
        await db.query(
          `insert into referrals (id, practice_ods, referral, status, queue_rank, received_at, updated_at)
           values ($1, $2, $3, 'awaiting-manual-triage', 0, now(), now())`,
          [id, PRACTICE, JSON.stringify(aReferral())],
        );
        await db.query(
          `insert into audit_events (seq, id, referral_id, event_type, actor, occurred_at, details, prev_hash, hash)
           values ($1, gen_random_uuid(), $2, 'referral.submitted', $3, now(), '{}', '', '')`,
          [seq + 100, id, kind === 'generated' ? 'cli:synthetic-data-generator' : 'token:someone'],
        );
      }
      expect(await migrate(db)).to.deep.equal(['006-synthetic-referrals']);
      const rows = await db.query<{ id: string; synthetic: boolean }>('select id, synthetic from referrals where id = any($1::uuid[]) order by id', [Object.values(ids)]);
      expect(rows).to.deep.equal([{ id: ids.generated, synthetic: true }, { id: ids.real, synthetic: false }]);
    } finally {
      await own.dispose();
    }
  });
});
