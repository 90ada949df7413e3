/**
 * Web page sessions, kept in the database (store/session-store.ts), so that they survive a restart
 * and hold on every instance. The cookie carries 32 random bytes; the database only their SHA-256.
 * The cookie is HttpOnly and SameSite=Strict, and Secure whenever the request came over TLS (directly
 * or through a proxy trusted by TRUST_PROXY_HOPS), then named with the __Host- prefix. A session
 * ends after SESSION_IDLE_MINUTES without a request, SESSION_MAX_HOURS after sign-in, at sign-out, or
 * when the token it was started with is revoked or expires. Each session has its own CSRF token,
 * which every form that changes anything carries in `_csrf`.
 *
 * Starting and ending a session are audit events (`session.started`, `session.ended`): who, how they
 * signed in (`token` with the token's own id, or `oidc`), why it ended, and a reference that links the
 * two (a hash of the stored hash: it finds no session and rebuilds no cookie). Never the token, never
 * the cookie's value.
 *
 * A session started with the identity provider keeps the provider's ID token in its row (never in
 * what a request reads, never in a page), handed back once as the session is signed out, so that the
 * provider can be asked to end its sign-in too (sign-in.ts); ending a session clears it.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Principal } from '../auth/principal.js';
import { appendAuditEvents } from '../audit/audit-trail.js';
import type { AuditEventInput } from '../domain/audit-event-types.js';
import type { Role } from '../domain/roles.js';
import type { Database } from '../store/database.js';
import { deleteSessionsExpiredBefore, endSession, insertSession, sessionByHash, touchSession } from '../store/session-store.js';

export interface SessionSettings {
  idleMs: number;
  maxMs: number;
}

export interface SessionDeps extends SessionSettings {
  db: Database;
  clock: () => Date;
}

export interface WebSession {
  idSha256: string;
  principal: Principal;
  csrfToken: string;
  /** the token it was started with; null for a sign-in with the identity provider */
  tokenId: string | null;
}

const whoOf = (principal: Principal, tokenId: string | null) => ({ principalId: principal.id, role: principal.role, via: principal.via, tokenId });

const COOKIE = 'msk-session';
const SECURE_COOKIE = '__Host-msk-session';
/** The last request is written at most this often: a page's own assets do not each cost a write. */
const TOUCH_EVERY_MS = 15_000;
const A_DAY_MS = 86_400_000;

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const randomToken = (): string => randomBytes(32).toString('base64url');

/** The request's cookies, by name (the first of a name wins; values are never logged). */
export function cookiesOf(req: Request): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at < 1) continue;
    const name = part.slice(0, at).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(at + 1).trim());
  }
  return cookies;
}

/**
 * Cookie attributes: HttpOnly, SameSite=Strict, and Secure with the __Host- name over TLS. `Lax` only
 * for a cookie that must come back with the identity provider's redirect to the callback (a top-level
 * navigation from another site, which never carries a Strict cookie).
 */
export function setCookie(req: Request, res: Response, name: string, value: string, maxAgeS: number | undefined, sameSite: 'Strict' | 'Lax' = 'Strict'): void {
  const secure = req.secure;
  const attributes = [`${secure ? `__Host-${name}` : name}=${value}`, 'Path=/', 'HttpOnly', `SameSite=${sameSite}`];
  if (secure) attributes.push('Secure');
  if (maxAgeS !== undefined) attributes.push(`Max-Age=${maxAgeS}`);
  res.append('Set-Cookie', attributes.join('; '));
}

export const cookieValue = (req: Request, name: string): string | undefined => cookiesOf(req).get(req.secure ? `__Host-${name}` : name);

const sessionCookieValue = (req: Request): string | undefined => cookiesOf(req).get(req.secure ? SECURE_COOKIE : COOKIE);

export type SessionEnd = 'signed-out' | 'signed-in-again' | 'idle' | 'expired' | 'token-revoked' | 'token-expired';

/** The audit event of a session's start or end (a pure builder). */
export function sessionEvent(
  type: 'session.started' | 'session.ended',
  who: { principalId: string; role: Role; via: 'token' | 'oidc'; tokenId: string | null },
  idSha256: string,
  at: Date,
  ended?: SessionEnd,
): AuditEventInput {
  return {
    id: randomUUID(), referralId: null, type, actor: who.principalId, actorRole: who.role, occurredAt: at, ruleset: null,
    details: { method: who.via, ...(who.tokenId ? { tokenId: who.tokenId } : {}), session: sha256(`audit-reference\n${idSha256}`).slice(0, 32), ...(ended ? { reason: ended } : {}) },
  };
}

/** Ends the session and records why, once (whoever ends it first); what this call ended, with the provider's ID token it held. */
async function endAndRecord(db: Database, idSha256: string, who: Parameters<typeof sessionEvent>[1], now: Date, why: SessionEnd): Promise<{ idToken: string | null } | undefined> {
  return db.transaction(async (tx) => {
    const ended = await endSession(tx, idSha256, now);
    if (ended) await appendAuditEvents(tx, [sessionEvent('session.ended', who, idSha256, now, why)]);
    return ended;
  });
}

/** Whether a session may still be used at `now`, and why not. */
export function sessionState(s: { endedAt: Date | null; lastSeenAt: Date; expiresAt: Date; tokenRevokedAt: Date | null; tokenExpiresAt: Date | null }, now: Date, idleMs: number): 'live' | 'ended' | 'idle' | 'expired' | 'token-revoked' | 'token-expired' {
  if (s.endedAt) return 'ended';
  if (now.getTime() >= s.expiresAt.getTime()) return 'expired';
  if (now.getTime() - s.lastSeenAt.getTime() >= idleMs) return 'idle';
  if (s.tokenRevokedAt) return 'token-revoked';
  if (s.tokenExpiresAt && s.tokenExpiresAt.getTime() <= now.getTime()) return 'token-expired';
  return 'live';
}

/** Reads the session cookie: a live session puts its principal on res.locals (as authentication does for the API). */
export function readSession(deps: SessionDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const value = sessionCookieValue(req);
    if (value && /^[A-Za-z0-9_-]{43}$/.test(value)) {
      const idSha256 = sha256(value);
      const record = await sessionByHash(deps.db, idSha256);
      const now = deps.clock();
      if (record) {
        const state = sessionState(record, now, deps.idleMs);
        if (state === 'live') {
          const principal: Principal = { id: record.principalId, role: record.role, ...(record.practice ? { practice: record.practice } : {}), name: record.name, via: record.via };
          res.locals.session = { idSha256, principal, csrfToken: record.csrfToken, tokenId: record.tokenId } satisfies WebSession;
          res.locals.principal = principal;
          if (now.getTime() - record.lastSeenAt.getTime() >= TOUCH_EVERY_MS) await touchSession(deps.db, idSha256, now);
        } else {
          if (state !== 'ended') await endAndRecord(deps.db, idSha256, record, now, state);
          res.locals.sessionEnded = state;
        }
      }
    }
    next();
  };
}

export const sessionOf = (res: Response): WebSession | undefined => res.locals.session as WebSession | undefined;

/**
 * Starts a new session for the principal (a new id every time: no session fixation) and sets its
 * cookie. `idToken`: the identity provider's ID token, kept server-side for signing out there.
 */
export async function startSession(deps: SessionDeps, req: Request, res: Response, principal: Principal, tokenId: string | null, idToken: string | null = null): Promise<WebSession> {
  const previous = sessionOf(res);
  const now = deps.clock();
  if (previous) await endAndRecord(deps.db, previous.idSha256, whoOf(previous.principal, previous.tokenId), now, 'signed-in-again');
  const id = randomToken();
  const session: WebSession = { idSha256: sha256(id), principal, csrfToken: randomToken(), tokenId };
  await deps.db.transaction(async (tx) => {
    await insertSession(tx, {
    idSha256: session.idSha256,
    principalId: principal.id,
    role: principal.role,
    practice: principal.practice ?? null,
    name: principal.name,
    via: principal.via,
    tokenId,
    idToken,
    csrfToken: session.csrfToken,
    now,
    expiresAt: new Date(now.getTime() + deps.maxMs),
    });
    await appendAuditEvents(tx, [sessionEvent('session.started', whoOf(principal, tokenId), session.idSha256, now)]);
  });
  setCookie(req, res, 'msk-session', id, Math.floor(deps.maxMs / 1000));
  // Housekeeping at each sign-in: sessions that expired more than a day ago are forgotten.
  await deleteSessionsExpiredBefore(deps.db, new Date(now.getTime() - A_DAY_MS));
  return session;
}

/** Ends the browser's session and clears its cookie; what was ended (how it was started, and the provider's ID token it held), if anything. */
export async function signOut(deps: SessionDeps, req: Request, res: Response): Promise<{ via: 'token' | 'oidc'; idToken: string | null } | undefined> {
  const session = sessionOf(res);
  const ended = session ? await endAndRecord(deps.db, session.idSha256, whoOf(session.principal, session.tokenId), deps.clock(), 'signed-out') : undefined;
  setCookie(req, res, 'msk-session', '', 0);
  return session && ended ? { via: session.principal.via, idToken: ended.idToken } : undefined;
}

/** The same secret, compared in constant time. */
export function sameSecret(given: unknown, expected: string | undefined): boolean {
  if (typeof given !== 'string' || expected === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const newFormSecret = randomToken;
