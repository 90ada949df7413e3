/**
 * Response headers (helmet) and rate limits (express-rate-limit): one limit per client address,
 * applied before anything else of /api/v1, and one per authenticated caller, applied after
 * authentication. Beyond either: 429 RATE_LIMITED with Retry-After. The limits are counted in this
 * process (each instance counts its own).
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { Principal } from '../auth/principal.js';
import { ApiError } from '../domain/error-catalogue.js';

export interface RateLimits {
  perAddress: number;
  perCaller: number;
  windowMs: number;
}

/** An API that answers JSON only: no scripts, no framing, no sniffing, no referrer, HSTS. */
export const securityHeaders = (): RequestHandler =>
  helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
  });

const rateLimited: RequestHandler = (_req, _res, next) => next(new ApiError('RATE_LIMITED'));

export function addressRateLimit(limits: RateLimits): RequestHandler {
  return rateLimit({
    windowMs: limits.windowMs,
    limit: limits.perAddress,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? 'unknown'),
    handler: rateLimited,
  });
}

export function callerRateLimit(limits: RateLimits): RequestHandler {
  return rateLimit({
    windowMs: limits.windowMs,
    limit: limits.perCaller,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: 'caller',
    keyGenerator: (_req, res) => (res.locals.principal as Principal).id,
    handler: rateLimited,
  });
}
