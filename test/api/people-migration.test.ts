/**
 * Migration 010 on a database from before it: each token issued before becomes a person of its own,
 * with the token's id, name, role and practice, so that the audit trail's `token:<id>` of before is
 * the same person as `person:<id>` now. Owns a fresh database.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { checkToken } from '../../src/auth/api-tokens.js';
import { samePerson } from '../../src/rulesets/rule-set-activation.js';
import { migrate, MIGRATIONS } from '../../src/store/migrations.js';
import { freshDatabase } from '../support/test-database.js';

describe('migration 010 on a database from before it', function () {
  this.timeout(60_000);

  it('gives each token issued before a person of its own, with its id, name, role and practice, and keeps the tokens working', async () => {
    const own = await freshDatabase();
    try {
      const { db } = own;
      // The database as it was at 009: no people, tokens without a person, 003's guard of a token.
      const tokenGuard = /create function msk_token_revoke_only\(\)[\s\S]*?end \$\$;/.exec(MIGRATIONS.find((m) => m.id === '003-access-control')?.sql ?? '')?.[0] ?? 'no guard in 003';
      await db.exec(`delete from schema_migrations where id = '010-people';
        alter table api_tokens drop column person_id; drop table people;
        alter table decisions drop column decided_by_name, drop column decided_by_role;
        alter table reviews drop column reviewer_name, drop column reviewer_role;
        ${tokenGuard.replace('create function', 'create or replace function')}`);
      const tokens = [
        { id: '00000000-0000-4000-8000-0000000000a1', token: `msk_${'a'.repeat(43)}`, name: 'Riverside Surgery EMIS', role: 'gp', practice: 'A81001' },
        { id: '00000000-0000-4000-8000-0000000000b2', token: `msk_${'b'.repeat(43)}`, name: 'Dr B Lead', role: 'clinical-lead', practice: null },
      ];
      for (const t of tokens) {
        await db.query('insert into api_tokens (id, token_sha256, name, role, practice_ods, created_at) values ($1, $2, $3, $4, $5, now())',
          [t.id, createHash('sha256').update(t.token).digest('hex'), t.name, t.role, t.practice]);
      }
      expect(await migrate(db)).to.deep.equal(['010-people']);
      const people = await db.query<{ id: string; display_name: string; role: string; practice_ods: string | null }>(
        'select id::text as id, display_name, role, practice_ods from people where id = any($1::uuid[]) order by id', [tokens.map((t) => t.id)]);
      expect(people).to.deep.equal(tokens.map((t) => ({ id: t.id, display_name: t.name, role: t.role, practice_ods: t.practice })));
      const held = await db.query<{ id: string; person_id: string }>('select id::text as id, person_id::text as person_id from api_tokens where id = any($1::uuid[]) order by id', [tokens.map((t) => t.id)]);
      expect(held.map((row) => row.person_id)).to.deep.equal(held.map((row) => row.id));
      // still only a revocation may change a token, its person included
      let refused = false;
      try {
        await db.query('update api_tokens set person_id = $2 where id = $1', [tokens[0]?.id, tokens[1]?.id]);
      } catch {
        refused = true;
      }
      expect(refused, 'a token is not given to another person').to.equal(true);
      // the actor recorded before (token:<id>) is the person acting now (person:<id>)
      expect(await checkToken(db, `msk_${'b'.repeat(43)}`, new Date())).to.deep.equal({ ok: true, tokenId: tokens[1]?.id, principal: { id: `person:${tokens[1]?.id}`, role: 'clinical-lead', name: 'Dr B Lead', via: 'token' } });
      expect(samePerson(`token:${tokens[1]?.id}`, `person:${tokens[1]?.id}`)).to.equal(true);
      expect(samePerson(`token:${tokens[0]?.id}`, `person:${tokens[1]?.id}`)).to.equal(false);
    } finally {
      await own.dispose();
    }
  });
});
