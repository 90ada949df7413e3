/**
 * What every page shares: its headers (a strict Content-Security-Policy: scripts, styles, images and
 * fonts from this service only, nothing inline; never cached, since pages name the signed-in person
 * and most hold patient data), the header that says who is signed in, and the menu of their role.
 */
import type { RequestHandler, Response } from 'express';
import type { Principal } from '../auth/principal.js';
import type { Role } from '../domain/roles.js';
import { sessionOf } from './sessions.js';
import type { Views } from './views.js';

export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/**
 * The pages' headers. `formTargets`: origins beyond ours where a form of ours may end up, the identity
 * provider's, when sign-out sends the browser on to it: browsers apply form-action to a form's
 * redirects too, so without them the sign-out form's redirect to the provider would be blocked.
 */
export function pageHeaders(formTargets: () => readonly string[] = () => []): RequestHandler {
  return (_req, res, next) => {
    const targets = formTargets();
    res.set('Content-Security-Policy', targets.length === 0 ? PAGE_CSP : PAGE_CSP.replace("form-action 'self'", `form-action 'self' ${targets.join(' ')}`));
    res.set('Cache-Control', 'no-store');
    next();
  };
}

export const ROLE_TEXT: Readonly<Record<Role, string>> = {
  gp: 'GP',
  'triage-clinician': 'Triage clinician',
  'clinical-lead': 'Clinical lead',
  operator: 'Operator',
};

/** Each role's pages, in its menu; the first is where signing in takes them. */
const MENUS: Readonly<Partial<Record<Role, ReadonlyArray<{ href: string; text: string }>>>> = {
  gp: [
    { href: '/referrals', text: "My practice's referrals" },
    { href: '/referrals/new', text: 'New referral' },
  ],
  'triage-clinician': [
    { href: '/queue', text: 'Review queue' },
    { href: '/queue/search', text: 'Search by NHS number' },
  ],
  'clinical-lead': [{ href: '/rulesets', text: 'Rule sets' }],
};

export const homeOf = (principal: Principal): string => MENUS[principal.role]?.[0]?.href ?? '/';

export function render(views: Views, res: Response, template: string, context: Record<string, unknown>, status = 200): void {
  const session = sessionOf(res);
  const principal = session?.principal;
  const current = (res.locals.route as string | undefined) ?? '';
  const navigation = principal ? (MENUS[principal.role] ?? []).map((item) => ({ ...item, current: item.href === current })) : undefined;
  const html = views.render(template, {
    ...context,
    user: principal ? { name: principal.name, roleText: ROLE_TEXT[principal.role], practice: principal.practice } : undefined,
    csrfToken: session?.csrfToken,
    navigation,
  });
  res.status(status).type('html').send(html);
}
