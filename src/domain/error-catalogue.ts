/**
 * Every error the service answers on purpose, with its stable code and message: the one catalogue.
 * No transport here: the one mapping from a code to its HTTP status is src/http/error-status.ts,
 * and the README's error table is checked against both by a test.
 */

/** What is wrong with an input, for the person who sent it: a JSON Pointer to the field and a message. */
export interface Issue {
  path: string;
  message: string;
}

export const ERRORS = {
  REFERRAL_INVALID: { message: 'The referral does not match the referral contract.' },
  JSON_MALFORMED: { message: 'The request body is not valid JSON.' },
  JSON_TOO_DEEP: { message: 'The request body is nested more deeply than any request of this API can be.' },
  JSON_TOO_WIDE: { message: 'A list or object in the request body has more entries than any request of this API can have.' },
  JSON_DUPLICATE_KEY: { message: 'A field appears twice in the same object of the request body.' },
  JSON_BAD_CHARACTER: { message: 'A string in the request body holds a character that cannot be stored (U+0000 or a lone surrogate).' },
  JSON_NOT_UTF8: { message: 'The request body holds bytes that are not valid UTF-8.' },
  HTTP_MALFORMED: { message: 'The request is not well-formed HTTP/1.1 (its request line or a header), so it was not read.' },
  URL_MALFORMED: { message: 'The address is not correctly percent-encoded.' },
  QUERY_INVALID: { message: 'A query parameter is not valid.' },
  REVIEW_INVALID: { message: 'The review does not match the review contract.' },
  REQUEST_INVALID: { message: 'The request body is not what this address expects.' },
  IDEMPOTENCY_KEY_INVALID: { message: 'The Idempotency-Key header is not valid.' },
  AUTHENTICATION_REQUIRED: { message: 'Send a bearer token: Authorization: Bearer <token>.' },
  TOKEN_INVALID: { message: 'The bearer token is not valid: it is unknown, revoked, expired or malformed.' },
  FORBIDDEN: { message: 'You may not do this: your role does not allow it, or it concerns another practice.' },
  NOT_FOUND: { message: 'There is nothing at this address.' },
  RULESET_NOT_FOUND: { message: 'No rule set with this id is loaded.' },
  RULESET_VERSION_NOT_FOUND: { message: 'This version of the rule set is not loaded.' },
  REFERRAL_NOT_FOUND: { message: 'There is no referral with this id that you may see.' },
  METHOD_NOT_ALLOWED: { message: 'This address does not accept this method.' },
  ALREADY_REVIEWED: { message: 'This referral has already been reviewed.' },
  DECISION_CHANGED: { message: "The referral's decision has changed since you read it: read it again before you act." },
  NOTHING_TO_CONFIRM: { message: 'This referral has no route to confirm: it needs a route, given by an override.' },
  RULESET_VERSION_INVALID: { message: 'This rule-set version fails its checks; fix it before simulating it.' },
  APPROVAL_REFUSED: { message: 'This approval is refused: the approver is one of the version\'s authors, or has approved this content already.' },
  ACTIVATION_REFUSED: { message: 'This rule-set version cannot be activated; the active version is unchanged.' },
  NOT_SCHEDULED: { message: 'This rule-set version has no scheduled activation to cancel.' },
  IDEMPOTENCY_IN_FLIGHT: { message: 'A request with this Idempotency-Key is still being processed; retry shortly.' },
  REQUEST_TIMEOUT: { message: 'The request did not arrive in time: its headers or its whole body took too long.' },
  PAYLOAD_TOO_LARGE: { message: 'The request body is larger than the service accepts.' },
  UNSUPPORTED_MEDIA_TYPE: { message: 'Send the request body as JSON: Content-Type application/json, in UTF-8.' },
  IDEMPOTENCY_KEY_REUSED: { message: 'This Idempotency-Key was used before with a different request body.' },
  HEADERS_TOO_LARGE: { message: 'The request headers are larger than the service accepts.' },
  RATE_LIMITED: { message: 'Too many requests: retry after the number of seconds in Retry-After.' },
  EVALUATION_FAILED: { message: 'The referral could not be evaluated, so no route is given: it needs manual triage by a clinician.' },
  INTERNAL_ERROR: { message: 'Something went wrong on our side. The request id identifies it in our logs.' },
  DATABASE_UNAVAILABLE: { message: 'The database is not available; nothing was stored. Retry with the same Idempotency-Key.' },
  NOT_READY: { message: 'The service is not ready: it has no valid active rule set, or it is shutting down.' },
  SERVICE_OVERLOADED: { message: 'The service is busy and did not start on this request; nothing was stored. Retry after the number of seconds in Retry-After, with the same Idempotency-Key.' },
} as const satisfies Record<string, { message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/**
 * An error the API answers on purpose: a catalogue code, for input errors every issue, and any
 * headers the answer needs (Allow, WWW-Authenticate). Its HTTP status is the http layer's to give.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    readonly issues: readonly Issue[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(ERRORS[code].message);
  }
}
