/**
 * Every error the API answers, with its stable code, HTTP status and message: the one catalogue.
 * The README's error table is checked against it by a test.
 */
import type { Issue } from '../schemas/schema-issues.js';

export const ERRORS = {
  REFERRAL_INVALID: { status: 400, message: 'The referral does not match the referral contract.' },
  JSON_MALFORMED: { status: 400, message: 'The request body is not valid JSON.' },
  JSON_TOO_DEEP: { status: 400, message: 'The request body is nested more deeply than any request of this API can be.' },
  JSON_TOO_WIDE: { status: 400, message: 'A list or object in the request body has more entries than any request of this API can have.' },
  JSON_DUPLICATE_KEY: { status: 400, message: 'A field appears twice in the same object of the request body.' },
  JSON_BAD_CHARACTER: { status: 400, message: 'A string in the request body holds a character that cannot be stored (U+0000 or a lone surrogate).' },
  URL_MALFORMED: { status: 400, message: 'The address is not correctly percent-encoded.' },
  QUERY_INVALID: { status: 400, message: 'A query parameter is not valid.' },
  REVIEW_INVALID: { status: 400, message: 'The review does not match the review contract.' },
  REQUEST_INVALID: { status: 400, message: 'The request body is not what this address expects.' },
  IDEMPOTENCY_KEY_INVALID: { status: 400, message: 'The Idempotency-Key header is not valid.' },
  AUTHENTICATION_REQUIRED: { status: 401, message: 'Send a bearer token: Authorization: Bearer <token>.' },
  TOKEN_INVALID: { status: 401, message: 'The bearer token is not valid: it is unknown, revoked, expired or malformed.' },
  FORBIDDEN: { status: 403, message: 'You may not do this: your role does not allow it, or it concerns another practice.' },
  NOT_FOUND: { status: 404, message: 'There is nothing at this address.' },
  RULESET_NOT_FOUND: { status: 404, message: 'No rule set with this id is loaded.' },
  RULESET_VERSION_NOT_FOUND: { status: 404, message: 'This version of the rule set is not loaded.' },
  REFERRAL_NOT_FOUND: { status: 404, message: 'There is no referral with this id that you may see.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This address does not accept this method.' },
  ALREADY_REVIEWED: { status: 409, message: 'This referral has already been reviewed.' },
  NOTHING_TO_CONFIRM: { status: 409, message: 'This referral has no route to confirm: it needs a route, given by an override.' },
  RULESET_VERSION_INVALID: { status: 409, message: 'This rule-set version fails its checks; fix it before simulating it.' },
  ACTIVATION_REFUSED: { status: 409, message: 'This rule-set version cannot be activated; the active version is unchanged.' },
  IDEMPOTENCY_IN_FLIGHT: { status: 409, message: 'A request with this Idempotency-Key is still being processed; retry shortly.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is larger than the service accepts.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Send the request body as JSON: Content-Type application/json, in UTF-8.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, message: 'This Idempotency-Key was used before with a different request body.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests: retry after the number of seconds in Retry-After.' },
  EVALUATION_FAILED: {
    status: 500,
    message: 'The referral could not be evaluated, so no route is given: it needs manual triage by a clinician.',
  },
  INTERNAL_ERROR: { status: 500, message: 'Something went wrong on our side. The request id identifies it in our logs.' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is not available; nothing was stored. Retry with the same Idempotency-Key.' },
  NOT_READY: { status: 503, message: 'The service is not ready: it has no valid active rule set, or it is shutting down.' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An error the API answers on purpose: a catalogue code and, for input errors, every issue. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly issues: readonly Issue[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(ERRORS[code].message);
    this.status = ERRORS[code].status;
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: Issue[]; requestId?: string };
}

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
