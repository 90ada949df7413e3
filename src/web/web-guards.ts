/**
 * The pages' guards: each page for the roles the access policy gives it (PAGE_POLICY in
 * access-policy.ts; signed out: to the sign-in page; another role: a page that says so, 403, recorded
 * as the API records a refusal; a method the policy does not name: not found), and the CSRF check on every form that changes anything (a POST must carry
 * its session's token in `_csrf`; the sign-in form has its own, in sign-in.ts).
 */
import type { RequestHandler } from 'express';
import { pageRoles, type DenialSink } from '../auth/access-policy.js';
import { ApiError } from '../domain/error-catalogue.js';
import { requestIdOf } from '../log/request-context.js';
import { render } from './pages.js';
import { sameSecret, sessionOf } from './sessions.js';
import type { Views } from './views.js';

/** After `routeTemplate`, on every page that needs a session. */
export function pageGuard(views: Views, onDenied: DenialSink): RequestHandler {
  return async (req, res, next) => {
    const session = sessionOf(res);
    // A session that has just run out says so on the sign-in page (the address holds only that word).
    if (!session) return res.redirect(303, res.locals.sessionEnded ? '/sign-in?session=ended' : '/sign-in');
    const route = res.locals.route as string;
    const roles = pageRoles(route, req.method);
    if (!roles) throw new ApiError('NOT_FOUND');
    if (!roles.includes(session.principal.role)) {
      await onDenied({ principal: session.principal, method: req.method, route, reason: 'role', requestId: requestIdOf(res) });
      res.locals.errorCode = 'FORBIDDEN';
      return render(views, res, 'error.njk', { title: 'This page is not for your role', message: 'You are signed in with a role that cannot use this page.' }, 403);
    }
    next();
  };
}

/** Every POST but the sign-in form's: the session's CSRF token in `_csrf`, or 403 and nothing done. */
export function csrfGuard(views: Views): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || req.path === '/sign-in') return next();
    const session = sessionOf(res);
    const given = (req.body as Record<string, unknown> | undefined)?._csrf;
    if (session && sameSecret(given, session.csrfToken)) return next();
    if (!session && req.path === '/sign-out') return res.redirect(303, '/signed-out');
    res.locals.errorCode = 'FORBIDDEN';
    render(views, res, 'error.njk', { title: 'This form had expired', message: 'Nothing was changed. Go back, reload the page and try again.' }, 403);
  };
}
