/**
 * A request id for every request (a caller's X-Request-Id when it is a UUID, else a new one), kept on the response's locals for every log line of the request (request-context.ts),
 * echoed in the response, and one `http.request` event when
 * the response is finished: route template, status, timing, error code and the decision's route.
 * Never the URL's values, the query, headers or the body.
 */
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Principal } from '../auth/principal.js';
import type { Logger } from '../log/logger.js';
import { setRequestId } from '../log/request-context.js';

/**
 * A caller's id is taken only when it is a UUID (any version, in its 8-4-4-4-12 hex form): nothing
 * else can be carried unmasked in every log line, since free text may hold a name, an NHS number or
 * a date. Any other is replaced, and never handed to the logger.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const requestIdFrom = (offered: string | undefined): string => (offered !== undefined && UUID.test(offered) ? offered.toLowerCase() : randomUUID());

/** What a handler may add to its request's log event: ids, codes and coded values only. */
export interface RequestLogFields {
  rulesetId?: string;
  rulesetVersion?: string;
  pathway?: string;
  urgency?: string;
  reviewRequired?: boolean;
  outcome?: string;
}

export function requestLogging(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const requestId = requestIdFrom(req.get('x-request-id'));
    const started = process.hrtime.bigint();
    setRequestId(res, requestId);
    res.setHeader('X-Request-Id', requestId);
    res.on('finish', () => {
      const route = (res.locals.route as string | undefined) ?? 'unmatched';
      logger.info('request', {
        event: 'http.request',
        requestId,
        method: req.method,
        route,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        errorCode: res.locals.errorCode as string | undefined,
        // Who: the pseudonymous id and role, never a name.
        actor: (res.locals.principal as Principal | undefined)?.id,
        role: (res.locals.principal as Principal | undefined)?.role,
        ...(res.locals.logFields as RequestLogFields | undefined),
      });
    });
    next();
  };
}

/** Records the matched route's template (`/api/v1/triage`) for the request's log event. */
export const routeTemplate: RequestHandler = (req, res, next) => {
  res.locals.route = `${req.baseUrl}${String((req.route as { path: string } | undefined)?.path ?? '')}`;
  next();
};
