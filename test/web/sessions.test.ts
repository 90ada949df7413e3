/**
 * Signing in to the web pages with a personal token: a session kept in the database (so it outlives
 * the app that started it), an HttpOnly, SameSite=Strict cookie (Secure behind a TLS proxy), idle
 * and absolute expiry, sign-out, a revoked token ending its sessions, and a CSRF token on every form
 * that changes anything.
 */
import { expect } from 'chai';
import { createHash, randomUUID } from 'node:crypto';
import request from 'supertest';
import { revokeToken } from '../../src/auth/api-tokens.js';
import { tokenFor } from '../support/callers.js';
import { db, testApp } from '../support/test-app.js';
import { hiddenField, signedInAgent } from '../support/web-client.js';

/** A clock a test moves by hand. */
function handClock(start = '2026-11-22T09:00:00Z') {
  let now = Date.parse(start);
  const clock = () => new Date(now);
  return Object.assign(clock, { advance: (ms: number) => (now += ms) });
}

const MINUTE = 60_000;
const practice = () => `S${randomUUID().replaceAll('-', '').slice(0, 6).toUpperCase()}`;
const sessionCount = async (): Promise<number> => (await db.query<{ n: number }>('select count(*)::int as n from web_sessions'))[0]?.n ?? -1;

describe('signing in to the web pages', () => {
  it('starts a session with an HttpOnly, SameSite=Strict cookie that names no token, and shows who is signed in', async () => {
    const t = await testApp();
    const token = await tokenFor(db, 'gp', { practice: 'J82001', name: 'Dr S Session' });
    const agent = request.agent(t.app);
    const form = await agent.get('/sign-in').expect(200);
    const signedIn = await agent.post('/sign-in').type('form').send({ _form: hiddenField(form.text, '_form'), token }).expect(303);
    expect(signedIn.headers.location).to.equal('/referrals');
    const cookie = (signedIn.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('msk-session='));
    expect(cookie).to.match(/^msk-session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(cookie).to.not.contain(token);
    const value = /^msk-session=([^;]+)/.exec(cookie as string)?.[1] as string;
    const [row] = await db.query<{ n: number }>('select count(*)::int as n from web_sessions where id_sha256 = $1', [createHash('sha256').update(value).digest('hex')]);
    expect(row?.n, 'only the SHA-256 of the cookie is stored').to.equal(1);
    const page = await agent.get('/referrals').expect(200);
    expect(page.text).to.contain('Dr S Session, GP, J82001');
  });

  it('marks the cookie Secure, with the __Host- prefix, behind a TLS proxy it trusts', async () => {
    const t = await testApp({ config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, trustProxyHops: 1 } });
    const token = await tokenFor(db, 'triage-clinician');
    const form = await request(t.app).get('/sign-in').set('X-Forwarded-Proto', 'https').expect(200);
    const formCookie = (form.headers['set-cookie'] as unknown as string[])[0] as string;
    expect(formCookie).to.match(/^__Host-msk-sign-in=.*; Secure/);
    const signedIn = await request(t.app)
      .post('/sign-in')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', formCookie.split(';')[0] as string)
      .type('form')
      .send({ _form: hiddenField(form.text, '_form'), token })
      .expect(303);
    expect((signedIn.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('__Host-msk-session='))).to.match(/; Path=\/; HttpOnly; SameSite=Strict; Secure; Max-Age=/);
  });

  it('refuses a wrong token with one message that helps no one guess, and starts no session', async () => {
    const t = await testApp();
    const before = await sessionCount();
    const agent = request.agent(t.app);
    const form = await agent.get('/sign-in');
    const res = await agent.post('/sign-in').type('form').send({ _form: hiddenField(form.text, '_form'), token: 'msk_' + 'x'.repeat(43) }).expect(200);
    expect(res.text).to.contain('The token was not recognised, has expired or was revoked');
    expect(res.headers['set-cookie']?.toString() ?? '').to.not.contain('msk-session=');
    expect(await sessionCount()).to.equal(before);
    expect(t.logLines.some((line) => line.includes('"event":"auth.failed"') && line.includes('"via":"web-sign-in"'))).to.equal(true);
    expect(t.logLines.join('\n')).to.not.contain('x'.repeat(43));
  });

  it('refuses a sign-in form posted without its own secret (from another site)', async () => {
    const t = await testApp();
    const token = await tokenFor(db, 'gp', { practice: practice() });
    const res = await request(t.app).post('/sign-in').type('form').send({ _form: 'forged', token }).expect(200);
    expect(res.text).to.contain('Your sign-in form had expired');
    expect(res.headers['set-cookie']?.toString() ?? '').to.not.contain('msk-session=');
  });

  it('refuses an operator’s token: it has no pages', async () => {
    const t = await testApp();
    const agent = request.agent(t.app);
    const form = await agent.get('/sign-in');
    const res = await agent.post('/sign-in').type('form').send({ _form: hiddenField(form.text, '_form'), token: await tokenFor(db, 'operator') }).expect(200);
    expect(res.text).to.contain('token reads the service&#39;s metrics only');
    expect(res.headers['set-cookie']?.toString() ?? '').to.not.contain('msk-session=');
  });

  it('keeps a session across a restart: another app on the same database knows the cookie', async () => {
    const first = await testApp();
    const { agent } = await signedInAgent(first.app, await tokenFor(db, 'gp', { practice: 'J82001' }));
    const cookie = (await agent.get('/referrals').expect(200)).request.getHeader?.('cookie') as string | undefined;
    const jar = agent.jar.getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false });
    const header = cookie ?? jar.map((c) => `${c.name}=${c.value}`).join('; ');
    const second = await testApp();
    const res = await request(second.app).get('/referrals').set('Cookie', header).expect(200);
    expect(res.text).to.contain("My practice's referrals");
  });

  it('ends a session after SESSION_IDLE_MINUTES without a request', async () => {
    const clock = handClock();
    const t = await testApp({ clock, config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, sessionIdleMs: 30 * MINUTE, sessionMaxMs: 12 * 60 * MINUTE } });
    const { agent } = await signedInAgent(t.app, await tokenFor(db, 'gp', { practice: 'J82001' }));
    clock.advance(29 * MINUTE);
    await agent.get('/referrals').expect(200);
    clock.advance(29 * MINUTE);
    await agent.get('/referrals').expect(200);
    clock.advance(30 * MINUTE);
    const res = await agent.get('/referrals').expect(303);
    expect(res.headers.location).to.equal('/sign-in?session=ended');
    expect((await agent.get(res.headers.location as string).expect(200)).text).to.contain('You were signed out because your session had ended');
  });

  it('ends a session SESSION_MAX_HOURS after sign-in, however busy', async () => {
    const clock = handClock();
    const t = await testApp({ clock, config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, sessionIdleMs: 30 * MINUTE, sessionMaxMs: 60 * MINUTE } });
    const { agent } = await signedInAgent(t.app, await tokenFor(db, 'gp', { practice: 'J82001' }));
    for (let i = 0; i < 3; i += 1) {
      clock.advance(20 * MINUTE - 1);
      await agent.get('/referrals').expect(200);
    }
    clock.advance(10);
    await agent.get('/referrals').expect(303);
  });

  it('ends a session when the token it started with is revoked', async () => {
    const t = await testApp();
    const token = await tokenFor(db, 'gp', { practice: practice(), name: 'Dr To Be Revoked' });
    const { agent } = await signedInAgent(t.app, token);
    await agent.get('/referrals').expect(200);
    const [row] = await db.query<{ id: string }>('select id from api_tokens where token_sha256 = $1', [createHash('sha256').update(token).digest('hex')]);
    await revokeToken(db, row?.id as string, new Date());
    await agent.get('/referrals').expect(303);
  });

  it('forgets, at a sign-in, the sessions that expired more than a day before', async () => {
    const clock = handClock('2026-11-01T09:00:00Z');
    const t = await testApp({ clock, config: { rulesetId: 'msk-triage', bodyLimitBytes: 65536, sessionIdleMs: 30 * MINUTE, sessionMaxMs: 60 * MINUTE } });
    const token = await tokenFor(db, 'gp', { practice: practice() });
    await signedInAgent(t.app, token);
    const stale = await db.query<{ id_sha256: string }>('select id_sha256 from web_sessions where created_at = $1', [clock()]);
    expect(stale).to.have.length(1);
    clock.advance(26 * 60 * MINUTE);
    await signedInAgent(t.app, token);
    expect(await db.query('select 1 from web_sessions where id_sha256 = $1', [stale[0]?.id_sha256])).to.have.length(0);
  });

  it('signs out with the form’s CSRF token: the session ends and its cookie no longer works', async () => {
    const t = await testApp();
    const { agent, csrf } = await signedInAgent(t.app, await tokenFor(db, 'gp', { practice: 'J82001' }));
    const res = await agent.post('/sign-out').type('form').send({ _csrf: csrf }).expect(303);
    expect(res.headers.location).to.equal('/signed-out');
    expect((res.headers['set-cookie'] as unknown as string[]).join()).to.match(/msk-session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/);
    await agent.get('/referrals').expect(303);
  });

  it('refuses a form that changes anything without its session’s CSRF token, and changes nothing', async () => {
    const t = await testApp();
    const { agent } = await signedInAgent(t.app, await tokenFor(db, 'gp', { practice: 'J82001' }));
    const res = await agent.post('/sign-out').type('form').send({ _csrf: 'not-the-token' }).expect(403);
    expect(res.text).to.contain('This form had expired');
    await agent.get('/referrals').expect(200);
    await agent.post('/referrals/new').type('form').send({ 'patient.nhsNumber': '9434765919' }).expect(403);
  });
});
