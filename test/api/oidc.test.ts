/**
 * OpenID Connect bearer tokens, with keys this test generates itself: a JWKS in a file and one served
 * over HTTP on loopback, as an identity provider would. Signature, issuer, audience, expiry, the
 * algorithm allow-list and the role and practice claims are all checked; a forged token gets 401.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Express } from 'express';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK } from 'jose';
import { oidcVerifier } from '../../src/auth/oidc.js';
import type { OidcConfig } from '../../src/config.js';
import { caller } from '../support/callers.js';
import { expectError } from '../support/error-shape.js';
import { aReferral } from '../support/referral-factory.js';
import { db, testApp } from '../support/test-app.js';
import { tempDir } from '../support/temp-dirs.js';

const ISSUER = 'https://idp.test.example/realms/nhs';
const AUDIENCE = 'msk-triage';
const KID = 'test-key-1';

interface Keys {
  privateKey: CryptoKey;
  jwk: JWK;
}

async function keys(alg: 'ES256' | 'RS256', kid = KID): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

const baseConfig = (jwks: Partial<OidcConfig>): OidcConfig => ({
  issuer: ISSUER,
  audience: AUDIENCE,
  algorithms: ['ES256', 'RS256'],
  roleClaim: 'role',
  practiceClaim: 'practice',
  nameClaim: 'name',
  roleMap: {},
  claimsProfile: 'plain',
  clockToleranceSeconds: 0,
  ...jwks,
});

function sign(key: Keys, claims: Record<string, unknown>, options: { alg?: string; kid?: string; issuer?: string; audience?: string; expires?: string | number; subject?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? (key.jwk.alg as string), kid: options.kid ?? KID })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setSubject(options.subject ?? 'user-0001')
    .setIssuedAt()
    .setExpirationTime(options.expires ?? '5m')
    .sign(key.privateKey);
}

describe('OpenID Connect bearer tokens', function () {
  this.timeout(30_000);
  let es: Keys;
  let rs: Keys;
  let app: Express;
  const call = (token: string) => caller(app, token);

  before(async () => {
    es = await keys('ES256');
    rs = await keys('RS256', 'test-key-2');
    const file = path.join(tempDir('msk-jwks-'), 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [es.jwk, rs.jwk] }));
    ({ app } = await testApp({ oidc: oidcVerifier(baseConfig({ jwksFile: file })) }));
  });

  it('lets a GP of a practice submit and read their referral, recorded under a pseudonym', async () => {
    const token = await sign(es, { role: 'gp', practice: 'P81001', name: 'Dr Jane Example' }, { subject: 'cis2-uuid-555011' });
    const submitted = await call(token).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: 'P81001' } }));
    expect(submitted.status, JSON.stringify(submitted.body)).to.equal(201);
    expect((await call(token).get(`/api/v1/referrals/${submitted.body.id as string}`)).status).to.equal(200);
    const [event] = await db.query<{ actor: string; actor_role: string }>("select actor, actor_role from audit_events where referral_id = $1 and event_type = 'referral.submitted'", [submitted.body.id]);
    expect(event?.actor).to.match(/^oidc:[0-9a-f]{32}$/);
    expect(event?.actor_role).to.equal('gp');
    expect(JSON.stringify(event)).to.not.contain('555011').and.not.contain('Jane');
  });

  it('accepts each allowed algorithm, and each role from its claim', async () => {
    expect((await call(await sign(rs, { role: 'triage-clinician' }, { kid: 'test-key-2' })).get('/api/v1/referrals')).status).to.equal(200);
    expect((await call(await sign(es, { role: 'clinical-lead' })).get('/api/v1/rulesets')).status).to.equal(200);
    expect((await call(await sign(es, { role: ['triage-clinician', 'unrelated-app-role'] })).get('/api/v1/referrals')).status).to.equal(200);
  });

  it('applies the role to the access policy like any other token', async () => {
    expectError(await call(await sign(es, { role: 'clinical-lead' })).get('/api/v1/referrals'), 403, 'FORBIDDEN');
    const other = await sign(es, { role: 'gp', practice: 'P81002' });
    expectError(await call(other).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: 'P81001' } })), 403, 'FORBIDDEN');
  });

  const refused: Array<[string, () => Promise<string>]> = [
    ['an expired token', () => sign(es, { role: 'triage-clinician' }, { expires: Math.floor(Date.now() / 1000) - 10 })],
    ['another issuer', () => sign(es, { role: 'triage-clinician' }, { issuer: 'https://evil.example' })],
    ['another audience', () => sign(es, { role: 'triage-clinician' }, { audience: 'another-service' })],
    ['a token signed by a key the provider never published (forged), with its key id', async () => sign(await keys('ES256'), { role: 'triage-clinician' })],
    ['alg none (unsigned)', () => Promise.resolve(new UnsecuredJWT({ role: 'triage-clinician' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('x').setExpirationTime('5m').encode())],
    ['HS256 with the public key as the secret (algorithm confusion)', async () =>
      new SignJWT({ role: 'triage-clinician' }).setProtectedHeader({ alg: 'HS256', kid: KID }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('x').setExpirationTime('5m')
        .sign(new TextEncoder().encode(JSON.stringify(es.jwk)))],
    ['a token whose payload was edited after signing', async () => {
      const [header, , signature] = (await sign(es, { role: 'gp', practice: 'P81001' })).split('.');
      const payload = Buffer.from(JSON.stringify({ role: 'clinical-lead', iss: ISSUER, aud: AUDIENCE, sub: 'x', exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url');
      return `${header}.${payload}.${signature}`;
    }],
    ['an empty subject', () => sign(es, { role: 'triage-clinician' }, { subject: '' })],
    ['a subject that is not a string', async () => new SignJWT({ role: 'triage-clinician', sub: ['user-0001'] } as Record<string, unknown>).setProtectedHeader({ alg: 'ES256', kid: KID }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(es.privateKey)],
    ['no role claim', () => sign(es, {})],
    ['a role this service does not have', () => sign(es, { role: 'admin' })],
    ['two roles at once', () => sign(es, { role: ['gp', 'clinical-lead'], practice: 'P81001' })],
    ['a GP without a practice', () => sign(es, { role: 'gp' })],
    ['a GP whose practice is not an ODS code', () => sign(es, { role: 'gp', practice: "P81001' or 1=1" })],
    ['no expiry', async () => new SignJWT({ role: 'triage-clinician' }).setProtectedHeader({ alg: 'ES256', kid: KID }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('x').sign(es.privateKey)],
    ['not yet valid (nbf in the future)', async () => new SignJWT({ role: 'triage-clinician' }).setProtectedHeader({ alg: 'ES256', kid: KID }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('x').setExpirationTime('10m').setNotBefore('5m').sign(es.privateKey)],
  ];
  for (const [what, make] of refused) {
    it(`refuses ${what}: 401 TOKEN_INVALID`, async () => {
      const res = await call(await make()).get('/api/v1/referrals');
      expectError(res, 401, 'TOKEN_INVALID');
      expect(res.headers['www-authenticate']).to.equal('Bearer realm="msk-triage", error="invalid_token"');
    });
  }

  it('refuses JWTs when no identity provider is configured', async () => {
    const { app: tokensOnly } = await testApp();
    expectError(await caller(tokensOnly, await sign(es, { role: 'triage-clinician' })).get('/api/v1/referrals'), 401, 'TOKEN_INVALID');
  });

  it('maps the provider’s role codes and reads nested claims, as configured', async () => {
    const file = path.join(tempDir('msk-jwks-'), 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [es.jwk] }));
    const verifier = oidcVerifier(baseConfig({ jwksFile: file, roleClaim: 'nhsid.roles', practiceClaim: 'nhsid.org', roleMap: { R8000: 'clinical-lead', R8003: 'gp' } }));
    const lead = await verifier.verify(await sign(es, { nhsid: { roles: ['R8000', 'R9999'] } }));
    expect(lead).to.deep.include({ ok: true });
    expect(lead.ok && lead.principal.role).to.equal('clinical-lead');
    const gp = await verifier.verify(await sign(es, { nhsid: { roles: 'R8003', org: 'Y12345' } }));
    expect(gp.ok && gp.principal).to.deep.include({ role: 'gp', practice: 'Y12345', via: 'oidc' });
    expect(await verifier.verify(await sign(es, { role: 'clinical-lead' }))).to.deep.equal({ ok: false, reason: 'no-role' });
  });

  it('reads an NHS CIS2 token’s selected role profile under OIDC_CLAIMS_PROFILE=cis2: a GP of its org_code', async () => {
    const file = path.join(tempDir('msk-jwks-'), 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [es.jwk] }));
    const { app: cis2 } = await testApp({ oidc: oidcVerifier(baseConfig({ jwksFile: file, claimsProfile: 'cis2', roleMap: { R8000: 'clinical-lead', R8010: 'gp' } })) });
    const roles = [
      { person_roleid: '555000000001', org_code: 'RX1', role_code: 'S8000:G8000:R8000' },
      { person_roleid: '555000000002', org_code: 'P81001', role_code: 'S8000:G8000:R8010' },
    ];
    const gp = await sign(es, { nhsid_nrbac_roles: roles, selected_roleid: '555000000002' });
    expect((await caller(cis2, gp).post('/api/v1/referrals').send(aReferral({ referrer: { odsCode: 'P81001' } }))).status).to.equal(201);
    expectError(await caller(cis2, gp).get('/api/v1/rulesets'), 403, 'FORBIDDEN');
    expectError(await caller(cis2, await sign(es, { nhsid_nrbac_roles: roles })).get('/api/v1/referrals'), 401, 'TOKEN_INVALID');
  });

  describe('with the keys fetched from the provider’s JWKS URL', () => {
    let server: Server;
    let fetched = 0;
    before(async () => {
      server = createServer((_req, res) => {
        fetched += 1;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ keys: [es.jwk] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('verifies against the fetched keys, fetching them once, and still refuses a forged token', async () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
      const { app: remote } = await testApp({ oidc: oidcVerifier(baseConfig({ jwksUrl: url })) });
      for (let i = 0; i < 3; i++) expect((await caller(remote, await sign(es, { role: 'triage-clinician' })).get('/api/v1/referrals')).status).to.equal(200);
      expect(fetched).to.equal(1);
      expectError(await caller(remote, await sign(await keys('ES256'), { role: 'triage-clinician' })).get('/api/v1/referrals'), 401, 'TOKEN_INVALID');
    });
  });
});
