/**
 * The two-person rule compares people, not tokens or spellings: an author's approval is refused when
 * it is given, under any spelling of their name ("Dr. Alice Author", spaced, cased, with a Cyrillic
 * look-alike letter) and by the person id the rule-set file names them by; one person's second
 * approval is refused, from their second token too; and a lead holding two tokens cannot approve
 * with one and activate with the other. Owns a fresh database.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { issueToken } from '../../src/auth/api-tokens.js';
import { loadValidRuleSets } from '../../src/rules/rule-set-loader.js';
import { registryFromDatabase } from '../../src/rulesets/rule-set-lifecycle.js';
import type { Database } from '../../src/store/database.js';
import { caller, type Caller } from '../support/callers.js';
import { expectError, issuesOf } from '../support/error-shape.js';
import { asVersion, ruleSetCopies, type Copy } from '../support/rule-set-copies.js';
import { freshDatabase } from '../support/test-database.js';
import { testApp, type TestApp } from '../support/test-app.js';

describe('the two-person rule, between people', function () {
  this.timeout(120_000);
  let db: Database;
  let dispose: () => Promise<void>;
  let t: TestApp;
  /** a lead named in the file by person id, under a name of another spelling altogether */
  let writerPersonId: string;
  const lead = async (name: string, personId?: string): Promise<{ who: Caller; personId: string }> => {
    const made = await issueToken(db, { role: 'clinical-lead', name, expiresAt: null, now: new Date(), ...(personId ? { personId } : {}) });
    return { who: caller(t.app, made.token), personId: made.person.id };
  };
  const approve = (version: string, by: Caller) => by.post(`/api/v1/rulesets/msk-triage/versions/${version}/approvals`).send({ note: 'reviewed' });
  const activate = (version: string, by: Caller) => by.post(`/api/v1/rulesets/msk-triage/versions/${version}/activate`).send({ reason: 'local audit' });
  const approvals = async (version: string) => (await db.query<{ n: number }>('select count(*)::int as n from ruleset_approvals where version = $1', [version]))[0]?.n;

  before(async () => {
    ({ db, dispose } = await freshDatabase());
    const writer = await issueToken(db, { role: 'clinical-lead', name: 'Dr Zed Writer', expiresAt: null, now: new Date() });
    writerPersonId = writer.person.id;
    const authored = (version: string) => (copy: Copy) => {
      asVersion(version, 'draft')(copy);
      copy.ruleset.authors = [{ name: 'Dr Alice Author', role: 'clinical lead' }, { name: 'Z. Writer, informatics', role: 'clinical lead', personId: writerPersonId }];
    };
    const rulesDir = await ruleSetCopies(() => undefined, authored('1.1.0'), authored('1.3.0'));
    const { loaded } = await loadValidRuleSets(rulesDir);
    const registry = await registryFromDatabase(db, loaded, () => new Date());
    t = await testApp({ db, registry, config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir } });
  });

  after(async () => {
    await dispose();
  });

  it("refuses the author's own approval when it is given, under a dotted, spaced, cased or Cyrillic look-alike spelling of their name", async () => {
    for (const spelling of ['Dr Alice Author', 'Dr. Alice Author', 'Dr  Alice   Author', 'DR ALICE AUTHOR', 'dr.alice.author', 'Dr \u0410lice Author', 'Dr Alic\u0435 \u0410uthor', 'Dr Ali\u200bce Author']) {
      const res = await approve('1.1.0', (await lead(spelling)).who);
      expectError(res, 409, 'APPROVAL_REFUSED');
      expect(issuesOf(res), JSON.stringify(spelling)).to.deep.equal([{ path: '/authors', message: "you are one of this version's authors (Dr Alice Author): its approval must come from a second clinical lead" }]);
    }
    expect(await approvals('1.1.0')).to.equal(0);
  });

  it('refuses the approval of an author the file names by person id, from any of their tokens and whatever the token is called', async () => {
    for (const label of ['Dr Zed Writer', 'Zed (laptop)']) {
      const res = await approve('1.1.0', (await lead(label, writerPersonId)).who);
      expectError(res, 409, 'APPROVAL_REFUSED');
      expect(issuesOf(res)[0]?.message, label).to.contain('Z. Writer, informatics');
    }
    expect(await approvals('1.1.0')).to.equal(0);
  });

  it("refuses one person's second approval of the same content, from their second token too", async () => {
    const first = await lead('Dr B Lead');
    const second = await lead('B Lead (laptop)', first.personId);
    const approved = await approve('1.3.0', first.who);
    expect(approved.status, JSON.stringify(approved.body)).to.equal(201);
    expect(approved.body).to.include({ approver: 'Dr B Lead', approverId: `person:${first.personId}` });
    for (const again of [first.who, second.who]) {
      const res = await approve('1.3.0', again);
      expectError(res, 409, 'APPROVAL_REFUSED');
      expect(issuesOf(res)[0]?.message).to.contain('you approved this exact content already');
    }
    expect(await approvals('1.3.0')).to.equal(1);
  });

  it('does not count an approval row inserted behind the service\'s back, without its signed event', async () => {
    const activator = await lead('Dr G Lead');
    const version = await activator.who.get('/api/v1/rulesets/msk-triage/versions/1.1.0');
    const sha256 = version.body.sha256 as string;
    expect(sha256).to.match(/^[0-9a-f]{64}$/);
    await db.query(`insert into ruleset_approvals (id, ruleset_id, version, sha256, approver, approver_id, role, approved_at)
      values (gen_random_uuid(), 'msk-triage', '1.1.0', $1, 'Dr Forged Lead', $2, 'clinical-lead', now())`, [sha256, `person:${randomUUID()}`]);
    const res = await activate('1.1.0', activator.who);
    expectError(res, 409, 'ACTIVATION_REFUSED');
    expect(issuesOf(res).map((issue) => issue.path)).to.deep.equal(['/approvals']);
    expect(issuesOf(res)[0]?.message).to.contain('1 recorded approval(s) of it have no signed ruleset.approved event');
    await db.transaction(async (tx) => {
      await tx.query('set local role none'); // the owner takes the forgery out, for the next test
      await tx.query('alter table ruleset_approvals disable trigger user');
      await tx.query("delete from ruleset_approvals where approver = 'Dr Forged Lead'");
      await tx.query('alter table ruleset_approvals enable trigger user');
    });
  });

  it('takes a lead who approved with one token and activates with another as one person: refused until a second person approves', async () => {
    const first = await lead('Dr D Lead');
    const laptop = await lead('D Lead (laptop)', first.personId);
    expect((await approve('1.1.0', first.who)).status).to.equal(201);
    const alone = await activate('1.1.0', laptop.who);
    expectError(alone, 409, 'ACTIVATION_REFUSED');
    expect(issuesOf(alone).map((issue) => issue.path)).to.deep.equal(['/approvals']);
    expect((await approve('1.1.0', (await lead('Dr E Lead')).who)).status).to.equal(201);
    const activated = await activate('1.1.0', laptop.who);
    expect(activated.status, JSON.stringify(activated.body)).to.equal(200);
    // one person in the audit trail, whichever token acted
    const actors = await db.query<{ event_type: string; actor: string }>(
      "select event_type, actor from audit_events where event_type in ('ruleset.approved', 'ruleset.activated') and ruleset_version = '1.1.0' order by seq",
    );
    expect(actors.filter((a) => a.actor === `person:${first.personId}`).map((a) => a.event_type)).to.deep.equal(['ruleset.approved', 'ruleset.activated']);
  });
});
