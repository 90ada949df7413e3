/**
 * Signing in with a personal token (as `msk-triage token create` issues), and signing out. The token
 * is checked exactly as the API checks a bearer token, then a session starts (sessions.ts); the
 * token itself is never kept, logged or shown again. The sign-in form carries a secret that also
 * sits in a cookie of its own, so another site cannot sign a browser in as someone else.
 *
 * With sign-in by the identity provider configured (OIDC_CLIENT_ID), the sign-in page offers that
 * instead, and takes no token (provider-sign-in.ts): one way in, the organisation's, whose leavers
 * and roles it manages. The API still takes command-line tokens beside the provider's.
 *
 * Signing out of a session started with the provider ends it here, then sends the browser to the
 * provider's end-session address (RP-initiated logout), so that the next "Sign in with" asks for a
 * login again rather than signing the person straight back in. The provider sends the browser back to
 * /signed-out with the `state` kept in a cookie of its own (SameSite=Lax, as the flow's is: it comes
 * back from another site); only that state, matched, lets the page say the provider was reached.
 * The ID token sent as the hint goes in the redirect's Location only: never in a page or a log line.
 */
import { Router, type Request, type Response } from 'express';
import { checkToken } from '../auth/api-tokens.js';
import type { OidcSignIn } from '../auth/oidc-sign-in.js';
import type { VerifiedTokens } from '../auth/verified-tokens.js';
import { routeTemplate } from '../http/request-logging.js';
import type { Logger } from '../log/logger.js';
import { requestIdOf } from '../log/request-context.js';
import { homeOf, render } from './pages.js';
import { providerSignInRouter } from './provider-sign-in.js';
import { cookieValue, newFormSecret, sameSecret, sessionOf, setCookie, signOut, startSession, type SessionDeps } from './sessions.js';
import type { Views } from './views.js';

export interface SignInDeps extends SessionDeps {
  views: Views;
  logger: Logger;
  verifiedTokens?: VerifiedTokens;
  oidcSignIn?: OidcSignIn;
}

const FORM_COOKIE = 'msk-sign-in';
const SIGN_OUT_COOKIE = 'msk-sign-out';
const SIGN_OUT_SECONDS = 600;
const NOT_SIGNED_IN = 'The token was not recognised, has expired or was revoked. Check it and try again, or ask for a new one.';

/** The sign-in page, again with its error if any: answered 200, the form being the answer (the error code is logged). */
function signInPage(deps: SignInDeps, req: Request, res: Response, error?: string, errorCode?: string): void {
  if (errorCode) res.locals.errorCode = errorCode;
  const ended = res.locals.sessionEnded !== undefined || req.query.session === 'ended';
  if (deps.oidcSignIn) return render(deps.views, res, 'sign-in.njk', { title: 'Sign in', provider: deps.oidcSignIn.providerName, ended });
  const formSecret = newFormSecret();
  setCookie(req, res, FORM_COOKIE, formSecret, 3600);
  render(deps.views, res, 'sign-in.njk', { title: 'Sign in', formSecret, error, ended });
}

export function signInRouter(deps: SignInDeps): Router {
  const router = Router();
  router
    .route('/sign-in')
    .all(routeTemplate)
    .get((req, res) => {
      const session = sessionOf(res);
      if (session) return res.redirect(303, homeOf(session.principal));
      signInPage(deps, req, res);
    })
    .post(async (req, res) => {
      // With the identity provider, no token is taken here: the page offers the provider again.
      if (deps.oidcSignIn) return signInPage(deps, req, res, undefined, 'FORBIDDEN');
      const body = (req.body ?? {}) as Record<string, unknown>;
      if (!sameSecret(body._form, cookieValue(req, FORM_COOKIE))) {
        return signInPage(deps, req, res, 'Your sign-in form had expired. Enter your token again.', 'FORBIDDEN');
      }
      const token = typeof body.token === 'string' ? body.token.trim() : '';
      if (token === '') return signInPage(deps, req, res, 'Enter your token', 'AUTHENTICATION_REQUIRED');
      const check = await checkToken(deps.db, token, deps.clock(), deps.verifiedTokens);
      if (!check.ok) {
        deps.logger.warn('authentication failed', { event: 'auth.failed', reason: check.reason, via: 'web-sign-in', method: req.method, requestId: requestIdOf(res) });
        return signInPage(deps, req, res, NOT_SIGNED_IN, 'TOKEN_INVALID');
      }
      if (check.principal.role === 'operator') {
        return signInPage(deps, req, res, "An operator's token reads the service's metrics only: it has no pages.", 'FORBIDDEN');
      }
      const session = await startSession(deps, req, res, check.principal, check.tokenId);
      res.locals.principal = session.principal;
      setCookie(req, res, FORM_COOKIE, '', 0);
      res.redirect(303, homeOf(session.principal));
    });

  if (deps.oidcSignIn) router.use(providerSignInRouter({ ...deps, oidcSignIn: deps.oidcSignIn }));

  router
    .route('/sign-out')
    .all(routeTemplate)
    .post(async (req, res) => {
      // Checked by the CSRF guard before this handler; a sign-out without a session just lands on the start page.
      const ended = await signOut(deps, req, res);
      if (ended?.via !== 'oidc' || !deps.oidcSignIn) return res.redirect(303, '/signed-out');
      const state = newFormSecret();
      let atProvider: URL | undefined;
      try {
        atProvider = await deps.oidcSignIn.signOutUrl(ended.idToken, state);
      } catch {
        // Signed out here all the same; the signed-out page says they may still be signed in there.
      }
      deps.logger.info('signed out', { event: 'auth.signed-out', via: 'web-oidc', provider: atProvider ? 'sent-to-provider' : 'no-end-session', requestId: requestIdOf(res) });
      if (!atProvider) return res.redirect(303, '/signed-out');
      setCookie(req, res, SIGN_OUT_COOKIE, state, SIGN_OUT_SECONDS, 'Lax');
      // Not res.redirect: it writes the address, the ID token with it, into the answer's body too.
      res.status(303).location(atProvider.href).end();
    });

  router
    .route('/signed-out')
    .all(routeTemplate)
    .get((req, res) => {
      if (!deps.oidcSignIn) return render(deps.views, res, 'signed-out.njk', { title: 'You have signed out' });
      // Back from the provider: its state must be the one this browser was sent with (one use).
      const expected = cookieValue(req, SIGN_OUT_COOKIE);
      if (expected !== undefined) setCookie(req, res, SIGN_OUT_COOKIE, '', 0, 'Lax');
      const returned = sameSecret(req.query.state, expected);
      render(deps.views, res, 'signed-out.njk', { title: 'You have signed out', provider: deps.oidcSignIn.providerName, atProvider: returned });
    });
  return router;
}
