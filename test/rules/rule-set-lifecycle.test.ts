/**
 * The active version lives in the database; a released version's files never change. These tests
 * own a fresh database.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { loadRuleSets, RuleSetLoadError } from '../../src/rules/rule-set-loader.js';
import { reconcileWithDatabase } from '../../src/rulesets/rule-set-lifecycle.js';
import type { Database } from '../../src/store/database.js';
import { currentActivations, insertActivation } from '../../src/store/ruleset-store.js';
import { asVersion, ruleSetCopies, unchanged } from '../support/rule-set-copies.js';
import { freshDatabase } from '../support/test-database.js';

describe('the rule-set lifecycle in the database', function () {
  this.timeout(60_000);
  let db: Database;
  let dispose: () => Promise<void>;
  const clock = () => new Date('2026-11-22T12:00:00Z');
  before(async () => ({ db, dispose } = await freshDatabase()));
  after(() => dispose());

  it('records the version whose file says active as the first activation, once, with an audit event', async () => {
    const loaded = await loadRuleSets(await ruleSetCopies(unchanged, asVersion('1.1.0', 'draft')));
    expect(await reconcileWithDatabase(db, loaded, clock)).to.deep.equal({ 'msk-triage': '1.0.0' });
    expect(await reconcileWithDatabase(db, loaded, clock)).to.deep.equal({ 'msk-triage': '1.0.0' });
    const rows = await db.query<{ n: number }>('select count(*)::int as n from ruleset_activations');
    expect(rows[0]?.n).to.equal(1);
    const events = await db.query<{ event_type: string; actor: string }>("select event_type, actor from audit_events where event_type = 'ruleset.activated'");
    expect(events).to.deep.equal([{ event_type: 'ruleset.activated', actor: 'msk-triage start-up' }]);
  });

  it('refuses a released version whose file was edited, naming the file and both hashes', async () => {
    const edited = await loadRuleSets(await ruleSetCopies((copy) => { copy.ruleset.rules[0].advice = 'edited after release'; }));
    let error: unknown;
    await reconcileWithDatabase(db, edited, clock).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(RuleSetLoadError);
    expect((error as Error).message).to.match(/msk-triage\/1\.0\.0\/ruleset\.json: version 1\.0\.0 was released \(activated 2026-11-22\) with content hash [0-9a-f]{64}, but the file now hashes to [0-9a-f]{64}\. A released version is never edited/);
  });

  it('keeps the hash when only the file status changes, as retiring a version does', async () => {
    const retired = await loadRuleSets(await ruleSetCopies((copy) => { copy.ruleset.status = 'retired'; }, asVersion('1.1.0', 'active')));
    expect(await reconcileWithDatabase(db, retired, clock)).to.deep.equal({ 'msk-triage': '1.0.0' });
  });

  it('takes the active version from the latest activation, whatever the files say', async () => {
    const loaded = await loadRuleSets(await ruleSetCopies(unchanged, asVersion('1.1.0', 'draft')));
    const v110 = loaded.find((v) => v.compiled.version === '1.1.0');
    await db.transaction((tx) => insertActivation(tx, { id: randomUUID(), rulesetId: 'msk-triage', version: '1.1.0', sha256: v110?.compiled.sha256 ?? '', activatedBy: 'Dr Lead', activatedById: null, reason: 'test', activatedAt: new Date('2026-11-23T09:00:00Z') }));
    expect(await reconcileWithDatabase(db, loaded, clock)).to.deep.equal({ 'msk-triage': '1.1.0' });
    expect((await currentActivations(db)).get('msk-triage')?.version).to.equal('1.1.0');
  });

  it('refuses to start when the active version is missing from the rules folder', async () => {
    const only100 = await loadRuleSets(await ruleSetCopies(unchanged));
    let error: unknown;
    await reconcileWithDatabase(db, only100, clock).catch((e: unknown) => (error = e));
    expect((error as Error).message).to.contain('the active version 1.1.0 (recorded in the database) is not in the rules folder');
  });
});
