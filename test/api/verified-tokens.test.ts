/**
 * Verified command-line tokens are kept in the process for at most a second: most requests cost no
 * token query, a token revoked elsewhere (the command line, another instance) is refused within a
 * second, one revoked through this process at once, and a token never becomes valid by being cached.
 * The cache's clock is moved by hand: no test waits in real time.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { issueToken, revokeToken } from '../../src/auth/api-tokens.js';
import { VerifiedTokens } from '../../src/auth/verified-tokens.js';
import type { Database } from '../../src/store/database.js';
import { insertPerson, insertToken, markTokenRevoked } from '../../src/store/token-store.js';
import { caller } from '../support/callers.js';
import { expectError } from '../support/error-shape.js';
import { db, testApp } from '../support/test-app.js';

/** A cache whose clock stands still until the test moves it. */
function handClockedCache(): { verifiedTokens: VerifiedTokens; advance(ms: number): void } {
  let now = 0;
  return { verifiedTokens: new VerifiedTokens({ now: () => now }), advance: (ms) => void (now += ms) };
}

/** The run's database, counting the queries that read a token by its hash. */
function countingTokenQueries(real: Database): { db: Database; tokenQueries: () => number } {
  let count = 0;
  return {
    db: {
      ...real,
      query: <T>(sql: string, params?: readonly unknown[]) => {
        if (/from api_tokens where token_sha256/.test(sql)) count += 1;
        return real.query<T>(sql, params);
      },
    },
    tokenQueries: () => count,
  };
}

const authFailures = (lines: readonly string[]) =>
  lines.map((line) => JSON.parse(line) as { event?: string; reason?: string }).filter((line) => line.event === 'auth.failed').map((line) => line.reason);

const issue = (name: string, expiresAt: Date | null = null) => issueToken(db, { name, role: 'triage-clinician', expiresAt, now: new Date() });

describe('verified tokens', () => {
  it('reads a token from the database once a second, not on every request', async () => {
    const counted = countingTokenQueries(db);
    const cache = handClockedCache();
    const t = await testApp({ db: counted.db, verifiedTokens: cache.verifiedTokens });
    const { token } = await issue('cached clinician');
    const clinician = caller(t.app, token);
    const before = counted.tokenQueries();
    for (let i = 0; i < 5; i++) expect((await clinician.get('/api/v1/rulesets')).status).to.equal(200);
    expect(counted.tokenQueries() - before, 'five requests within the second').to.equal(1);
    cache.advance(1_000);
    expect((await clinician.get('/api/v1/rulesets')).status).to.equal(200);
    expect(counted.tokenQueries() - before, 'a second later the token is read again').to.equal(2);
  });

  it('refuses a token revoked elsewhere (the command line, another instance) within a second', async () => {
    const cache = handClockedCache();
    const t = await testApp({ verifiedTokens: cache.verifiedTokens });
    const { token, record } = await issue('clinician revoked elsewhere');
    const clinician = caller(t.app, token);
    expect((await clinician.get('/api/v1/rulesets')).status).to.equal(200);
    // What `msk-triage token revoke` does in its own process: this process is not told.
    expect(await markTokenRevoked(db, record.id, new Date())).to.equal(true);
    cache.advance(999);
    expect((await clinician.get('/api/v1/rulesets')).status, 'still within the second it was read').to.equal(200);
    cache.advance(1);
    expectError(await clinician.get('/api/v1/rulesets'), 401, 'TOKEN_INVALID');
    expect(authFailures(t.logLines)).to.deep.equal(['revoked']);
  });

  it('refuses a token revoked through this process from the next request on', async () => {
    const cache = handClockedCache();
    const t = await testApp({ verifiedTokens: cache.verifiedTokens });
    const { token, record } = await issue('clinician revoked here');
    const clinician = caller(t.app, token);
    expect((await clinician.get('/api/v1/rulesets')).status).to.equal(200);
    expect(await revokeToken(db, record.id, new Date())).to.equal(true);
    expectError(await clinician.get('/api/v1/rulesets'), 401, 'TOKEN_INVALID');
    expect(authFailures(t.logLines)).to.deep.equal(['revoked']);
  });

  it('never remembers a miss: a token unknown a moment ago works as soon as it is issued', async () => {
    const cache = handClockedCache();
    const t = await testApp({ verifiedTokens: cache.verifiedTokens });
    const token = `msk_${randomBytes(32).toString('base64url')}`;
    const clinician = caller(t.app, token);
    expectError(await clinician.get('/api/v1/rulesets'), 401, 'TOKEN_INVALID');
    const person = await insertPerson(db, { id: randomUUID(), displayName: 'clinician issued a moment later', role: 'triage-clinician', practice: null, createdAt: new Date() });
    await insertToken(db, {
      id: randomUUID(),
      personId: person.id,
      tokenSha256: createHash('sha256').update(token).digest('hex'),
      name: 'clinician issued a moment later',
      role: 'triage-clinician',
      practice: null,
      createdAt: new Date(),
      expiresAt: null,
    });
    expect((await clinician.get('/api/v1/rulesets')).status, 'with the cache clock unmoved').to.equal(200);
    expect(authFailures(t.logLines)).to.deep.equal(['unknown']);
  });

  it('checks expiry on every request, against the request clock, even for a token read a moment ago', async () => {
    const cache = handClockedCache();
    const expiresAt = new Date('2026-11-22T12:00:00Z');
    let now = expiresAt.getTime() - 1;
    const t = await testApp({ verifiedTokens: cache.verifiedTokens, clock: () => new Date(now) });
    const { token } = await issue('clinician about to expire', expiresAt);
    const clinician = caller(t.app, token);
    expect((await clinician.get('/api/v1/rulesets')).status).to.equal(200);
    now += 1;
    expectError(await clinician.get('/api/v1/rulesets'), 401, 'TOKEN_INVALID');
    expect(authFailures(t.logLines)).to.deep.equal(['expired']);
  });
});
