/**
 * The one mapping from an error code of the catalogue (src/domain/error-catalogue.ts) to the HTTP
 * status it is answered with: used by the error handler and the OpenAPI description, and checked
 * against the README's error table by a test.
 */
import type { ApiError, ErrorCode } from '../domain/error-catalogue.js';

export const ERROR_STATUS = {
  REFERRAL_INVALID: 400,
  JSON_MALFORMED: 400,
  JSON_TOO_DEEP: 400,
  JSON_TOO_WIDE: 400,
  JSON_DUPLICATE_KEY: 400,
  JSON_BAD_CHARACTER: 400,
  URL_MALFORMED: 400,
  QUERY_INVALID: 400,
  REVIEW_INVALID: 400,
  REQUEST_INVALID: 400,
  IDEMPOTENCY_KEY_INVALID: 400,
  AUTHENTICATION_REQUIRED: 401,
  TOKEN_INVALID: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  RULESET_NOT_FOUND: 404,
  RULESET_VERSION_NOT_FOUND: 404,
  REFERRAL_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  ALREADY_REVIEWED: 409,
  DECISION_CHANGED: 409,
  NOTHING_TO_CONFIRM: 409,
  RULESET_VERSION_INVALID: 409,
  ACTIVATION_REFUSED: 409,
  NOT_SCHEDULED: 409,
  IDEMPOTENCY_IN_FLIGHT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  EVALUATION_FAILED: 500,
  INTERNAL_ERROR: 500,
  DATABASE_UNAVAILABLE: 503,
  NOT_READY: 503,
  SERVICE_OVERLOADED: 503,
} as const satisfies Record<ErrorCode, number>;

export const httpStatus = (error: ApiError): number => ERROR_STATUS[error.code];
