/**
 * Sign-in with the identity provider, without a browser or a provider (the journey test has both):
 * with it configured the pages take no token; the flow's cookie is HttpOnly, SameSite=Lax and
 * short-lived (Secure, __Host-, over TLS); a callback without this browser's flow, or with the
 * provider's refusal, starts no session and says what happened; sign-in and sign-out are audit
 * events that hold no token and no cookie's value.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import type { OidcSignIn } from '../../src/auth/oidc-sign-in.js';
import { tokenFor } from '../support/callers.js';
import { db, testApp } from '../support/test-app.js';
import { hiddenField } from '../support/web-client.js';

const FLOW = { state: 'S'.repeat(43), nonce: 'N'.repeat(43), codeVerifier: 'V'.repeat(43) };

/** A provider that is never reached: `begin` names its address, `finish` signs in whom the test says, `signOutUrl` names its end-session address. */
function stubSignIn(finish: OidcSignIn['finish'] = () => Promise.resolve({ ok: false, reason: 'exchange-refused' }), signOutUrl?: OidcSignIn['signOutUrl']): OidcSignIn {
  return {
    providerName: 'Test Care Identity',
    redirectUrl: 'http://127.0.0.1:1/sign-in/callback',
    begin: () => Promise.resolve({ url: new URL('https://idp.example.org/authorize?client_id=x'), flow: FLOW }),
    finish,
    signOutUrl: signOutUrl ?? ((idToken, state) => Promise.resolve(new URL(`https://idp.example.org/logout?${new URLSearchParams({ ...(idToken ? { id_token_hint: idToken } : {}), state })}`))),
    formTargets: () => ['https://idp.example.org'],
  };
}

/** An ID token as the provider's would look: never to be seen in a page, a log line or an ended session's row. */
const ID_TOKEN = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ sub: 'provider-subject-77' })).toString('base64url')}.c2lnbmF0dXJlLW9mLXRoZS10ZXN0`;
const signsIn: OidcSignIn['finish'] = () => Promise.resolve({ ok: true, idToken: ID_TOKEN, principal: { id: 'oidc:0123456789abcdef0123456789abcdef', role: 'triage-clinician', name: 'Dr S Out', via: 'oidc' } });

/** Signs in through the stub's callback, as the provider's redirect would: the session cookie and its CSRF token. */
async function signedInWithProvider(app: Express): Promise<{ cookie: string; csrf: string }> {
  const back = await request(app).get(`/sign-in/callback?code=c0de&state=${FLOW.state}`).set('Cookie', `msk-oidc-flow=${FLOW.state}.${FLOW.nonce}.${FLOW.codeVerifier}`).expect(200);
  const cookie = /msk-session=([^;]+)/.exec(setCookies(back).join())?.[1] as string;
  const queue = await request(app).get('/queue').set('Cookie', `msk-session=${cookie}`).expect(200);
  return { cookie, csrf: hiddenField(queue.text, '_csrf') };
}

const setCookies = (res: request.Response): string[] => (res.headers['set-cookie'] as unknown as string[] | undefined) ?? [];

describe('signing in with the identity provider', () => {
  it('offers the provider, and takes no token on the pages', async () => {
    const t = await testApp({ oidcSignIn: stubSignIn() });
    const page = await request(t.app).get('/sign-in').expect(200);
    expect(page.text).to.contain('Sign in with Test Care Identity').and.not.contain('name="token"');
    const token = await tokenFor(db, 'triage-clinician');
    const refused = await request(t.app).post('/sign-in').type('form').send({ _form: 'x', token }).expect(200);
    expect(setCookies(refused).join()).to.not.contain('msk-session=');
  });

  it('keeps the flow in an HttpOnly, SameSite=Lax cookie of ten minutes, then sends the browser to the provider', async () => {
    const t = await testApp({ oidcSignIn: stubSignIn(), config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, trustProxyHops: 1 } });
    const plain = await request(t.app).get('/sign-in/provider').expect(303);
    expect(plain.headers.location).to.equal('https://idp.example.org/authorize?client_id=x');
    expect(setCookies(plain)).to.deep.equal([`msk-oidc-flow=${FLOW.state}.${FLOW.nonce}.${FLOW.codeVerifier}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`]);
    const tls = await request(t.app).get('/sign-in/provider').set('X-Forwarded-Proto', 'https').expect(303);
    expect(setCookies(tls)[0]).to.match(/^__Host-msk-oidc-flow=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=600$/);
  });

  it('refuses a callback from a browser that did not start the flow: no exchange, no session', async () => {
    let exchanged = false;
    const t = await testApp({ oidcSignIn: stubSignIn(() => ((exchanged = true), Promise.resolve({ ok: false, reason: 'exchange-refused' }))) });
    const res = await request(t.app).get(`/sign-in/callback?code=c0de&state=${FLOW.state}`).expect(200);
    expect(res.text).to.contain('You could not be signed in');
    expect(exchanged).to.equal(false);
    expect(setCookies(res).join()).to.not.contain('msk-session=');
    expect(t.logLines.join('\n')).to.contain('"reason":"no-sign-in-flow"').and.not.contain('c0de');
  });

  it('says so when the provider refused, and logs its coded error only', async () => {
    const t = await testApp({ oidcSignIn: stubSignIn() });
    const res = await request(t.app)
      .get(`/sign-in/callback?error=access_denied&error_description=Mx%20Patient%20Name&state=${FLOW.state}`)
      .set('Cookie', `msk-oidc-flow=${FLOW.state}.${FLOW.nonce}.${FLOW.codeVerifier}`)
      .expect(200);
    expect(res.text).to.contain('You were not signed in').and.not.contain('Mx Patient Name');
    expect(setCookies(res)).to.deep.equal(['msk-oidc-flow=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0']);
    const logs = t.logLines.join('\n');
    expect(logs).to.contain('"reason":"provider-refused"').and.contain('"providerError":"access_denied"').and.not.contain('Patient');
  });

  it('records the sign-in and the sign-out as audit events, with the method and the token’s id, never the token or the cookie', async () => {
    const t = await testApp();
    const token = await tokenFor(db, 'triage-clinician', { name: 'Dr A Audited' });
    const agent = request.agent(t.app);
    const form = await agent.get('/sign-in').expect(200);
    const signedIn = await agent.post('/sign-in').type('form').send({ _form: hiddenField(form.text, '_form'), token }).expect(303);
    const cookie = /msk-session=([^;]+)/.exec(setCookies(signedIn).join())?.[1] as string;
    const csrf = hiddenField((await agent.get('/queue').expect(200)).text, '_csrf');
    await agent.post('/sign-out').type('form').send({ _csrf: csrf }).expect(303);

    const events = await db.query<{ event_type: string; actor: string; actor_role: string; details: Record<string, unknown> }>(
      "select event_type, actor, actor_role, details from audit_events where event_type like 'session.%' order by seq desc limit 2",
    );
    const [ended, started] = events;
    expect(started?.event_type).to.equal('session.started');
    expect(ended?.event_type).to.equal('session.ended');
    expect(started?.actor).to.equal(ended?.actor).and.match(/^person:/);
    expect(started?.actor_role).to.equal('triage-clinician');
    expect(started?.details).to.include({ method: 'token' }).and.have.property('tokenId').that.is.a('string');
    expect(ended?.details).to.include({ method: 'token', reason: 'signed-out', session: started?.details.session });
    const written = JSON.stringify(events);
    expect(written).to.not.contain(token).and.not.contain(cookie);
  });

  describe('signing out of a session started with the provider', () => {
    it('ends the session here, then sends the browser to the provider with the ID token as the hint and a state kept in a Lax cookie', async () => {
      const t = await testApp({ oidcSignIn: stubSignIn(signsIn) });
      const { cookie, csrf } = await signedInWithProvider(t.app);
      const out = await request(t.app).post('/sign-out').set('Cookie', `msk-session=${cookie}`).type('form').send({ _csrf: csrf }).expect(303);
      const location = new URL(out.headers.location as string);
      expect(location.origin + location.pathname).to.equal('https://idp.example.org/logout');
      expect(location.searchParams.get('id_token_hint')).to.equal(ID_TOKEN);
      const state = location.searchParams.get('state') as string;
      expect(state).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(setCookies(out)).to.include.members([`msk-sign-out=${state}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600`, 'msk-session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0']);
      expect(out.text).to.not.contain(ID_TOKEN);

      const hash = createHash('sha256').update(cookie).digest('hex');
      const [row] = await db.query<{ ended_at: Date | null; id_token: string | null }>('select ended_at, id_token from web_sessions where id_sha256 = $1', [hash]);
      expect(row?.ended_at, 'the session ended').to.be.an.instanceOf(Date);
      expect(row?.id_token, 'the ended session keeps no ID token').to.equal(null);
      const [ended] = await db.query<{ details: Record<string, unknown> }>("select details from audit_events where event_type = 'session.ended' order by seq desc limit 1");
      expect(ended?.details).to.include({ method: 'oidc', reason: 'signed-out' });
      expect((await request(t.app).get('/queue').set('Cookie', `msk-session=${cookie}`)).status, 'the old cookie signs nobody in').to.equal(303);
      const logs = t.logLines.join('\n');
      expect(logs).to.contain('"event":"auth.signed-out"').and.contain('"provider":"sent-to-provider"').and.not.contain(ID_TOKEN).and.not.contain(state);
    });

    it('says the provider was reached only when the browser comes back with the state it was sent with, once', async () => {
      const t = await testApp({ oidcSignIn: stubSignIn(signsIn) });
      const state = 'Z'.repeat(43);
      const back = await request(t.app).get(`/signed-out?state=${state}`).set('Cookie', `msk-sign-out=${state}`).expect(200);
      expect(back.text).to.contain('You have also signed out with Test Care Identity').and.not.contain('You may still be signed in');
      expect(setCookies(back)).to.deep.equal(['msk-sign-out=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0']);
      for (const [what, res] of [
        ['another state', await request(t.app).get(`/signed-out?state=${'Y'.repeat(43)}`).set('Cookie', `msk-sign-out=${state}`)],
        ['no cookie', await request(t.app).get(`/signed-out?state=${state}`)],
        ['no state', await request(t.app).get('/signed-out').set('Cookie', `msk-sign-out=${state}`)],
      ] as const) {
        expect(res.status, what).to.equal(200);
        expect(res.text, what).to.contain('You may still be signed in with Test Care Identity').and.not.contain('You have also signed out with');
      }
    });

    it('signs out here only when the provider has no end-session address, or cannot be reached, and says they may still be signed in there', async () => {
      for (const [what, signOutUrl] of [
        ['no end_session_endpoint', () => Promise.resolve(undefined)],
        ['unreachable', () => Promise.reject(new Error('connect ECONNREFUSED'))],
      ] as const) {
        const t = await testApp({ oidcSignIn: stubSignIn(signsIn, signOutUrl) });
        const { cookie, csrf } = await signedInWithProvider(t.app);
        const out = await request(t.app).post('/sign-out').set('Cookie', `msk-session=${cookie}`).type('form').send({ _csrf: csrf }).expect(303);
        expect(out.headers.location, what).to.equal('/signed-out');
        expect(setCookies(out).join(), what).to.not.contain('msk-sign-out=');
        const [row] = await db.query<{ ended_at: Date | null; id_token: string | null }>('select ended_at, id_token from web_sessions where id_sha256 = $1', [createHash('sha256').update(cookie).digest('hex')]);
        expect(row, what).to.deep.include({ id_token: null }).and.have.property('ended_at').that.is.an.instanceOf(Date);
        expect((await request(t.app).get('/signed-out')).text, what).to.contain('You may still be signed in with Test Care Identity');
        expect(t.logLines.join('\n'), what).to.contain('"provider":"no-end-session"');
      }
    });

    it('lets the pages’ forms go on to the provider, and nowhere else', async () => {
      const t = await testApp({ oidcSignIn: stubSignIn() });
      const csp = (await request(t.app).get('/sign-in').expect(200)).headers['content-security-policy'] as string;
      expect(csp).to.contain("form-action 'self' https://idp.example.org;");
      expect((await request((await testApp()).app).get('/sign-in').expect(200)).headers['content-security-policy']).to.contain("form-action 'self';");
    });
  });
});
