/**
 * The test support's databases (test/support/test-database.ts): one a test gives back is given out
 * again only empty, with its append-only triggers still on; one whose schema a test changed is not.
 */
import { expect } from 'chai';
import { freshDatabase } from '../support/test-database.js';

const addPerson = (db: { query: (sql: string) => Promise<unknown> }) =>
  db.query("insert into people (id, display_name, role, created_at) values (gen_random_uuid(), 'Dr T Lead', 'clinical-lead', now())");

describe('the test support’s databases', () => {
  it('gives a database back out empty, with its append-only triggers on', async () => {
    const first = await freshDatabase();
    await addPerson(first.db);
    await first.dispose();
    const second = await freshDatabase();
    try {
      expect([first.reused, second.reused], 'the same database, given out again').to.deep.equal([false, true]);
      expect(second.db, 'as another object').to.not.equal(first.db);
      expect(await second.db.query('select count(*)::int as n from people')).to.deep.equal([{ n: 0 }]);
      const tables = await second.db.query<{ name: string }>("select tablename as name from pg_tables where schemaname = 'public' and tablename <> 'schema_migrations'");
      for (const { name } of tables) expect(await second.db.query(`select count(*)::int as n from ${name}`), name).to.deep.equal([{ n: 0 }]);
      await addPerson(second.db);
      const error = await second.db.query("update people set display_name = 'Someone else'").then(() => undefined, (e: Error) => e);
      expect(error?.message ?? 'updated', 'people are append-only').to.match(/append-only|not allowed|refuse/i);
    } finally {
      await second.dispose();
    }
  });

  it('closes, instead of giving out again, a database whose schema a test changed', async () => {
    const changed = await freshDatabase();
    await changed.db.exec('create table scratch (id int)');
    await changed.dispose();
    const next = await freshDatabase();
    try {
      expect(next.reused).to.equal(false);
      expect(await next.db.query("select count(*)::int as n from pg_tables where tablename = 'scratch'")).to.deep.equal([{ n: 0 }]);
    } finally {
      await next.dispose();
    }
  });
});
