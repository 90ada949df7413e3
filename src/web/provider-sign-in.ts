/**
 * Signing in with the identity provider, when OIDC sign-in is configured (OIDC_CLIENT_ID): the
 * authorization code flow with PKCE (auth/oidc-sign-in.ts). `GET /sign-in/provider` keeps the
 * flow's state, nonce and code verifier in a cookie of its own (HttpOnly, ten minutes, SameSite=Lax
 * so that it comes back with the provider's redirect, and bound to this browser: no other has it)
 * and sends the browser to the provider; `GET /sign-in/callback` takes the cookie back (once: it is
 * cleared at once), checks the state, and has the code exchanged and the ID token verified. Then the
 * same session starts as with a token, with no token id.
 *
 * Every failure is the sign-in page again, its error summary saying what happened and what to do,
 * with no patient data and nothing the provider sent (answered 200, as the token form's errors are;
 * 503 when the provider cannot be reached); the log says why in a coded reason, never a code, a token or the address's query.
 * Signed in, the browser is taken on to its first page by a page of ours (a refresh at once, and a
 * link): the session cookie is SameSite=Strict, so a redirect that continued the provider's
 * cross-site navigation would arrive without it.
 */
import { Router, type Request, type Response } from 'express';
import { NO_ROLE_REASONS } from '../auth/oidc.js';
import type { OidcSignIn, SignInFlow } from '../auth/oidc-sign-in.js';
import { routeTemplate } from '../http/request-logging.js';
import type { Logger } from '../log/logger.js';
import { requestIdOf } from '../log/request-context.js';
import { homeOf, render } from './pages.js';
import { cookieValue, sameSecret, setCookie, startSession, type SessionDeps } from './sessions.js';
import type { Views } from './views.js';

export interface ProviderSignInDeps extends SessionDeps {
  views: Views;
  logger: Logger;
  oidcSignIn: OidcSignIn;
}

const FLOW_COOKIE = 'msk-oidc-flow';
const FLOW_SECONDS = 600;
const PART = /^[A-Za-z0-9_-]{16,128}$/;
/** The provider's `error` (RFC 6749 §4.1.2.1), as a coded value for the log, or `other`. */
const PROVIDER_ERROR = /^[a-z_]{1,40}$/;

const flowValue = (flow: SignInFlow): string => [flow.state, flow.nonce, flow.codeVerifier].join('.');

function flowOf(value: string | undefined): SignInFlow | undefined {
  const parts = value?.split('.') ?? [];
  if (parts.length !== 3 || !parts.every((part) => PART.test(part))) return undefined;
  const [state, nonce, codeVerifier] = parts as [string, string, string];
  return { state, nonce, codeVerifier };
}

type Failure = { status: number; title: string; message: string };

const NOT_COMPLETED: Failure = { status: 200, title: 'You could not be signed in', message: 'Your sign-in was not completed: it may have taken too long, or been started in another browser or tab. Sign in again.' };
const PROVIDER_REFUSED: Failure = { status: 200, title: 'You were not signed in', message: 'Your account provider did not sign you in. Sign in again, or ask your organisation’s service desk for help.' };
const NO_ROLE: Failure = { status: 200, title: 'Your account has no role in this service', message: 'You signed in, but your account does not say whether you are a GP (with your practice), a triage clinician or a clinical lead. Ask whoever runs this service to give your account one of these roles.' };
const NO_PAGES: Failure = { status: 200, title: 'Your role has no pages', message: "An operator reads the service's metrics only: there are no pages for this role." };
const UNREACHABLE: Failure = { status: 503, title: 'Sorry, you cannot sign in at the moment', message: 'Your account provider could not be reached. Try again in a few minutes.' };

export function providerSignInRouter(deps: ProviderSignInDeps): Router {
  const router = Router();

  /** The sign-in page again, its error summary saying what happened and what to do (answered 200, as the token form's errors are; the code is logged). */
  function fail(req: Request, res: Response, failure: Failure, reason: string, extra: Record<string, string> = {}): void {
    deps.logger.warn('authentication failed', { event: 'auth.failed', reason, ...extra, via: 'web-oidc', method: req.method, requestId: requestIdOf(res) });
    res.locals.errorCode = failure.status === 503 ? 'NOT_READY' : failure === NO_ROLE || failure === NO_PAGES ? 'FORBIDDEN' : 'TOKEN_INVALID';
    render(deps.views, res, 'sign-in.njk', { title: 'Sign in', provider: deps.oidcSignIn.providerName, failure }, failure.status);
  }

  router
    .route('/sign-in/provider')
    .all(routeTemplate)
    .get(async (req, res) => {
      let begun: Awaited<ReturnType<OidcSignIn['begin']>>;
      try {
        begun = await deps.oidcSignIn.begin();
      } catch {
        return fail(req, res, UNREACHABLE, 'provider-unreachable');
      }
      setCookie(req, res, FLOW_COOKIE, flowValue(begun.flow), FLOW_SECONDS, 'Lax');
      res.redirect(303, begun.url.href);
    });

  router
    .route('/sign-in/callback')
    .all(routeTemplate)
    .get(async (req, res) => {
      const flow = flowOf(cookieValue(req, FLOW_COOKIE));
      // One use: whatever happens next, this browser's flow is over.
      setCookie(req, res, FLOW_COOKIE, '', 0, 'Lax');
      const query = new URL(req.originalUrl, 'http://callback.invalid').searchParams;
      if (!flow) return fail(req, res, NOT_COMPLETED, 'no-sign-in-flow');
      if (!sameSecret(query.get('state'), flow.state)) return fail(req, res, NOT_COMPLETED, 'state-mismatch');
      const providerError = query.get('error');
      if (providerError !== null) return fail(req, res, PROVIDER_REFUSED, 'provider-refused', { providerError: PROVIDER_ERROR.test(providerError) ? providerError : 'other' });

      const callbackUrl = new URL(deps.oidcSignIn.redirectUrl);
      callbackUrl.search = query.toString();
      const check = await deps.oidcSignIn.finish(callbackUrl, flow);
      if (!check.ok) {
        if (NO_ROLE_REASONS.has(check.reason)) return fail(req, res, NO_ROLE, check.reason);
        if (check.reason === 'provider-unreachable') return fail(req, res, UNREACHABLE, check.reason);
        if (check.reason === 'provider-refused') return fail(req, res, PROVIDER_REFUSED, check.reason);
        return fail(req, res, NOT_COMPLETED, check.reason);
      }
      if (check.principal.role === 'operator') return fail(req, res, NO_PAGES, 'operator-has-no-pages');
      const session = await startSession(deps, req, res, check.principal, null, check.idToken);
      res.locals.principal = session.principal;
      render(deps.views, res, 'signed-in.njk', { title: 'You are signed in', next: homeOf(session.principal) });
    });
  return router;
}
