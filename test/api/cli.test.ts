/**
 * The command line as an operator runs it (`npx msk-triage …`), run in this process (`main(argv,
 * io)`, as bin.js runs it) on a database of its own: generate synthetic referrals, verify the audit chain, replay, and find the
 * row someone edited behind the service's back; issue, list and revoke bearer tokens; and take a
 * rule-set version from draft to active, signed by two people.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkToken, TOKEN_PATTERN } from '../../src/auth/api-tokens.js';
import type { Database } from '../../src/store/database.js';
import { inProcessCli, type InProcessCli } from '../support/cli.js';
import { freshDatabase } from '../support/test-database.js';

/** A new database of its own for each block (the counts below are of everything in it), closed after. */
function ownDatabase(): { db: () => Database } {
  let own: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  before(async () => (own = await freshDatabase()));
  after(async () => own?.dispose());
  return { db: () => own?.db as Database };
}

describe('the msk-triage command line', function () {
  this.timeout(60_000);
  const { db } = ownDatabase();
  let cli: InProcessCli;
  before(() => (cli = inProcessCli({ db: db() })));

  it('generates synthetic referrals through the submission path', async () => {
    const result = await cli('referrals', 'generate', '--count', '40', '--seed', '5');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^submitted 40 synthetic referrals \(seed 5\)/);
  });

  it('verifies the whole audit chain and prints its head', async () => {
    const result = await cli('audit', 'verify');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/^audit chain verified: all 81 rows; head 81:[0-9a-f]{64}/); // 40 referrals × 2 events + the first activation
  });

  it('replays every stored referral to the same decision', async () => {
    const result = await cli('referrals', 'replay', '--all', '--synthetic', 'include');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.contain('replayed 40: 40 matched, 0 differ, 0 unavailable');
  });

  it('names the first broken row after an edit in the database, and exits 1', async () => {
    // As the tables' owner would (the runtime role the command left the database in may not).
    await db().transaction((tx) => tx.exec("set local role none; alter table audit_events disable trigger user; update audit_events set actor = 'mallory' where seq = 12; alter table audit_events enable trigger user;"));
    const result = await cli('audit', 'verify');
    expect(result.status).to.equal(1);
    expect(result.stdout).to.contain('audit chain BROKEN at row 12: row 12 was changed after it was written');
  });

  it('explains its usage and exits 2 for a wrong command, as a process too (bin.js sets the exit code)', async () => {
    const result = await cli('audit', 'verfy');
    expect(result.status).to.equal(2);
    expect(result.stderr).to.contain('usage:');
    expect((await cli('referrals', 'generate', '--count', 'many')).status).to.equal(2);
    const asProcess = spawnSync(process.execPath, ['src/cli/bin.js', 'audit', 'verfy'], { encoding: 'utf8', timeout: 60_000 });
    expect(asProcess.status).to.equal(2);
    expect(asProcess.stderr).to.contain('usage:');
  });
});

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const ANY_TOKEN = /msk_[A-Za-z0-9_-]{43}/;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

interface ListedToken {
  id: string;
  personId: string;
  personName: string;
  name: string;
  role: string;
  practice: string | null;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  state: string;
}

describe('the msk-triage token commands', function () {
  this.timeout(60_000);
  const { db } = ownDatabase();
  let cli: InProcessCli;
  before(() => (cli = inProcessCli({ db: db() })));
  const created: Record<string, { id: string; token: string }> = {};

  /** Creates a token; checks what every create prints; keeps the id and the token under `key`. */
  async function create(key: string, ...args: string[]): Promise<string> {
    const result = await cli('token', 'create', ...args);
    expect(result.status, result.stderr).to.equal(0);
    const lines = result.stdout.trimEnd().split('\n');
    const token = lines.at(-1) ?? '';
    expect(TOKEN_PATTERN.test(token), 'the last line of stdout is the token, alone').to.equal(true);
    expect(result.stdout.split(token).length - 1, 'the token is printed once').to.equal(1);
    expect(result.stderr).to.not.contain(token);
    expect(lines.slice(0, -1).join('\n')).to.not.match(ANY_TOKEN);
    const id = new RegExp(`^created token (${UUID}) for `).exec(lines[0] ?? '')?.[1];
    expect(id, lines[0]).to.be.a('string');
    created[key] = { id: id as string, token };
    return lines[0] ?? '';
  }

  const listJson = async (): Promise<ListedToken[]> => {
    const result = await cli('token', 'list', '--json');
    expect(result.status, result.stderr).to.equal(0);
    return JSON.parse(result.stdout) as ListedToken[];
  };
  const listed = (tokens: ListedToken[], key: string): ListedToken => {
    const found = tokens.find((t) => t.id === created[key]?.id);
    expect(found, `token ${key} is listed`).to.not.equal(undefined);
    return found as ListedToken;
  };

  it('token create prints what it made, then the token alone on the last line, once', async () => {
    const first = await create('gp', '--role', 'gp', '--name', 'Dr G Practice', '--practice', 'J82001', '--expires', '90d');
    expect(first).to.match(new RegExp(`^created token ${UUID} for Dr G Practice: role gp, practice J82001, expires \\d{4}-\\d{2}-\\d{2}T[\\d:.]+Z$`));
  });

  it('refuses a gp token without --practice, a bad --role, and a past or unreadable --expires: exit 2, a clear message, nothing written', async () => {
    const untouched = inProcessCli({ db: db() });
    const refusals = [
      await untouched('token', 'create', '--role', 'gp', '--name', 'Dr No Practice'),
      await untouched('token', 'create', '--role', 'admin', '--name', 'Mallory'),
      await untouched('token', 'create', '--role', 'triage-clinician', '--name', 'Dr Past', '--expires', '2020-01-01'),
      await untouched('token', 'create', '--role', 'triage-clinician', '--name', 'Dr Soon', '--expires', 'soon'),
    ];
    const messages = [
      /^msk-triage: a gp token needs --practice: the ODS code of the practice, such as A81001$/,
      /^msk-triage: --role must be one of: gp, triage-clinician, clinical-lead, operator$/,
      /^msk-triage: --expires must be in the future$/,
      /^msk-triage: --expires must be a duration \(90d, 12h, [^)]*\), a date \(2027-03-31\) or never$/,
    ];
    refusals.forEach((result, i) => {
      expect(result.status, result.stderr).to.equal(2);
      expect(result.stderr.split('\n')[0]).to.match(messages[i] as RegExp);
      expect(result.stdout + result.stderr).to.not.match(ANY_TOKEN);
    });
    expect(untouched.opened(), 'refused before the database was opened').to.equal(0);
  });

  it('--expires takes days, hours, a date or never; token list shows role, practice and state, never a token or its hash', async () => {
    await create('clinician', '--role', 'triage-clinician', '--name', 'Nurse T Clinician', '--expires', '12h');
    await create('lead', '--role', 'clinical-lead', '--name', 'Dr C Lead', '--expires', '2099-03-31');
    await create('forever', '--role', 'gp', '--name', 'Dr F Forever', '--practice', 'A81001', '--expires', 'never');

    const tokens = await listJson();
    expect(tokens.map((t) => t.id)).to.deep.equal(['gp', 'clinician', 'lead', 'forever'].map((key) => created[key]?.id));
    const lifetime = (t: ListedToken) => Date.parse(t.expiresAt ?? '') - Date.parse(t.createdAt);
    const gp = listed(tokens, 'gp');
    expect(gp).to.include({ name: 'Dr G Practice', role: 'gp', practice: 'J82001', state: 'active', revokedAt: null });
    expect(lifetime(gp)).to.equal(90 * DAY_MS);
    const clinician = listed(tokens, 'clinician');
    expect(clinician).to.include({ role: 'triage-clinician', practice: null, state: 'active' });
    expect(lifetime(clinician)).to.equal(12 * HOUR_MS);
    expect(listed(tokens, 'lead')).to.include({ role: 'clinical-lead', expiresAt: '2099-04-01T00:00:00.000Z', state: 'active' });
    expect(listed(tokens, 'forever')).to.include({ role: 'gp', practice: 'A81001', expiresAt: null, state: 'active' });
    expect(Object.keys(gp)).to.deep.equal(['id', 'personId', 'personName', 'name', 'role', 'practice', 'createdAt', 'expiresAt', 'revokedAt', 'state']);

    const text = await cli('token', 'list');
    expect(text.status, text.stderr).to.equal(0);
    const line = (key: string) => text.stdout.split('\n').find((l) => l.startsWith(created[key]?.id ?? '-')) ?? '';
    expect(line('gp')).to.match(/^\S+ {2}person [0-9a-f]{8} {2}gp {16}J82001 {4}active until \S+Z +Dr G Practice$/);
    expect(line('gp')).to.contain(`active until ${gp.expiresAt ?? ''}`);
    expect(line('clinician')).to.match(/ {2}triage-clinician {2}- {9}active until \S+ +Nurse T Clinician$/);
    expect(line('lead')).to.match(/ {2}clinical-lead {5}- {9}active until 2099-04-01T00:00:00\.000Z +Dr C Lead$/);
    expect(line('forever')).to.match(/ {2}gp {16}A81001 {4}active, never expires +Dr F Forever$/);

    const everything = JSON.stringify(tokens) + text.stdout + text.stderr;
    for (const { token } of Object.values(created)) {
      expect(everything).to.not.contain(token);
      expect(everything).to.not.contain(createHash('sha256').update(token, 'utf8').digest('hex'));
    }
    expect(everything).to.not.match(ANY_TOKEN);
  });

  it('token revoke marks a token revoked and exits 0; revoking it again exits 1', async () => {
    const id = created.gp?.id ?? '';
    const revoked = await cli('token', 'revoke', id);
    expect(revoked.status, revoked.stderr).to.equal(0);
    expect(revoked.stdout).to.equal(`revoked token ${id}: every running instance refuses it within a second\n`);

    const text = await cli('token', 'list');
    expect(text.status, text.stderr).to.equal(0);
    expect(text.stdout.split('\n').find((l) => l.startsWith(id))).to.match(/ {2}gp {16}J82001 {4}revoked \d{4}-\d{2}-\d{2}T[\d:.]+Z +Dr G Practice$/);
    expect(text.stdout.split('\n').filter((l) => / active/.test(l)), 'the others stay active').to.have.length(3);

    const again = await cli('token', 'revoke', id);
    expect(again.status).to.equal(1);
    expect(again.stdout).to.equal(`no token ${id} to revoke (unknown, or revoked already)\n`);

    // As `token list` shows it, shortened: the first 8 characters name one token.
    const lead = created.lead?.id ?? '';
    const short = await cli('token', 'revoke', lead.slice(0, 8));
    expect(short.status, short.stdout + short.stderr).to.equal(0);
    expect(short.stdout).to.equal(`revoked token ${lead}: every running instance refuses it within a second\n`);
    expect((await cli('token', 'revoke', lead.slice(0, 7))).status, 'fewer than 8 characters name no token').to.equal(1);
  });

  it('records each token issued and revoked as an audit event by the operator, never the token itself', async () => {
    const events = await db().query<{ event_type: string; actor: string; actor_role: string; details: Record<string, unknown> }>(
      "select event_type, actor, actor_role, details from audit_events where event_type like 'token.%' order by seq",
    );
    const ids = (type: string) => events.filter((e) => e.event_type === type).map((e) => e.details.tokenId);
    expect(ids('token.created')).to.include.members(Object.values(created).map((t) => t?.id));
    expect(ids('token.revoked')).to.deep.equal([created.gp?.id, created.lead?.id]);
    for (const event of events) expect(event).to.include({ actor: 'cli:operator', actor_role: 'operator' });
    const text = JSON.stringify(events);
    for (const t of Object.values(created)) expect(text).to.not.contain(t?.token.slice(4));
  });

  it('token create --person gives a person a second token: one person, whose role and practice it takes; another role is refused', async () => {
    await create('lead', '--role', 'clinical-lead', '--name', 'Dr B Lead');
    const personId = (await listJson()).find((t) => t.id === created.lead?.id)?.personId as string;
    expect(personId).to.match(new RegExp(`^${UUID}$`));
    const second = await create('lead laptop', '--person', personId.slice(0, 8), '--name', 'B Lead (laptop)');
    expect(second).to.match(new RegExp(`^created token ${UUID} for B Lead \\(laptop\\): role clinical-lead, `));
    const tokens = await listJson();
    expect(listed(tokens, 'lead laptop')).to.include({ personId, role: 'clinical-lead', personName: 'Dr B Lead' });
    const people = JSON.parse((await cli('token', 'people', '--json')).stdout) as Array<{ id: string; displayName: string; tokens: number }>;
    expect(people.find((p) => p.id === personId)).to.include({ displayName: 'Dr B Lead', tokens: 2 });
    const [first, other] = await Promise.all([created.lead, created['lead laptop']].map((c) => checkToken(db(), c?.token ?? '', new Date())));
    expect(first?.ok).to.equal(true);
    expect(other?.ok && other.principal, 'two tokens, one principal').to.deep.equal(first?.ok && first.principal);
    expect(other?.ok && other.tokenId, 'each its own token').to.not.equal(first?.ok && first.tokenId);
    const wrongRole = await cli('token', 'create', '--person', personId, '--role', 'gp');
    expect(wrongRole.status).to.equal(1);
    expect(wrongRole.stdout).to.contain('a token has its person').and.not.match(ANY_TOKEN);
    const nobody = await cli('token', 'create', '--person', '00000000-0000-4000-8000-000000000000');
    expect(nobody.status).to.equal(1);
    expect(nobody.stdout).to.contain('no person 00000000-0000-4000-8000-000000000000');
  });
});

describe('the msk-triage rules commands', function () {
  this.timeout(60_000);
  const run = inProcessCli(); // these commands never open the database

  it('rules test: passes every shipped version, with a coverage line', async () => {
    const result = await run('rules', 'test');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/rules\/msk-triage\/1\.0\.0: 80 cases, 80 passed, 0 failed/);
    expect(result.stdout).to.match(/rules\/msk-triage\/2\.0\.0: (\d+) cases, \1 passed, 0 failed/);
    expect(result.stdout).to.match(/coverage: rules fired by a case 26\/26; routes reached 19\/20 \(never: community \/ routine \/ msk-triage-clinician\)/);
  });

  it('rules test: refuses a version whose safety net fails or whose rule no case fires, though every case passes', async () => {
    const { ruleSetCopiesOf } = await import('../support/rule-set-copies.js');
    const dir = await ruleSetCopiesOf('2.0.0', (copy) => {
      copy.ruleset.rules = copy.ruleset.rules.filter((r) => r.id !== 'MSK-N05') as typeof copy.ruleset.rules;
      copy.cases.cases = copy.cases.cases.filter((c) => !JSON.stringify(c).includes('MSK-N05')) as typeof copy.cases.cases;
    });
    const result = await run('rules', 'test', dir);
    expect(result.status, result.stdout).to.equal(1);
    expect(result.stdout).to.match(/: (\d+) cases, \1 passed, 0 failed/);
    expect(result.stdout).to.contain('REFUSED').and.contain('invariant red-flag-safety-net fails: a referral with redFlags.nightPain true');
    expect(result.stdout).to.match(/counterexample: \{"patient"/);
  });

  it('rules test: prints a failing case as expected vs actual with the rules that fired, and exits 1', async () => {
    const { ruleSetCopies } = await import('../support/rule-set-copies.js');
    const dir = await ruleSetCopies((copy) => {
      const e06 = copy.ruleset.rules.find((r) => r.id === 'MSK-E06');
      if (e06) e06.route.urgency = 'urgent';
    });
    const result = await run('rules', 'test', dir);
    expect(result.status).to.equal(1);
    expect(result.stdout).to.contain('FAIL E06-gca-age-72');
    expect(result.stdout).to.contain('expected secondary / emergency / rheumatology-same-day, review not required; fires MSK-E06, MSK-R10');
    expect(result.stdout).to.contain('actual   secondary / urgent / rheumatology-same-day, review not required; fired MSK-E06, MSK-R10');
  });

  it('rules diff: shows what changed from 1.0.0 to the 1.1.0 draft', async () => {
    const { version1RulesFolder } = await import('../support/rule-set-copies.js');
    const cli = inProcessCli({ env: { RULES_DIR: await version1RulesFolder() } });
    const diff = (...args: string[]) => cli('rules', 'diff', 'msk-triage', '1.0.0', '1.1.0', ...args);
    const result = await diff();
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.contain('condition all[1]: history.nonSurgicalCareWeeks < 6  →  history.nonSurgicalCareWeeks < 8');
    const json = JSON.parse((await diff('--json')).stdout) as { changed: Array<{ id: string }> };
    expect(json.changed.map((c) => c.id)).to.deep.equal(['MSK-R10', 'MSK-R11']);
  });
});

describe('a clinical lead’s way from a new version to activation, on the command line', function () {
  this.timeout(60_000);
  const { db } = ownDatabase();

  it('checks, simulates, approves and activates 1.1.0 while a broken 1.2.0 draft sits beside it', async () => {
    // 1.0.0 active and the 1.1.0 draft, and a 1.2.0 copied from 1.1.0 and broken
    const { version1RulesFolder } = await import('../support/rule-set-copies.js');
    const rulesDir = await version1RulesFolder();
    const v120 = path.join(rulesDir, 'msk-triage', '1.2.0');
    cpSync(path.join(rulesDir, 'msk-triage', '1.1.0'), v120, { recursive: true });
    const ruleset = JSON.parse(readFileSync(path.join(v120, 'ruleset.json'), 'utf8')) as { version: string; changeLog: object[]; rules: Array<{ conditions: object }> };
    ruleset.version = '1.2.0';
    ruleset.changeLog.push({ version: '1.2.0', date: '2026-11-22', summary: 'try' });
    const [first] = ruleset.rules;
    if (first) first.conditions = { all: [{ fact: 'smoker', operator: 'equal', value: true }] };
    writeFileSync(path.join(v120, 'ruleset.json'), JSON.stringify(ruleset));
    writeFileSync(path.join(v120, 'cases.json'), readFileSync(path.join(v120, 'cases.json'), 'utf8').replace('"version": "1.1.0"', '"version": "1.2.0"'));
    // The checker searches at full size here, as the real commands do.
    const run = inProcessCli({ db: db(), env: { RULES_DIR: rulesDir } });

    const check = await run('rules', 'check');
    expect(check.status).to.equal(1);
    expect(check.stdout).to.match(/1\.2\.0\/ruleset\.json: rule MSK-E01 \/conditions\/all\/0: fact "smoker" is recorded only/);
    expect(check.stdout).to.match(/msk-triage\/1\.1\.0: 0 errors, 0 warnings/);

    expect((await run('referrals', 'generate', '--count', '300', '--seed', '21')).status).to.equal(0);
    const simulate = await run('rules', 'simulate', 'msk-triage', '--from', '1.0.0', '--to', '1.1.0', '--synthetic', 'include');
    expect(simulate.status, simulate.stderr).to.equal(0);
    expect(simulate.stdout).to.match(/msk-triage 1\.0\.0 → 1\.1\.0: 300 referrals/);
    expect(simulate.stdout, simulate.stdout).to.match(/community \/ routine\s+physio \/ routine\s+\d+/);

    const unapproved = await run('rules', 'activate', 'msk-triage', '1.1.0', '--by', 'Dr C Lead', '--reason', 'audit');
    expect(unapproved.status).to.equal(1);
    expect(unapproved.stdout).to.contain('needs an approval, recorded for this exact content');
    // the activator's own approval (however the name is written) is not the second person's
    expect((await run('rules', 'approve', 'msk-triage', '1.1.0', '--name', ' dr c LEAD ', '--role', 'clinical lead')).status).to.equal(0);
    const selfApproved = await run('rules', 'activate', 'msk-triage', '1.1.0', '--by', 'Dr C Lead', '--reason', 'audit');
    expect(selfApproved.status).to.equal(1);
    expect(selfApproved.stdout).to.contain('and not the one activating it');
    expect((await run('rules', 'approve', 'msk-triage', '1.1.0', '--name', 'Dr B Lead', '--role', 'clinical lead')).status).to.equal(0);
    // 1.1.0 takes effect on 2027-01-04: activated before then, it says why it cannot wait (without, it is scheduled)
    const activate = await run('rules', 'activate', 'msk-triage', '1.1.0', '--by', 'Dr C Lead', '--reason', 'interface audit', '--override-effective-from', 'tried on a test database before its date');
    expect(activate.status, activate.stdout + activate.stderr).to.equal(0);
    expect(activate.stdout).to.contain('activated msk-triage 1.1.0 (was 1.0.0)');

    const broken = await run('rules', 'activate', 'msk-triage', '1.2.0', '--by', 'Dr C Lead', '--reason', 'try');
    expect(broken.status).to.equal(1);
    expect(broken.stdout).to.contain('activation refused; msk-triage 1.2.0 is not active');
    expect((await run('audit', 'verify')).stdout).to.match(/^audit chain verified/);

    // At the command line, signatories are operators, known in the trail by a pseudonym of their name.
    const pseudonym = (name: string) => `cli:${createHash('sha256').update(name.trim().toLowerCase()).digest('hex').slice(0, 16)}`;
    const events = await db().query<{ event_type: string; actor: string; actor_role: string }>(
      "select event_type, actor, actor_role from audit_events where event_type in ('ruleset.approved', 'ruleset.activated') and ruleset_version = '1.1.0' order by seq",
    );
    expect(events.map((e) => `${e.event_type} ${e.actor} ${e.actor_role}`)).to.deep.equal([
      `ruleset.approved ${pseudonym('Dr C Lead')} operator`,
      `ruleset.approved ${pseudonym('Dr B Lead')} operator`,
      `ruleset.activated ${pseudonym('Dr C Lead')} operator`,
    ]);
  });
});
