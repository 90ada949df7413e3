/**
 * Least privilege in the database (src/store/runtime-role.ts, migration 014-runtime-role): the
 * service runs as msk_runtime, which may read and insert on the clinical and audit tables and no
 * more, on the embedded database and on PostgreSQL alike. Every table is classified here: a table
 * added without deciding what the runtime role may do with it fails the first test.
 */
import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { verifyCoverage } from '../../src/audit/audit-trail.js';
import { openPostgres, type Database } from '../../src/store/database.js';
import { prepareDatabase, RUNTIME_ROLE } from '../../src/store/runtime-role.js';
import { aReferral } from '../support/referral-factory.js';
import { testApp, type TestApp } from '../support/test-app.js';
import { freshDatabase, usingPostgres } from '../support/test-database.js';

/** What msk_runtime may do with each table: reading and inserting, and the few columns named. */
const RUNTIME_RIGHTS: Record<string, { table: string[]; columns?: string[] }> = {
  referrals: { table: ['INSERT', 'SELECT'] },
  decisions: { table: ['INSERT', 'SELECT'] },
  reviews: { table: ['INSERT', 'SELECT'] },
  audit_events: { table: ['INSERT', 'SELECT'] },
  idempotency_keys: { table: ['INSERT', 'SELECT'] },
  people: { table: ['INSERT', 'SELECT'] },
  api_tokens: { table: ['INSERT', 'SELECT'], columns: ['revoked_at'] },
  ruleset_approvals: { table: ['INSERT', 'SELECT'] },
  ruleset_activations: { table: ['INSERT', 'SELECT'] },
  ruleset_schedules: { table: ['INSERT', 'SELECT'] },
  ruleset_schedule_cancellations: { table: ['INSERT', 'SELECT'] },
  ruleset_reload_requests: { table: ['INSERT', 'SELECT'] },
  // A web page's session is working state, not a clinical record: seen, ended (its provider's ID token
  // cleared as it ends), and expired ones removed.
  web_sessions: { table: ['DELETE', 'INSERT', 'SELECT'], columns: ['ended_at', 'id_token', 'last_seen_at'] },
  schema_migrations: { table: ['SELECT'] },
};
const PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'];

describe('the runtime database role', function () {
  this.timeout(60_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let t: TestApp;
  let referralId: string;
  let url: string | undefined;
  let submittedStatus: string;

  before(async () => {
    ({ db, dispose, url } = await freshDatabase());
    t = await testApp({ db }); // runs the database as the runtime role from here on, as the service does
    const res = await (await t.gpOf('J82001')).post('/api/v1/referrals').set('Idempotency-Key', randomUUID()).send(aReferral({ redFlags: { saddleAnaesthesia: true } }));
    expect(res.status).to.equal(201);
    referralId = res.body.id as string;
    submittedStatus = res.body.status as string;
  });
  after(() => dispose());

  it('holds exactly the rights each table is classified with, and every table is classified', async () => {
    const [who] = await db.query<{ current_user: string }>('select current_user');
    expect(who?.current_user).to.equal(RUNTIME_ROLE);
    const tables = (await db.query<{ name: string }>("select tablename as name from pg_tables where schemaname = 'public' order by 1")).map((row) => row.name);
    expect(tables, 'tables without a classification here').to.have.members(Object.keys(RUNTIME_RIGHTS));
    for (const table of tables) {
      const held: string[] = [];
      for (const privilege of PRIVILEGES) {
        const [row] = await db.query<{ has: boolean }>('select has_table_privilege($1, $2, $3) as has', [RUNTIME_ROLE, table, privilege]);
        if (row?.has) held.push(privilege);
      }
      expect(held.sort(), table).to.deep.equal(RUNTIME_RIGHTS[table]?.table);
      const columns = await db.query<{ column_name: string }>(
        "select column_name from information_schema.column_privileges where grantee = $1 and table_name = $2 and privilege_type = 'UPDATE' order by 1", [RUNTIME_ROLE, table]);
      expect(columns.map((row) => row.column_name), `${table}: columns it may update`).to.deep.equal(RUNTIME_RIGHTS[table]?.columns ?? []);
    }
  });

  it('refuses the tamperings an attacker with the service\'s database access tried, each by the database itself', async () => {
    const attempts: Array<[string, RegExp]> = [
      ["update referrals set status = 'reviewed', pathway = 'gp', urgency = 'routine'", /permission denied for table referrals/],
      ["update decisions set urgency = 'routine'", /permission denied for table decisions/],
      ["update reviews set reason = 'x'", /permission denied for table reviews/],
      ["update audit_events set actor = 'mallory'", /permission denied for table audit_events/],
      ['delete from audit_events', /permission denied for table audit_events/],
      ['truncate audit_events', /permission denied for table audit_events/],
      ['delete from idempotency_keys', /permission denied for table idempotency_keys/],
      ['delete from referrals', /permission denied for table referrals/],
      ["update api_tokens set role = 'clinical-lead'", /permission denied for table api_tokens/],
      ["update people set role = 'clinical-lead'", /permission denied for table people/],
      ['delete from ruleset_approvals', /permission denied for table ruleset_approvals/],
      ['alter table decisions disable trigger user', /must be owner of table decisions/],
      ['drop trigger decisions_append_only on decisions', /must be owner of (table|relation) decisions/],
      ['drop table audit_events', /must be owner of table audit_events/],
      ['create table loot (x text)', /permission denied for schema public/],
      ['create function msk_refuse_change() returns trigger language plpgsql as $$ begin return new; end $$', /permission denied for schema public|must be owner of function/],
    ];
    for (const [sql, refusal] of attempts) {
      let message = '(not refused)';
      await db.query(sql).catch((error: Error) => (message = error.message));
      expect(message, sql).to.match(refusal);
    }
    const [still] = await db.query<{ status: string; urgency: string }>('select status, urgency from referrals where id = $1', [referralId]);
    expect(still).to.deep.equal({ status: submittedStatus, urgency: 'emergency' });
  });

  it('changes a referral only through msk_apply_review, which takes the change from a review row, and names a forged one', async () => {
    let message = '';
    await db.query('select msk_apply_review($1)', [randomUUID()]).catch((error: Error) => (message = error.message));
    expect(message).to.match(/no review/);
    // A review and an override forged with inserts alone, applied through the function: the referral
    // changes, but nothing signed says so, and audit verify names it.
    const [current] = await db.query<{ id: string }>('select current_decision_id as id from referrals where id = $1', [referralId]);
    const decisionId = randomUUID();
    const reviewId = randomUUID();
    await db.transaction(async (tx) => {
      await tx.query(`insert into decisions (id, referral_id, source, replaces_decision_id, pathway, urgency, decided_by, created_at)
        values ($1, $2, 'override', $3, 'gp', 'routine', 'mallory', now())`, [decisionId, referralId, current?.id]);
      await tx.query(`insert into reviews (id, referral_id, reviewed_decision_id, outcome, new_decision_id, reason, reviewer, created_at)
        values ($1, $2, $3, 'overridden', $4, 'forged', 'mallory', now())`, [reviewId, referralId, current?.id, decisionId]);
      await tx.query('select msk_apply_review($1)', [reviewId]);
    });
    const problems = (await verifyCoverage(db)).join('\n');
    expect(problems).to.contain(`decision ${decisionId} has no audit event`);
    expect(problems).to.contain(`review ${reviewId} has no audit event`);
    // Applied again, or to a decision no longer current, it is refused.
    message = '';
    await db.query('select msk_apply_review($1)', [reviewId]).catch((error: Error) => (message = error.message));
    expect(message).to.match(/not of its referral's current decision/);
  });

  it('names a clinical lead\'s token inserted directly, with no token.created event', async () => {
    const personId = randomUUID();
    const tokenId = randomUUID();
    await db.transaction(async (tx) => {
      await tx.query("insert into people (id, display_name, role, created_at) values ($1, 'Dr Mallory', 'clinical-lead', now())", [personId]);
      await tx.query(`insert into api_tokens (id, token_sha256, name, role, created_at, person_id)
        values ($1, $2, 'Dr Mallory', 'clinical-lead', now(), $3)`, [tokenId, randomBytes(32).toString('hex'), personId]);
    });
    const problems = await verifyCoverage(db);
    expect(problems).to.include(`token ${tokenId} has no token.created event`);
    expect(problems.filter((problem) => problem.startsWith('token ')), 'the tokens the service issued are all in the trail').to.deep.equal([`token ${tokenId} has no token.created event`]);
  });

  it('names an approval and an activation inserted directly, with no signed event', async () => {
    const approvalId = randomUUID();
    await db.transaction(async (tx) => {
      await tx.query(`insert into ruleset_approvals (id, ruleset_id, version, sha256, approver, approver_id, role, approved_at)
        values ($1, 'msk-triage', '9.9.9', $2, 'Dr Mallory', 'person:mallory', 'clinical-lead', now())`, [approvalId, 'a'.repeat(64)]);
      await tx.query(`insert into ruleset_activations (id, ruleset_id, version, sha256, activated_by, activated_by_id, reason, activated_at)
        values ($1, 'msk-triage', '9.9.9', $2, 'Dr Mallory', 'person:mallory', 'forged', now())`, [randomUUID(), 'a'.repeat(64)]);
    });
    const problems = await verifyCoverage(db);
    expect(problems).to.include(`approval ${approvalId} has no ruleset.approved event`);
    expect(problems).to.include('activations of msk-triage 9.9.9: 1 rows, 0 ruleset.activated events');
  });

  (usingPostgres() ? it : it.skip)('on PostgreSQL, migrates with DATABASE_MIGRATION_URL\'s login and runs with DATABASE_URL\'s, a member of msk_runtime only', async () => {
    const ownerUrl = new URL(process.env.TEST_DATABASE_URL as string);
    const login = `msk_test_app_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: ownerUrl.toString() });
    await admin.connect();
    try {
      await admin.query(`create role ${login} login in role ${RUNTIME_ROLE}`);
      const runtimeUrl = new URL(url as string);
      runtimeUrl.username = login;
      runtimeUrl.password = '';
      const runtime = openPostgres(runtimeUrl.toString());
      try {
        const prepared = await prepareDatabase(runtime, url);
        expect(prepared).to.deep.equal({ applied: [] });
        let message = '';
        await runtime.query("update referrals set status = 'reviewed'").catch((error: Error) => (message = error.message));
        expect(message).to.equal('permission denied for table referrals');
      } finally {
        await runtime.close();
      }
      await admin.query(`revoke ${RUNTIME_ROLE} from ${login}`);
      const outsider = openPostgres(runtimeUrl.toString());
      try {
        let refused = '';
        await prepareDatabase(outsider, url).catch((error: Error) => (refused = error.message));
        expect(refused).to.contain('is not a member of msk_runtime');
      } finally {
        await outsider.close();
      }
    } finally {
      await admin.query(`drop role if exists ${login}`).catch(() => undefined);
      await admin.end();
    }
  });
});
