/** The cache of verified tokens: at most a second, bounded in size, and deaf to tokens revoked here. */
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { forgetRevokedToken, VerifiedTokens } from '../../src/auth/verified-tokens.js';
import type { TokenRecord } from '../../src/store/token-store.js';

const aRecord = (): TokenRecord => ({ id: randomUUID(), personId: randomUUID(), personName: 'x', name: 'x', role: 'gp', practice: 'A81001', createdAt: new Date(), expiresAt: null, revokedAt: null });

describe('VerifiedTokens', () => {
  it('keeps an entry for less than a second, whatever lifetime it is asked for', () => {
    let now = 0;
    const cache = new VerifiedTokens({ ttlMs: 60_000, now: () => now });
    const record = aRecord();
    cache.set('hash', record);
    now = 999;
    expect(cache.get('hash')).to.equal(record);
    now = 1_000;
    expect(cache.get('hash')).to.equal(undefined);
    expect(cache.size).to.equal(0);
  });

  it('counts an entry\'s second from before the read, however long the read took', async () => {
    let now = 0;
    const cache = new VerifiedTokens({ now: () => now });
    const record = aRecord();
    const slowRead = () => {
      now += 400; // the database took 400 ms to answer
      return Promise.resolve(record);
    };
    expect(await cache.lookUp('hash', slowRead)).to.equal(record);
    now = 999;
    expect(cache.get('hash')).to.equal(record);
    now = 1_000;
    expect(cache.get('hash'), 'a second after the row was read').to.equal(undefined);
  });

  it('never keeps a miss', async () => {
    const cache = new VerifiedTokens({ now: () => 0 });
    expect(await cache.lookUp('hash', () => Promise.resolve(undefined))).to.equal(undefined);
    expect(cache.size).to.equal(0);
  });

  it('drops the oldest entry when full', () => {
    const cache = new VerifiedTokens({ maxEntries: 2, now: () => 0 });
    const [a, b, c] = [aRecord(), aRecord(), aRecord()];
    cache.set('a', a);
    cache.set('b', b);
    cache.set('c', c);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).to.deep.equal([undefined, b, c]);
  });

  it('forgets a token revoked through this process, and never takes it back', () => {
    const cache = new VerifiedTokens({ now: () => 0 });
    const record = aRecord();
    cache.set('hash', record);
    forgetRevokedToken(record.id);
    expect(cache.get('hash')).to.equal(undefined);
    // a look-up that read the row before the revocation committed
    cache.set('hash', record);
    expect(cache.get('hash')).to.equal(undefined);
  });
});
