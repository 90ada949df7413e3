/** Command-line bearer tokens in the database: only a hash is kept; expiry and revocation hold. */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { checkToken, issueToken, listTokens, revokeToken, TOKEN_PATTERN } from '../../src/auth/api-tokens.js';
import { db } from '../support/test-app.js';

const now = new Date('2026-11-22T12:00:00Z');
const later = (ms: number) => new Date(now.getTime() + ms);

describe('API tokens', () => {
  it('stores only the SHA-256 of a token: the token itself is nowhere in the table', async () => {
    const { token, record } = await issueToken(db, { name: 'Practice system', role: 'gp', practice: 'A81001', expiresAt: null, now });
    expect(token).to.match(TOKEN_PATTERN);
    const [row] = await db.query<Record<string, unknown>>('select * from api_tokens where id = $1', [record.id]);
    expect(JSON.stringify(row)).to.not.contain(token.slice(4));
    expect(row?.token_sha256).to.equal(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(await listTokens(db))).to.not.contain(token.slice(4)).and.not.contain(String(row?.token_sha256));
  });

  it("gives the principal of a valid token: its person's pseudonymous id, role, practice and name", async () => {
    const { token, person, record } = await issueToken(db, { name: 'Dr Example', role: 'gp', practice: 'A81001', expiresAt: later(60_000), now });
    expect(await checkToken(db, token, now)).to.deep.equal({ ok: true, tokenId: record.id, principal: { id: `person:${person.id}`, role: 'gp', practice: 'A81001', name: 'Dr Example', via: 'token' } });
  });

  it("gives a person's second token the same principal as their first: one person, whatever the token is called", async () => {
    const first = await issueToken(db, { name: 'Dr B Lead', role: 'clinical-lead', expiresAt: null, now });
    const second = await issueToken(db, { name: 'B Lead (laptop)', role: 'clinical-lead', expiresAt: null, now, personId: first.person.id });
    expect(second.newPerson).to.equal(false);
    expect(second.record.id).to.not.equal(first.record.id);
    const [a, b] = [await checkToken(db, first.token, now), await checkToken(db, second.token, now)];
    // One principal; each check names its own token (a web session belongs to the token it began with).
    expect(a).to.deep.equal({ ok: true, tokenId: first.record.id, principal: { id: `person:${first.person.id}`, role: 'clinical-lead', name: 'Dr B Lead', via: 'token' } });
    expect(b).to.deep.equal({ ok: true, tokenId: second.record.id, principal: { id: `person:${first.person.id}`, role: 'clinical-lead', name: 'Dr B Lead', via: 'token' } });
  });

  it("refuses a token for a person of another role or practice, or for no person: a token has its person's role", async () => {
    const gp = await issueToken(db, { name: 'Riverside EMIS', role: 'gp', practice: 'A81001', expiresAt: null, now });
    const refusals: string[] = [];
    for (const input of [
      { role: 'clinical-lead' as const, personId: gp.person.id },
      { role: 'gp' as const, practice: 'B82002', personId: gp.person.id },
      { role: 'gp' as const, personId: '00000000-0000-4000-8000-000000000000' },
    ]) {
      try {
        await issueToken(db, { name: 'x', expiresAt: null, now, ...input });
      } catch (error) {
        refusals.push((error as Error).name);
      }
    }
    expect(refusals).to.deep.equal(['PersonMismatchError', 'PersonMismatchError', 'PersonMismatchError']);
  });

  it('refuses a token from the moment it expires', async () => {
    const { token } = await issueToken(db, { name: 'short', role: 'triage-clinician', expiresAt: later(1_000), now });
    expect((await checkToken(db, token, later(999))).ok).to.equal(true);
    expect(await checkToken(db, token, later(1_000))).to.deep.equal({ ok: false, reason: 'expired' });
  });

  it('refuses a revoked token, and revokes only once', async () => {
    const { token, record } = await issueToken(db, { name: 'leaver', role: 'clinical-lead', expiresAt: null, now });
    expect(await revokeToken(db, record.id, later(1))).to.equal(true);
    expect(await revokeToken(db, record.id, later(2))).to.equal(false);
    expect(await checkToken(db, token, later(3))).to.deep.equal({ ok: false, reason: 'revoked' });
  });

  it('refuses unknown and malformed tokens alike', async () => {
    expect(await checkToken(db, `msk_${'A'.repeat(43)}`, now)).to.deep.equal({ ok: false, reason: 'unknown' });
    expect(await checkToken(db, "msk_' or 1=1 --", now)).to.deep.equal({ ok: false, reason: 'unknown' });
  });

  it('lets the database refuse anything but a revocation: no deletes, no edits of role, practice or expiry', async () => {
    const { record } = await issueToken(db, { name: 'fixed', role: 'gp', practice: 'A81001', expiresAt: later(60_000), now });
    for (const sql of [
      'delete from api_tokens where id = $1',
      "update api_tokens set role = 'clinical-lead' where id = $1",
      "update api_tokens set practice_ods = 'B82002' where id = $1",
      'update api_tokens set expires_at = null where id = $1',
    ]) {
      let refused = false;
      try {
        await db.query(sql, [record.id]);
      } catch {
        refused = true;
      }
      expect(refused, sql).to.equal(true);
    }
    let gpWithoutPractice = false;
    try {
      await issueToken(db, { name: 'no practice', role: 'gp', expiresAt: null, now });
    } catch {
      gpWithoutPractice = true;
    }
    expect(gpWithoutPractice, 'a gp token needs a practice').to.equal(true);
  });
});

describe('names compared for the two-person rule', () => {
  it('are the same however they are spaced, cased, composed or padded with invisible characters', async () => {
    const { sameName } = await import('../../src/domain/person-name.js');
    const same = ['Dr Jane Smith', ' dr  jane smith ', 'DR JANE\u00A0SMITH', 'Dr Jane\u200B Smith', 'Ｄｒ Jane Smith'];
    for (const name of same) expect(sameName(name, 'dr jane smith'), JSON.stringify(name)).to.equal(true);
    expect(sameName('Dr Jane Smyth', 'dr jane smith')).to.equal(false);
  });
});
