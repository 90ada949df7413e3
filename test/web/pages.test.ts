/**
 * The web pages' frame: a start page at /, nhsuk-frontend's assets served by the service itself, a
 * strict Content-Security-Policy on every page, and pages never cached. The API keeps its own headers.
 */
import { expect } from 'chai';
import request from 'supertest';
import { PAGE_POLICY } from '../../src/auth/access-policy.js';
import { PAGE_CSP } from '../../src/web/pages.js';
import { tokenFor } from '../support/callers.js';
import { db, testApp } from '../support/test-app.js';
import { signedInAgent } from '../support/web-client.js';

const t = await testApp();

/** The pages open to anyone, signed in or not: the only routes of the pages outside PAGE_POLICY (and, with OIDC sign-in configured, its two). */
const OPEN_PAGES = ['GET /', 'GET /sign-in', 'POST /sign-in', 'POST /sign-out', 'GET /signed-out'];

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

/** Every route the app serves, as `METHOD /path`, found by walking Express's own routers. */
function routesOf(stack: readonly Layer[]): string[] {
  return stack.flatMap((layer) =>
    layer.route
      ? Object.keys(layer.route.methods).filter((m) => m !== '_all').map((m) => `${m.toUpperCase()} ${layer.route?.path as string}`)
      : routesOf(layer.handle.stack ?? []),
  );
}

describe('the web pages', () => {
  it('shows a start page at / with a way to sign in, instead of a 404', async () => {
    const res = await request(t.app).get('/').expect(200);
    expect(res.type).to.equal('text/html');
    expect(res.text).to.contain('<h1>Triage a musculoskeletal referral</h1>').and.contain('href="/sign-in"');
  });

  it('sends a Content-Security-Policy with no inline script or style, and no-store, on every page', async () => {
    for (const path of ['/', '/sign-in', '/signed-out']) {
      const res = await request(t.app).get(path).expect(200);
      expect(res.headers['content-security-policy'], path).to.equal(PAGE_CSP);
      expect(res.headers['cache-control'], path).to.equal('no-store');
    }
    expect(PAGE_CSP).to.contain("script-src 'self'").and.contain("style-src 'self'").and.contain("default-src 'none'").and.not.contain('unsafe-inline');
  });

  it('has no inline script or style on its pages, so the policy refuses nothing of its own', async () => {
    const { text } = await request(t.app).get('/sign-in').expect(200);
    expect(text).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(text).to.not.match(/<style|\sstyle="/);
  });

  it('serves nhsuk-frontend’s CSS, JavaScript and images itself, and names no other site in its CSS', async () => {
    const css = await request(t.app).get('/assets/nhsuk-frontend.min.css').expect(200);
    expect(css.type).to.equal('text/css');
    expect(css.text).to.contain('.nhsuk-header').and.not.match(/https?:\/\//);
    expect((await request(t.app).get('/assets/nhsuk-frontend.min.js').expect(200)).text).to.contain('initAll');
    expect((await request(t.app).get('/assets/app/app.js').expect(200)).type).to.equal('text/javascript');
    expect((await request(t.app).get('/assets/images/nhsuk-icon-arrow-right.svg').expect(200)).type).to.equal('image/svg+xml');
    expect((await request(t.app).get('/assets/manifest.json').expect(200)).body).to.have.property('icons');
    await request(t.app).get('/assets/nothing-here.css').expect(404);
  });

  it('leaves the API’s own headers alone: its CSP stays default-src none', async () => {
    const res = await request(t.app).get('/openapi.json').expect(200);
    expect(res.headers['content-security-policy']).to.contain("default-src 'none'").and.not.contain("script-src 'self'");
    const missing = await request(t.app).get('/no-such-page').expect(404);
    expect(missing.body.error.code).to.equal('NOT_FOUND');
    // `//` is no page's address (the start page's is `/` alone): the API's own 404, as the hostile-path property expects.
    expect((await request(t.app).get('//').expect(404)).body.error.code).to.equal('NOT_FOUND');
  });

  it('sends a signed-out person who opens a GP page to the sign-in page', async () => {
    const res = await request(t.app).get('/referrals/new').expect(303);
    expect(res.headers.location).to.equal('/sign-in');
  });
  it('gives every page that needs a session its roles in the access policy, and no page outside it', () => {
    // The pages' router is the one that serves /sign-in; the API's routers are mounted beside it.
    const pages = (t.app as unknown as { router: { stack: Layer[] } }).router.stack.find((layer) => routesOf(layer.handle.stack ?? []).includes('GET /sign-in'));
    // nhsuk-frontend's files are assets, served to anyone.
    const served = routesOf(pages?.handle.stack ?? []).filter((route) => !route.startsWith('GET /assets/'));
    const inPolicy = Object.entries(PAGE_POLICY).flatMap(([route, methods]) => Object.keys(methods).map((m) => `${m} ${route}`));
    expect([...new Set(served)].sort()).to.deep.equal([...inPolicy, ...OPEN_PAGES].sort());
  });

  it('refuses a page to another role with a page that says so, and records the refusal as the API does', async () => {
    const { agent } = await signedInAgent(t.app, await tokenFor(db, 'gp', { practice: 'P81999', name: 'Dr R Refused' }));
    const res = await agent.get('/rulesets').expect(403);
    expect(res.text).to.contain('This page is not for your role');
    const [denied] = await db.query<{ actor_role: string; details: Record<string, unknown> }>(
      "select actor_role, details from audit_events where event_type = 'access.denied' and details ->> 'route' = '/rulesets' order by seq desc limit 1",
    );
    expect(denied).to.deep.include({ actor_role: 'gp' });
    expect(denied?.details).to.deep.include({ method: 'GET', route: '/rulesets', reason: 'role' });
    // A method the policy does not give a page is not found, for every role.
    await agent.get('/queue/referrals/00000000-0000-4000-8000-000000000000/review').expect(404);
  });
});
