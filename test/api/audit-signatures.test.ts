/**
 * Every audit row is signed with a key the database never holds: rows inserted, or a chain
 * re-hashed, by anyone with the database but not the key fail `audit verify`, a forged clinician
 * override with a correctly chained hash included; and the key can be rotated, old rows verifying
 * under their own key. Owns a fresh database.
 */
import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { auditContent, chainHash } from '../../src/audit/audit-event.js';
import { auditKeys, AuditKeyRing, keyIdOf, readAuditKeys, useAuditKeys } from '../../src/audit/audit-keys.js';
import { verifyAuditChain } from '../../src/audit/audit-trail.js';
import { appendCheckpoint } from '../../src/audit/checkpoints.js';
import type { Database } from '../../src/store/database.js';
import { inProcessCli } from '../support/cli.js';
import { aReferral } from '../support/referral-factory.js';
import { tempDir } from '../support/temp-dirs.js';
import { freshDatabase } from '../support/test-database.js';
import { testApp, type TestApp } from '../support/test-app.js';

const newKey = () => {
  const secret = randomBytes(32);
  return { id: keyIdOf(secret), secret };
};

describe('the audit trail’s signatures', () => {
  let db: Database;
  let dispose: () => Promise<void>;
  let t: TestApp;
  let runRing: AuditKeyRing | undefined;

  before(async () => {
    runRing = auditKeys();
    ({ db, dispose } = await freshDatabase());
    t = await testApp({ db });
    const gp = await t.gpOf('J82001');
    for (let i = 0; i < 3; i++) expect((await gp.post('/api/v1/referrals').send(aReferral({ redFlags: { saddleAnaesthesia: true } }))).status).to.equal(201);
  });
  after(async () => {
    useAuditKeys(runRing);
    await dispose();
  });

  const head = async () => (await db.query<{ seq: number; hash: string }>('select seq::int as seq, hash from audit_events order by seq desc limit 1'))[0] ?? { seq: 0, hash: '0'.repeat(64) };

  /** An event appended with SQL alone, chained correctly: what someone with the database but not the key can do. */
  async function forge(mac: (hash: string) => { keyId: string | null; mac: string | null }): Promise<number> {
    const [{ referral_id: referralId }] = (await db.query<{ referral_id: string }>("select referral_id from audit_events where event_type = 'referral.decided' limit 1")) as [{ referral_id: string }];
    const last = await head();
    const event = {
      seq: last.seq + 1, id: randomUUID(), referralId, type: 'referral.overridden' as const, actor: 'person:forged', actorRole: 'triage-clinician',
      occurredAt: new Date(), ruleset: null, details: { pathway: 'gp', urgency: 'routine' },
    };
    const hash = chainHash(last.hash, auditContent(event));
    const signed = mac(hash);
    await db.query(
      `insert into audit_events (seq, id, referral_id, event_type, actor, actor_role, occurred_at, ruleset_id, ruleset_version, ruleset_sha256, details, prev_hash, hash, key_id, mac)
       values ($1, $2, $3, $4, $5, $6, $7, null, null, null, $8, $9, $10, $11, $12)`,
      [event.seq, event.id, event.referralId, event.type, event.actor, event.actorRole, event.occurredAt, JSON.stringify(event.details), last.hash, hash, signed.keyId, signed.mac],
    );
    return event.seq;
  }

  const removeFrom = async (seq: number) => {
    await db.transaction(async (tx) => {
      await tx.query('set local role none'); // as the tables' owner would: the runtime role may not
      await tx.query('alter table audit_events disable trigger user');
      await tx.query('delete from audit_events where seq >= $1', [seq]);
      await tx.query('alter table audit_events enable trigger user');
    });
  };

  it('signs every row it writes with the current key, and verifies them', async () => {
    const rows = await db.query<{ key_id: string | null; mac: string | null }>('select key_id, mac from audit_events');
    expect(rows.length).to.be.greaterThan(5);
    expect(new Set(rows.map((row) => row.key_id))).to.deep.equal(new Set([runRing?.current.id]));
    for (const row of rows) expect(row.mac).to.match(/^[0-9a-f]{64}$/);
    expect(await verifyAuditChain(db)).to.deep.include({ ok: true });
  });

  it('names a forged override chained correctly but unsigned, or signed without the key', async () => {
    const unsigned = await forge(() => ({ keyId: null, mac: null }));
    expect(await verifyAuditChain(db)).to.deep.include({ ok: false, brokenAt: unsigned });
    expect((await verifyAuditChain(db) as { reason: string }).reason).to.match(/is not signed, though row 1 and those after it are: it was written without the audit key/);
    await removeFrom(unsigned);
    const guessed = await forge(() => ({ keyId: runRing?.current.id ?? null, mac: randomBytes(32).toString('hex') }));
    expect(await verifyAuditChain(db)).to.deep.include({ ok: false, brokenAt: guessed, reason: `row ${guessed}'s signature does not match: it was written or re-chained without the audit key` });
    await removeFrom(guessed);
    const otherKey = new AuditKeyRing([newKey()]);
    const ownKey = await forge((hash) => otherKey.sign(hash));
    expect((await verifyAuditChain(db) as { reason: string }).reason).to.equal(`row ${ownKey} is signed with key ${otherKey.current.id}, which is not in the audit key file`);
    await removeFrom(ownKey);
    expect(await verifyAuditChain(db)).to.deep.include({ ok: true });
  });

  it('names a row edited and re-hashed with the chain’s own unkeyed hash, though the chain of hashes holds', async () => {
    const [row] = await db.query<{ seq: number }>("select seq::int as seq from audit_events where event_type = 'referral.decided' order by seq desc limit 1");
    const seq = row?.seq ?? 0;
    const [event] = await db.query<Record<string, unknown>>('select * from audit_events where seq = $1', [seq]);
    // The last row's urgency rewritten, its hash recomputed as the project's own code does it.
    const details = { ...(event?.details as Record<string, unknown>), urgency: 'routine' };
    const content = auditContent({
      seq, id: event?.id as string, referralId: event?.referral_id as string, type: 'referral.decided', actor: event?.actor as string, actorRole: event?.actor_role as string,
      occurredAt: event?.occurred_at as Date, ruleset: { id: event?.ruleset_id as string, version: event?.ruleset_version as string, sha256: event?.ruleset_sha256 as string }, details: details,
    });
    const rehashed = chainHash(event?.prev_hash as string, content);
    const [last] = await db.query<{ seq: number }>('select max(seq)::int as seq from audit_events');
    expect(last?.seq, 'the row edited is the last').to.equal(seq);
    await db.transaction(async (tx) => {
      await tx.query('set local role none'); // as the tables' owner would: the runtime role may not
      await tx.query('alter table audit_events disable trigger user');
      await tx.query('update audit_events set details = $2, hash = $3 where seq = $1', [seq, JSON.stringify(details), rehashed]);
      await tx.query('alter table audit_events enable trigger user');
    });
    expect(await verifyAuditChain(db)).to.deep.include({ ok: false, brokenAt: seq, reason: `row ${seq}'s signature does not match: it was written or re-chained without the audit key` });
    await db.transaction(async (tx) => {
      await tx.query('set local role none'); // as the tables' owner would: the runtime role may not
      await tx.query('alter table audit_events disable trigger user');
      await tx.query('update audit_events set details = $2, hash = $3 where seq = $1', [seq, JSON.stringify(event?.details), event?.hash]);
      await tx.query('alter table audit_events enable trigger user');
    });
    expect(await verifyAuditChain(db)).to.deep.include({ ok: true });
  });

  it('checkpoints the head outside the database, and audit verify --checkpoints names a cut tail the chain alone cannot see, and a checkpoint forged without the key', async () => {
    const dir = tempDir('msk-checkpoints-');
    const ring = runRing as AuditKeyRing;
    // The last row a read of the queue: a row no other row or record stands for, whose loss nothing else shows.
    expect((await t.clinician.get('/api/v1/referrals')).status).to.equal(200);
    const checkpointed = await head();
    await appendCheckpoint(dir, ring, checkpointed, new Date('2026-11-22T12:00:00Z'));
    const cli = inProcessCli({ db });
    const verified = await cli('audit', 'verify', '--checkpoints', dir);
    expect(verified.status, verified.stdout).to.equal(0);
    expect(verified.stdout).to.match(/; all 1 checkpoints hold \(the last: row \d+ at 2026-11-22T12:00:00.000Z\)/);
    const [kept] = await db.query<Record<string, unknown>>('select * from audit_events where seq = $1', [checkpointed.seq]);
    expect(kept?.event_type).to.equal('referral.queue-read');
    await removeFrom(checkpointed.seq);
    try {
      expect(await verifyAuditChain(db)).to.deep.include({ ok: true });
      expect((await cli('audit', 'verify')).status, 'without the checkpoints, nothing shows the cut').to.equal(0);
      const cut = await cli('audit', 'verify', '--checkpoints', dir);
      expect(cut.status).to.equal(1);
      expect(cut.stdout).to.contain(`audit chain BROKEN against its checkpoints: row ${checkpointed.seq}, checkpointed at 2026-11-22T12:00:00.000Z, is gone: the chain was cut`);
    } finally {
      const row = kept as Record<string, unknown>;
      await db.query(
        `insert into audit_events (seq, id, referral_id, event_type, actor, actor_role, occurred_at, ruleset_id, ruleset_version, ruleset_sha256, details, prev_hash, hash, key_id, mac)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        [row.seq, row.id, row.referral_id, row.event_type, row.actor, row.actor_role, row.occurred_at, row.ruleset_id, row.ruleset_version, row.ruleset_sha256, JSON.stringify(row.details), row.prev_hash, row.hash, row.key_id, row.mac],
      );
    }
    // A checkpoint line written by someone without the key.
    await appendCheckpoint(dir, new AuditKeyRing([newKey()]), checkpointed, new Date('2026-11-22T13:00:00Z'));
    const forged = await cli('audit', 'verify', '--checkpoints', dir);
    expect(forged.status).to.equal(1);
    expect(forged.stdout).to.contain(`checkpoint line 2 (row ${checkpointed.seq}, 2026-11-22T13:00:00.000Z) is not signed by the audit key`);
  });

  it('rotates: rows signed under the old key still verify, new rows are signed with the new one, and a key file without the old key names its rows', async () => {
    const before = await head();
    const current = runRing as AuditKeyRing;
    const rotated = newKey();
    const file = path.join(tempDir('msk-audit-key-'), 'audit-key');
    // The new key on the first line, the old one kept below it.
    writeFileSync(file, `${rotated.secret.toString('hex')}\n${current.current.secret.toString('hex')}\n`, { mode: 0o600 });
    useAuditKeys(readAuditKeys(file));
    try {
      expect((await (await t.gpOf('J82001')).post('/api/v1/referrals').send(aReferral())).status).to.equal(201);
      const after = await db.query<{ key_id: string }>('select key_id from audit_events where seq > $1', [before.seq]);
      expect(after.map((row) => row.key_id)).to.deep.equal(after.map(() => rotated.id));
      expect(await verifyAuditChain(db)).to.deep.include({ ok: true });
      const withoutOld = new AuditKeyRing([rotated]);
      expect((await verifyAuditChain(db, withoutOld) as { reason: string }).reason).to.equal(`row 1 is signed with key ${current.current.id}, which is not in the audit key file`);
    } finally {
      useAuditKeys(runRing);
    }
  });
});
