/**
 * The pages' guards: a page for some roles only (signed out: to the sign-in page; another role: a
 * page that says so, 403), and the CSRF check on every form that changes anything (a POST must carry
 * its session's token in `_csrf`; the sign-in form has its own, in sign-in.ts).
 */
import type { RequestHandler } from 'express';
import type { Role } from '../domain/roles.js';
import { render } from './pages.js';
import { sameSecret, sessionOf } from './sessions.js';
import type { Views } from './views.js';

export function requireRole(views: Views, roles: readonly Role[]): RequestHandler {
  return (_req, res, next) => {
    const session = sessionOf(res);
    // A session that has just run out says so on the sign-in page (the address holds only that word).
    if (!session) return res.redirect(303, res.locals.sessionEnded ? '/sign-in?session=ended' : '/sign-in');
    if (!roles.includes(session.principal.role)) {
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
