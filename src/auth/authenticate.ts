/**
 * Authentication for every /api/v1 request: `Authorization: Bearer <token>`, either a token issued
 * at the command line (`msk_…`) or, when OIDC is configured, a JWT from the identity provider. No
 * credentials is 401 AUTHENTICATION_REQUIRED; bad, expired or revoked credentials are 401
 * TOKEN_INVALID (one code: the answer does not help anyone guess). Each failure is logged as an
 * `auth.failed` event with its reason, never the token.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ApiError } from '../domain/error-catalogue.js';
import type { Logger } from '../log/logger.js';
import { requestIdOf } from '../log/request-context.js';
import type { Queryable } from '../store/database.js';
import { checkToken, TOKEN_PREFIX } from './api-tokens.js';
import type { OidcVerifier } from './oidc.js';
import type { Principal } from './principal.js';
import type { VerifiedTokens } from './verified-tokens.js';

export interface AuthenticationDeps {
  db: Queryable;
  clock: () => Date;
  logger: Logger;
  oidc?: OidcVerifier;
  /** command-line tokens read in the last second: most requests cost no query */
  verifiedTokens?: VerifiedTokens;
}

const REALM = 'Bearer realm="msk-triage"';
// RFC 7235: the scheme is case-insensitive.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 8192;

async function principalFor(deps: AuthenticationDeps, token: string): Promise<{ principal?: Principal; reason?: string; via: string }> {
  if (token.startsWith(TOKEN_PREFIX)) {
    const check = await checkToken(deps.db, token, deps.clock(), deps.verifiedTokens);
    return check.ok ? { principal: check.principal, via: 'token' } : { reason: check.reason, via: 'token' };
  }
  if (JWT.test(token)) {
    if (!deps.oidc) return { reason: 'oidc-not-configured', via: 'oidc' };
    const check = await deps.oidc.verify(token);
    return check.ok ? { principal: check.principal, via: 'oidc' } : { reason: check.reason, via: 'oidc' };
  }
  return { reason: 'unknown', via: 'none' };
}

export function authenticate(deps: AuthenticationDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    if (header === undefined || header.trim() === '') {
      deps.logger.warn('authentication failed', { event: 'auth.failed', reason: 'no-credentials', method: req.method, requestId: requestIdOf(res) });
      throw new ApiError('AUTHENTICATION_REQUIRED', [], { 'WWW-Authenticate': REALM });
    }
    const match = header.length <= MAX_TOKEN_LENGTH ? BEARER.exec(header) : null;
    const found = match ? await principalFor(deps, match[1] as string) : { reason: 'not-bearer', via: 'none' };
    if (!found.principal) {
      deps.logger.warn('authentication failed', { event: 'auth.failed', reason: found.reason, via: found.via, method: req.method, requestId: requestIdOf(res) });
      throw new ApiError('TOKEN_INVALID', [], { 'WWW-Authenticate': `${REALM}, error="invalid_token"` });
    }
    res.locals.principal = found.principal;
    next();
  };
}
