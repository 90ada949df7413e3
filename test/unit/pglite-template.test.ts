/**
 * A new embedded database starts from the build's migrated template (src/store/pglite-template.ts),
 * not from PGlite's initdb: a command's and a service's first start in an empty data folder find
 * every migration applied, and the database works.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { openDatabase, serveEmbeddedDatabase } from '../../src/store/embedded-server.js';
import { MIGRATIONS, migrate } from '../../src/store/migrations.js';
import { makeTemplate, templateFile, templateFolder } from '../../src/store/pglite-template.js';
import type { Database } from '../../src/store/database.js';
import { tempDir } from '../support/temp-dirs.js';

async function expectMigratedAndWorking(db: Database): Promise<void> {
  expect(await migrate(db), 'migrations left to apply').to.deep.equal([]);
  expect(await db.query('select count(*)::int as n from schema_migrations')).to.deep.equal([{ n: MIGRATIONS.length }]);
  expect(await db.query('select count(*)::int as n from referrals')).to.deep.equal([{ n: 0 }]);
}

describe('a new embedded database, from the build’s template', function () {
  this.timeout(30_000);
  before(async () => {
    await makeTemplate(); // made by the build; here too, in case the cache was cleared since
    expect(existsSync(templateFile())).to.equal(true);
    expect(existsSync(path.join(templateFolder(), 'PG_VERSION'))).to.equal(true);
  });

  it('opens for a command in an empty data folder with every migration applied', async () => {
    const db = await openDatabase({ dataDir: tempDir('msk-first-') });
    try {
      await expectMigratedAndWorking(db);
    } finally {
      await db.close();
    }
  });

  it('is served for a service in an empty data folder with every migration applied', async () => {
    const { db } = await serveEmbeddedDatabase(tempDir('msk-first-'));
    try {
      await expectMigratedAndWorking(db);
    } finally {
      await db.close();
    }
  });

  it('is copied, never shared: what one data folder writes, the next new one does not see', async () => {
    const first = await serveEmbeddedDatabase(tempDir('msk-first-'));
    try {
      await first.db.exec('create table template_probe (x int); insert into template_probe values (1)');
    } finally {
      await first.db.close();
    }
    const db = await openDatabase({ dataDir: tempDir('msk-first-') });
    try {
      expect(await db.query("select to_regclass('template_probe') is null as absent")).to.deep.equal([{ absent: true }]);
      await expectMigratedAndWorking(db);
    } finally {
      await db.close();
    }
  });
});
