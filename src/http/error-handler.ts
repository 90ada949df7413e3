/**
 * The last middleware: every error becomes the documented shape. Known errors map to their catalogue
 * code; anything else is logged with its request id and answered 500 without internals.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../log/logger.js';
import { requestIdOf } from '../log/request-context.js';
import { EvaluationError } from '../rules/compiled-rule-set.js';
import { ApiError, type ErrorCode, type Issue } from '../domain/error-catalogue.js';
import { httpStatus } from './error-status.js';
import { JsonStructureError, structureApiError } from './json-body.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: Issue[]; requestId?: string };
}

/** The documented error shape: the code, its message, any issues, and the request id. */
export function errorBody(error: ApiError, requestId: string | undefined): ErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.issues.length > 0 ? { issues: [...error.issues] } : {}),
      ...(requestId ? { requestId } : {}),
    },
  };
}

/** body-parser's error types (https://github.com/expressjs/body-parser#errors). */
const PARSER_ERRORS: Readonly<Record<string, ErrorCode>> = {
  'entity.parse.failed': 'JSON_MALFORMED',
  'entity.too.large': 'PAYLOAD_TOO_LARGE',
  'charset.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'encoding.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'request.aborted': 'JSON_MALFORMED',
  'request.size.invalid': 'JSON_MALFORMED',
};

/** A stack's frames only: never its message, which may repeat input and may run over several lines. */
const stackFrames = (stack: string | undefined) =>
  stack
    ?.split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');

/**
 * The database cannot be reached: pg's connection errors, PostgreSQL's connection-exception (08),
 * operator-intervention (57P) and no-such-database (3D000) classes, or a closed PGlite or pool. Nothing was stored; a retry may work.
 */
function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (/^(08|57P|3D000)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND'].includes(code))) return true;
  return typeof message === 'string' && /PGlite is closed|Connection terminated|Cannot use a pool after calling end/.test(message);
}

function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (isDatabaseUnavailable(error)) return new ApiError('DATABASE_UNAVAILABLE');
  if (error instanceof EvaluationError) return new ApiError('EVALUATION_FAILED');
  if (error instanceof JsonStructureError) return structureApiError(error.problem);
  // the router's decodeURIComponent of a path parameter
  if (error instanceof URIError) return new ApiError('URL_MALFORMED');
  const { type } = (error ?? {}) as { type?: unknown };
  const code = typeof type === 'string' ? PARSER_ERRORS[type] : undefined;
  return code ? new ApiError(code) : undefined;
}

/** How long a connection whose body is refused unread stays open for its answer to reach the client. */
const LINGER_MS = 500;

/**
 * A body refused for its size is not read any further: the answer closes the connection, and the
 * socket is destroyed shortly after the answer is sent (not at once, which could cut the answer off
 * at the client), however much more the client sends.
 */
function closeUnreadBody(res: Parameters<ErrorRequestHandler>[2]): void {
  res.set('Connection', 'close');
  res.once('finish', () => {
    const socket = res.req.socket;
    socket.pause();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    let apiError = toApiError(error);
    if (!apiError) {
      apiError = new ApiError('INTERNAL_ERROR');
      const { name, stack } = error instanceof Error ? error : { name: typeof error, stack: undefined };
      logger.error('unexpected error', { event: 'http.unexpected-error', errorName: name, stack: stackFrames(stack), requestId: requestIdOf(res) });
    } else if (apiError.code === 'EVALUATION_FAILED') {
      const cause = (error as Error).cause;
      logger.error('evaluation failed', {
        event: 'triage.evaluation-failed',
        causeName: cause instanceof Error ? cause.name : undefined,
        stack: cause instanceof Error ? stackFrames(cause.stack) : undefined,
        requestId: requestIdOf(res),
      });
    }
    res.locals.errorCode = apiError.code;
    if (res.headersSent) {
      res.end();
      return;
    }
    if (apiError.code === 'PAYLOAD_TOO_LARGE') closeUnreadBody(res);
    res.status(httpStatus(apiError)).set(apiError.headers).json(errorBody(apiError, requestIdOf(res)));
  };
}

export const notFound: RequestHandler = () => {
  throw new ApiError('NOT_FOUND');
};

export function methodNotAllowed(allowed: readonly string[]): RequestHandler {
  return () => {
    throw new ApiError('METHOD_NOT_ALLOWED', [], { Allow: allowed.join(', ') });
  };
}
