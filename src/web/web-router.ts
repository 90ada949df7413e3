/**
 * The web pages, server-rendered with Nunjucks and nhsuk-frontend, working without JavaScript. They
 * call the same use cases as the API (never the API over HTTP), so its rules hold here: roles,
 * practice scoping, validation, idempotency, audit, no patient data in logs or addresses.
 *
 * In order: the assets, the pages' headers, the address rate limit, form bodies, the session, the
 * CSRF check, then the pages, then an error page for anything thrown (never internals).
 */
import express, { Router, type ErrorRequestHandler } from 'express';
import { PAGE_POLICY, type DenialSink } from '../auth/access-policy.js';
import type { OidcSignIn } from '../auth/oidc-sign-in.js';
import type { VerifiedTokens } from '../auth/verified-tokens.js';
import { ApiError } from '../domain/error-catalogue.js';
import { addressRateLimit, type RateLimits } from '../http/hardening.js';
import { routeTemplate } from '../http/request-logging.js';
import type { Logger } from '../log/logger.js';
import { requestIdOf } from '../log/request-context.js';
import type { TriageDeps } from '../referrals/triage-referral.js';
import type { Database } from '../store/database.js';
import { assetsRouter } from './assets.js';
import { clinicianPages } from './clinician-pages.js';
import { gpPages } from './gp-pages.js';
import { impactReferralPage } from './impact-referral-page.js';
import { leadPages } from './lead-pages.js';
import { homeOf, pageHeaders, render } from './pages.js';
import { readSession, sessionOf, type SessionSettings } from './sessions.js';
import { signInRouter } from './sign-in.js';
import { csrfGuard } from './web-guards.js';
import { createViews } from './views.js';

export interface WebDeps extends TriageDeps {
  db: Database;
  logger: Logger;
  clock: () => Date;
  sessions: SessionSettings;
  rateLimits: RateLimits;
  bodyLimitBytes: number;
  keysInFlight: Set<string>;
  recordDenial: DenialSink;
  verifiedTokens?: VerifiedTokens;
  oidcSignIn?: OidcSignIn;
  rulesDir: string;
  checkerSearchSize?: number;
}

/** The pages' error page: what went wrong in words, the request id, never internals (logged by the API's error handler's rules). */
function pageErrors(deps: WebDeps, views: ReturnType<typeof createViews>): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const code = error instanceof ApiError ? error.code : 'INTERNAL_ERROR';
    res.locals.errorCode = code;
    if (code === 'RULESET_VERSION_NOT_FOUND') return render(views, res, 'error.njk', { title: 'Page not found', message: 'There is no rule-set version at this address that is loaded now.' }, 404);
    if (code === 'REFERRAL_NOT_FOUND' || code === 'NOT_FOUND') {
      return render(views, res, 'error.njk', { title: 'Page not found', message: 'There is no referral at this address that you may see.' }, 404);
    }
    if (code === 'QUERY_INVALID') return render(views, res, 'error.njk', { title: 'Page not found', message: 'This address is not one this service gave.' }, 404);
    if (code === 'RATE_LIMITED') return render(views, res, 'error.njk', { title: 'Too many requests', message: 'Wait a minute, then try again.' }, 429);
    if (code === 'NOT_READY') return render(views, res, 'error.njk', { title: 'Sorry, the service is not ready', message: 'No rule set is active. Try again shortly.' }, 503);
    const { name, stack } = error instanceof Error ? error : { name: typeof error, stack: undefined };
    deps.logger.error('unexpected error', { event: 'http.unexpected-error', errorName: name, stack: stack?.split('\n').filter((l) => /^\s+at /.test(l)).join('\n'), requestId: requestIdOf(res) });
    render(views, res, 'error.njk', { title: 'Sorry, there is a problem with the service', message: 'Nothing was lost that was already saved. Try again later.', requestId: requestIdOf(res) }, 500);
  };
}

/** The pages anyone may open, signed in or not; every other page is in the access policy's PAGE_POLICY. */
const OPEN_PAGES = ['/', '/sign-in', '/sign-in/provider', '/sign-in/callback', '/sign-out', '/signed-out'];
const templatePattern = (template: string): string => template.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+');
/** The pages' own addresses, from the same tables: a page added to the policy is served, and nothing else is. */
// A page's address may end in a slash (`/referrals/`), the start page's is `/` alone: `//` is no page's.
const WEB_PATH = new RegExp(`^(?:/|(?:${[...OPEN_PAGES.filter((page) => page !== '/'), ...Object.keys(PAGE_POLICY)].map(templatePattern).join('|')})/?|/assets/.+)$`);

export function webRouter(deps: WebDeps): Router {
  const views = createViews();
  const sessionDeps = { db: deps.db, clock: deps.clock, ...deps.sessions };
  const router = Router();
  // Only the pages' own addresses: everything else (the API, /healthz, an unknown address) passes by untouched.
  router.use((req, _res, next) => next(WEB_PATH.test(req.path) ? undefined : 'router'));
  router.use(assetsRouter());
  router.use(pageHeaders(() => deps.oidcSignIn?.formTargets() ?? []));
  router.use(addressRateLimit(deps.rateLimits));
  router.use(express.urlencoded({ extended: false, limit: deps.bodyLimitBytes, parameterLimit: 200 }));
  router.use(readSession(sessionDeps));
  router.use(csrfGuard(views));

  router
    .route('/')
    .all(routeTemplate)
    .get((_req, res) => {
      const session = sessionOf(res);
      if (session && homeOf(session.principal) !== '/') return res.redirect(303, homeOf(session.principal));
      render(views, res, 'start.njk', { title: 'Triage a musculoskeletal referral', signedIn: Boolean(session), provider: deps.oidcSignIn?.providerName });
    });
  router.use(signInRouter({ ...sessionDeps, views, logger: deps.logger, ...(deps.verifiedTokens ? { verifiedTokens: deps.verifiedTokens } : {}), ...(deps.oidcSignIn ? { oidcSignIn: deps.oidcSignIn } : {}) }));
  router.use(gpPages({ ...deps, views }));
  router.use(clinicianPages({ db: deps.db, views, clock: deps.clock, recordDenial: deps.recordDenial, registry: deps.registry }));
  router.use(leadPages({ ...deps, views, rulesDir: deps.rulesDir, ...(deps.checkerSearchSize ? { checkerSearchSize: deps.checkerSearchSize } : {}) }));
  router.use(impactReferralPage({ db: deps.db, views, clock: deps.clock, registry: deps.registry, recordDenial: deps.recordDenial }));
  router.use(pageErrors(deps, views));
  return router;
}
