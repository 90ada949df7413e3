/**
 * Signing in with an OpenID provider, in a real browser (Chromium) against a real provider
 * (oidc-provider, in-process on another loopback site): the authorization code flow with PKCE from
 * the sign-in page's button, through the provider's own login and consent pages, back to the
 * callback, landing signed in on the role's first page with a database session and a
 * `session.started` event; signing out there too (RP-initiated logout), so that the next sign-in asks
 * for a login again; a GP who submits a referral, stored under their practice and their pseudonym; an
 * NHS CIS2-shaped account read by its selected role profile; then a forged state, an account without a
 * role and a GP without a practice, each the sign-in page again with an NHS error summary that says
 * what happened, and no session. No code, state or token in any log line.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { providerKeys } from '../../src/auth/oidc.js';
import { oidcSignIn, type OidcSignIn } from '../../src/auth/oidc-sign-in.js';
import { loadConfig } from '../../src/config.js';
import { browserForFile, checkAccessibility, fillReferral } from '../support/browser.js';
import { CLIENT_ID, CLIENT_SECRET, testProvider, type TestProvider } from '../support/oidc-provider.js';

/** A GP practice of this file's own: its referrals are the ones this file's GP submits. */
const PRACTICE = 'B82071';
const CIS2_PRACTICE = 'B82072';

const ACCOUNTS = {
  'clinician-1': { name: 'Dr O Provider', role: 'triage-clinician' },
  'no-role-1': { name: 'Mx N Role' },
  'gp-1': { name: 'Dr G Provider', role: 'gp', practice: PRACTICE },
  'gp-no-practice-1': { name: 'Dr N Practice', role: 'gp' },
  // NHS CIS2's shape: role profiles and the one selected, read only with OIDC_CLAIMS_PROFILE=cis2.
  'cis2-gp-1': {
    name: 'Dr C Profile',
    nhsid_nrbac_roles: [
      { person_orgid: '555000000010', person_roleid: '555000000011', org_code: 'RX1', role_name: '"Clinical":"Clinical Provision":"Clinical Lead"', role_code: 'S8000:G8000:R8000', activities: [], activity_codes: [] },
      { person_orgid: '555000000020', person_roleid: '555000000022', org_code: CIS2_PRACTICE, role_name: '"Clinical":"Clinical Provision":"General Medical Practitioner"', role_code: 'S8000:G8000:R8010', activities: [], activity_codes: [] },
    ],
    selected_roleid: '555000000022',
  },
};

/** The pseudonymous id the service gives a person of this provider: a hash of issuer and subject, worked out here on its own. */
const pseudonymOf = (sub: string): string => `oidc:${createHash('sha256').update(`${provider.issuer}\n${sub}`).digest('hex').slice(0, 32)}`;

let provider: TestProvider;
let signIn: OidcSignIn | undefined;
/** The same provider read as NHS CIS2 (OIDC_CLAIMS_PROFILE=cis2), for the test that swaps it in. */
let cis2SignIn: OidcSignIn | undefined;
/** The app is made before its address is known; the sign-in it is given is built once it listens. */
const lateSignIn: OidcSignIn = {
  providerName: 'Test Care Identity',
  get redirectUrl() {
    return (signIn as OidcSignIn).redirectUrl;
  },
  begin: () => (signIn as OidcSignIn).begin(),
  finish: (url, flow) => (signIn as OidcSignIn).finish(url, flow),
  signOutUrl: (idToken, state) => (signIn as OidcSignIn).signOutUrl(idToken, state),
  formTargets: () => signIn?.formTargets() ?? [],
};

/** The provider's development pages import a web font from the internet, which this machine has not: answered empty. */
async function providerPage(page: Page): Promise<Page> {
  await page.route('https://fonts.googleapis.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/css', body: '' }));
  return page;
}

/** From our sign-in page through the provider's login and consent pages, as a person would. */
async function signInAtProvider(page: Page, login: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByRole('button', { name: 'Sign in with Test Care Identity' }).click();
  await page.waitForURL(`${provider.issuer}/interaction/**`);
  await page.getByPlaceholder('Enter any login').fill(login);
  await page.getByPlaceholder('and password').fill('any password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((url) => url.pathname === '/sign-in/callback' || !url.href.startsWith(provider.issuer));
  await page.waitForLoadState('load');
}

describe('signing in with an OpenID provider in the browser', function () {
  this.timeout(60_000);
  before(async () => {
    provider = await testProvider(ACCOUNTS);
  });
  const file = browserForFile({ ownDatabase: true, overrides: () => ({ oidcSignIn: lateSignIn }) });
  before(async () => {
    const redirectUrl = `${file.h.baseUrl}/sign-in/callback`;
    const config = loadConfig({
      OIDC_ISSUER: provider.issuer, OIDC_JWKS_URL: `${provider.issuer}/jwks`, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_REDIRECT_URL: redirectUrl, OIDC_PROVIDER_NAME: 'Test Care Identity',
    }).oidc;
    if (!config?.signIn) throw new Error('OIDC sign-in is not configured');
    signIn = oidcSignIn({ ...config, signIn: config.signIn }, providerKeys(config));
    const cis2 = loadConfig({
      OIDC_ISSUER: provider.issuer, OIDC_JWKS_URL: `${provider.issuer}/jwks`, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_REDIRECT_URL: redirectUrl, OIDC_PROVIDER_NAME: 'Test Care Identity', OIDC_SCOPES: 'openid profile nationalrbacaccess',
      OIDC_CLAIMS_PROFILE: 'cis2', OIDC_ROLE_MAP: 'R8000=clinical-lead,R8013=triage-clinician,R8010=gp',
    }).oidc;
    if (!cis2?.signIn) throw new Error('OIDC sign-in is not configured');
    cis2SignIn = oidcSignIn({ ...cis2, signIn: cis2.signIn }, providerKeys(cis2));
    await provider.serve(redirectUrl);
  });
  after(() => provider.close());

  const logs = () => file.h.t.logLines.join('\n');

  it('offers the provider instead of the token form, and lands a triage clinician on the queue, signed in', async () => {
    const page = await providerPage(await file.h.newPage());
    await page.goto('/sign-in');
    expect(await page.locator('input[name="token"]').count()).to.equal(0);
    await checkAccessibility(page);
    await signInAtProvider(page, 'clinician-1');
    await page.waitForURL('**/queue');
    expect(await page.getByTestId('signed-in').textContent()).to.equal('Dr O Provider, Triage clinician');
    await checkAccessibility(page);

    const cookies = await page.context().cookies(file.h.baseUrl);
    expect(cookies.map((c) => c.name)).to.include('msk-session').and.not.include('msk-oidc-flow');
    const [started] = await file.db.query<{ actor: string; details: Record<string, unknown> }>(
      "select actor, details from audit_events where event_type = 'session.started' order by seq desc limit 1",
    );
    expect(started?.actor).to.match(/^oidc:[0-9a-f]{32}$/);
    expect(started?.details).to.include({ method: 'oidc' }).and.not.have.property('tokenId');
    // Nothing of the flow in the log: the lines name the routes, never the code, the state or the address's query.
    expect(logs()).to.not.match(/code=|state=|eyJ[A-Za-z0-9_-]{10,}/);
  });

  it('signs out at the provider too: our session ended, back on our signed-out page, and the next sign-in asks for a login again', async () => {
    const page = await providerPage(await file.h.newPage());
    await signInAtProvider(page, 'clinician-1');
    await page.waitForURL('**/queue');
    // While the provider's session lives, signing in again is silent: straight back, no login page.
    await page.goto('/sign-in/provider');
    await page.waitForURL('**/queue');
    const cookie = (await page.context().cookies(file.h.baseUrl)).find((c) => c.name === 'msk-session')?.value as string;
    const idSha256 = createHash('sha256').update(cookie).digest('hex');
    const [live] = await file.db.query<{ id_token: string | null }>('select id_token from web_sessions where id_sha256 = $1', [idSha256]);
    expect(live?.id_token, 'the session keeps the ID token, for the sign-out').to.match(/^eyJ/);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${provider.issuer}/session/end**`);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL('**/signed-out**');
    expect(new URL(page.url()).origin).to.equal(file.h.baseUrl);
    expect(await page.locator('h1').textContent()).to.equal('You have signed out');
    expect(await page.getByTestId('provider-sign-out').textContent()).to.contain('You have also signed out with Test Care Identity');
    await checkAccessibility(page);
    const [ended] = await file.db.query<{ ended_at: Date | null; id_token: string | null }>('select ended_at, id_token from web_sessions where id_sha256 = $1', [idSha256]);
    expect(ended?.ended_at, 'our session ended').to.be.an.instanceOf(Date);
    expect(ended?.id_token, 'an ended session keeps no ID token').to.equal(null);
    const cookies = (await page.context().cookies(file.h.baseUrl)).map((c) => c.name);
    expect(cookies).to.not.include('msk-session').and.not.include('msk-sign-out');

    // The provider's session really ended: signing in again goes through its login page.
    await page.getByRole('link', { name: 'Sign in again' }).click();
    await page.getByRole('button', { name: 'Sign in with Test Care Identity' }).click();
    await page.waitForURL(`${provider.issuer}/interaction/**`);
    expect(await page.getByPlaceholder('Enter any login').isVisible()).to.equal(true);
    expect(logs()).to.contain('"provider":"sent-to-provider"').and.not.match(/id_token_hint|eyJ[A-Za-z0-9_-]{10,}/);
  });

  it('lands a GP on their practice’s referrals, signed in with name, role and practice, and stores what they submit under that practice and their pseudonym', async () => {
    const page = await providerPage(await file.h.newPage());
    await signInAtProvider(page, 'gp-1');
    await page.waitForURL('**/referrals');
    expect(await page.getByTestId('signed-in').textContent()).to.equal(`Dr G Provider, GP, ${PRACTICE}`);
    await checkAccessibility(page);

    await page.getByRole('link', { name: 'New referral' }).first().click();
    await page.waitForURL('**/referrals/new?form=*');
    expect(await page.locator('#referrer-odsCode').inputValue(), 'the form comes with the practice').to.equal(PRACTICE);
    await fillReferral(page, ['saddleAnaesthesia']);
    await page.getByRole('button', { name: 'Submit referral' }).click();
    await page.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
    expect(await page.locator('.nhsuk-card--care--emergency').isVisible()).to.equal(true);
    await checkAccessibility(page);

    const referralId = new URL(page.url()).pathname.split('/').at(-1) as string;
    const [stored] = await file.db.query<{ practice_ods: string }>('select practice_ods from referrals where id = $1', [referralId]);
    expect(stored?.practice_ods).to.equal(PRACTICE);
    const [submitted] = await file.db.query<{ actor: string; actor_role: string }>("select actor, actor_role from audit_events where referral_id = $1 and event_type = 'referral.submitted'", [referralId]);
    expect(submitted).to.deep.equal({ actor: pseudonymOf('gp-1'), actor_role: 'gp' });
    await page.goto('/referrals');
    expect(await page.locator('tbody tr').count(), 'on the practice’s list').to.equal(1);
  });

  it('refuses a GP account without a practice: the no-role page, no session, the reason in the log', async () => {
    const page = await providerPage(await file.h.newPage());
    const before = await file.db.query("select 1 from audit_events where event_type = 'session.started'");
    await signInAtProvider(page, 'gp-no-practice-1');
    expect(new URL(page.url()).pathname).to.equal('/sign-in/callback');
    expect(await page.locator('.nhsuk-error-summary').textContent()).to.contain('Your account has no role in this service');
    await checkAccessibility(page);
    expect((await page.context().cookies(file.h.baseUrl)).map((c) => c.name)).to.not.include('msk-session');
    expect(await file.db.query("select 1 from audit_events where event_type = 'session.started'")).to.have.length(before.length);
    expect(logs()).to.contain('"reason":"gp-without-practice"');
  });

  it('reads an NHS CIS2-shaped account’s selected role profile with OIDC_CLAIMS_PROFILE=cis2: a GP of that profile’s organisation', async () => {
    const plain = signIn;
    signIn = cis2SignIn;
    try {
      const page = await providerPage(await file.h.newPage());
      await signInAtProvider(page, 'cis2-gp-1');
      await page.waitForURL('**/referrals');
      expect(await page.getByTestId('signed-in').textContent()).to.equal(`Dr C Profile, GP, ${CIS2_PRACTICE}`);
      expect(logs()).to.not.contain('555000000022').and.not.contain('R8010');
    } finally {
      signIn = plain;
    }
  });

  it('refuses a callback whose state is not the one this browser was sent with: an error page, no session', async () => {
    const page = await providerPage(await file.h.newPage());
    await page.goto('/sign-in');
    await page.getByRole('button', { name: 'Sign in with Test Care Identity' }).click();
    await page.waitForURL(`${provider.issuer}/interaction/**`);
    const answer = await page.goto(`${file.h.baseUrl}/sign-in/callback?code=forged-code-123&state=forged-state-456`);
    expect(answer?.status()).to.equal(200);
    expect(await page.locator('.nhsuk-error-summary').textContent()).to.contain('You could not be signed in');
    expect(await page.locator('.nhsuk-error-summary a').getAttribute('href')).to.equal('#provider-sign-in');
    await checkAccessibility(page);
    expect((await page.context().cookies(file.h.baseUrl)).map((c) => c.name)).to.not.include('msk-session');
    expect(logs()).to.contain('"reason":"state-mismatch"').and.not.contain('forged-code-123').and.not.contain('forged-state-456');
  });

  it('refuses an account whose claims give no role: an error page that says so, no session', async () => {
    const page = await providerPage(await file.h.newPage());
    const before = await file.db.query("select 1 from audit_events where event_type = 'session.started'");
    await signInAtProvider(page, 'no-role-1');
    expect(new URL(page.url()).pathname).to.equal('/sign-in/callback');
    expect(await page.locator('.nhsuk-error-summary').textContent()).to.contain('Your account has no role in this service');
    await checkAccessibility(page);
    expect((await page.context().cookies(file.h.baseUrl)).map((c) => c.name)).to.not.include('msk-session');
    expect(await file.db.query("select 1 from audit_events where event_type = 'session.started'")).to.have.length(before.length);
    expect(logs()).to.contain('"reason":"no-role"');
  });
});
