/**
 * Two instances on one database switch rule-set versions together. On PostgreSQL the second
 * instance has its own connections and a 60 s fallback check, so switching within a second proves
 * LISTEN/NOTIFY; on PGlite (one process only) the two share the database and the check runs often.
 */
import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { watchActivations } from '../../src/rulesets/activation-watch.js';
import { registryFromDatabase } from '../../src/rulesets/rule-set-lifecycle.js';
import { loadRuleSets } from '../../src/rules/rule-set-loader.js';
import { openPostgres, type Database } from '../../src/store/database.js';
import { aReferral } from '../support/referral-factory.js';
import { asVersion, ruleSetCopies } from '../support/rule-set-copies.js';
import { freshDatabase } from '../support/test-database.js';
import { capturingLogger, testApp } from '../support/test-app.js';

describe('two instances on one database', function () {
  this.timeout(60_000);
  const stops: Array<() => Promise<void>> = [];
  let dispose: () => Promise<void>;
  let secondDb: Database | undefined;

  after(async () => {
    for (const stop of stops) await stop();
    await secondDb?.close();
    await dispose();
  });

  it('switch together when one of them activates a version', async () => {
    const fresh = await freshDatabase();
    dispose = fresh.dispose;
    const rulesDir = await ruleSetCopies(() => undefined, asVersion('1.1.0', 'draft'));
    const dbA = fresh.db;
    const dbB = fresh.url ? (secondDb = openPostgres(fresh.url)) : fresh.db;
    const registryA = await registryFromDatabase(dbA, await loadRuleSets(rulesDir), () => new Date());
    const registryB = await registryFromDatabase(dbB, await loadRuleSets(rulesDir), () => new Date());
    const { logger, lines } = capturingLogger();
    stops.push(await watchActivations({ db: dbA, registry: registryA, rulesDir, logger, intervalMs: 60_000 }));
    stops.push(await watchActivations({ db: dbB, registry: registryB, rulesDir, logger, intervalMs: fresh.url ? 60_000 : 100 }));
    const config = { rulesetId: 'msk-triage', bodyLimitBytes: 65536, rulesDir };
    const a = await testApp({ db: dbA, registry: registryA, config });
    const b = await testApp({ db: dbB, registry: registryB, config });
    expect((await b.clinician.post('/api/v1/triage').send(aReferral())).body.ruleset.version).to.equal('1.0.0');

    // two clinical leads on instance A: one approves, the other activates
    expect((await a.secondLead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/approvals').send({})).status).to.equal(201);
    const activated = await a.lead.post('/api/v1/rulesets/msk-triage/versions/1.1.0/activate').send({ reason: 'local audit' });
    expect(activated.status, JSON.stringify(activated.body)).to.equal(200);
    const started = Date.now();
    while (registryB.active('msk-triage')?.version !== '1.1.0' && Date.now() - started < 1000) await sleep(20);
    expect(registryB.active('msk-triage')?.version, `instance B switched within a second; log: ${lines.join('\n')}`).to.equal('1.1.0');
    expect((await b.clinician.post('/api/v1/triage').send(aReferral())).body.ruleset.version).to.equal('1.1.0');
  });
});
