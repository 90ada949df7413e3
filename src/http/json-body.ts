/**
 * Reading a JSON body: only `application/json` in UTF-8 (415 otherwise), at most the configured size
 * (413), and a structure checked on the raw bytes before JSON.parse (json-structure.ts): not too
 * deep, no list or object too long, no key twice in one object, nothing but UTF-8 (400). Parser errors are mapped to
 * catalogue codes in the error handler; their messages echo input and are never logged or returned.
 */
import type { RequestHandler } from 'express';
import getRawBody from 'raw-body';
import { ApiError } from '../domain/error-catalogue.js';
import { checkJsonStructure, firstNonUtf8Byte, type StructureProblem } from './json-structure.js';

/** A referral is three levels deep and its widest object has 15 keys; no request needs more. */
export const JSON_LIMITS = { maxDepth: 16, maxWidth: 100 } as const;

const JSON_TYPES = ['application/json'];

export class JsonStructureError extends Error {
  override readonly name = 'JsonStructureError';
  constructor(readonly problem: StructureProblem) {
    super(problem.kind);
  }
}

export function structureApiError(problem: StructureProblem): ApiError {
  switch (problem.kind) {
    case 'too-deep':
      return new ApiError('JSON_TOO_DEEP');
    case 'too-wide':
      return new ApiError('JSON_TOO_WIDE', [{ path: problem.path, message: `has more than ${JSON_LIMITS.maxWidth} entries` }]);
    case 'duplicate-key':
      return new ApiError('JSON_DUPLICATE_KEY', [{ path: problem.path, message: 'appears twice in the same object: send each field once' }]);
    case 'bad-character':
      return new ApiError('JSON_BAD_CHARACTER', [{ path: problem.path, message: 'holds U+0000 or half of a surrogate pair: characters no text can store' }]);
    case 'not-utf8':
      return new ApiError('JSON_NOT_UTF8', [{ path: problem.path, message: `holds bytes that are not UTF-8, from byte ${problem.offset} of the body (an overlong form, a surrogate, beyond U+10FFFF, or a byte UTF-8 never uses)` }]);
  }
}

/**
 * Strict: bytes that are not UTF-8 are refused, never read as U+FFFD. The structure check names the
 * field first; this stands behind it for text it leaves to the parser. A byte-order mark is kept, so
 * that JSON.parse refuses it as before.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(buffer: Buffer): string {
  try {
    return utf8.decode(buffer);
  } catch {
    throw new JsonStructureError({ kind: 'not-utf8', path: '/', offset: Math.max(0, firstNonUtf8Byte(buffer)) });
  }
}

/** JSON exchanged between systems is UTF-8 (RFC 8259 §8.1); body-parser would also decode UTF-16. */
function charsetIsUtf8(contentType: string | undefined): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  return charset === undefined || charset === 'utf-8';
}

const requireJson: RequestHandler = (req, _res, next) => {
  if (!req.is(JSON_TYPES) || !charsetIsUtf8(req.get('content-type'))) throw new ApiError('UNSUPPORTED_MEDIA_TYPE');
  next();
};

/** body-parser's error types, kept for the answers they map to (error-handler.ts). */
const parserError = (type: string) => Object.assign(new Error(type), { type });

/**
 * Reads the body itself rather than through express.json, whose size error waits for the whole
 * body to arrive (it drains the rest, then answers: gigabytes and a timeout for a client that keeps
 * sending). Here a declared Content-Length over the limit is refused before a byte is read, and a
 * chunked body as soon as it passes the limit; the error handler then closes the connection.
 */
const readJson = (limitBytes: number): RequestHandler => async (req, _res, next) => {
  const encoding = (req.get('content-encoding') ?? 'identity').toLowerCase();
  // No compressed bodies (415): a referral is a few kilobytes, and inflating is a bomb's way in.
  if (encoding !== 'identity') throw parserError('encoding.unsupported');
  const declared = req.get('content-length');
  if (declared !== undefined && Number(declared) > limitBytes) throw parserError('entity.too.large');
  let buffer: Buffer;
  try {
    buffer = await getRawBody(req, { limit: limitBytes, ...(declared !== undefined ? { length: declared } : {}) });
  } catch (error) {
    const type = (error as { type?: unknown }).type;
    throw parserError(type === 'entity.too.large' ? type : type === 'request.size.invalid' ? type : 'request.aborted');
  }
  const problem = checkJsonStructure(buffer, JSON_LIMITS);
  if (problem) throw new JsonStructureError(problem);
  if (buffer.length === 0) {
    req.body = {}; // no body is an empty object, as express.json gave
    return next();
  }
  const text = decodeUtf8(buffer);
  // strict: only an object or a list at the top (as express.json's strict mode)
  const first = /^[ \t\n\r]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw parserError('entity.parse.failed');
  try {
    req.body = JSON.parse(text) as unknown;
  } catch {
    throw parserError('entity.parse.failed');
  }
  next();
};

export function jsonBody(limitBytes: number): RequestHandler[] {
  return [requireJson, readJson(limitBytes)];
}
