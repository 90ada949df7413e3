/**
 * Sign-in with the identity provider, without a browser or a provider (the journey test has both):
 * with it configured the pages take no token; the flow's cookie is HttpOnly, SameSite=Lax and
 * short-lived (Secure, __Host-, over TLS); a callback without this browser's flow, or with the
 * provider's refusal, starts no session and says what happened; sign-in and sign-out are audit
 * events that hold no token and no cookie's value.
 */
import { expect } from 'chai';
import request from 'supertest';
import type { OidcSignIn } from '../../src/auth/oidc-sign-in.js';
import { tokenFor } from '../support/callers.js';
import { db, testApp } from '../support/test-app.js';
import { hiddenField } from '../support/web-client.js';

const FLOW = { state: 'S'.repeat(43), nonce: 'N'.repeat(43), codeVerifier: 'V'.repeat(43) };

/** A provider that is never reached: `begin` names its address, `finish` signs in whom the test says. */
function stubSignIn(finish: OidcSignIn['finish'] = () => Promise.resolve({ ok: false, reason: 'exchange-refused' })): OidcSignIn {
  return {
    providerName: 'Test Care Identity',
    redirectUrl: 'http://127.0.0.1:1/sign-in/callback',
    begin: () => Promise.resolve({ url: new URL('https://idp.example.org/authorize?client_id=x'), flow: FLOW }),
    finish,
  };
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
});
