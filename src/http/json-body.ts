/**
 * Reading a JSON body: only `application/json` in UTF-8 (415 otherwise), at most the configured size
 * (413), and a structure checked on the raw bytes before JSON.parse (json-structure.ts): not too
 * deep, no list or object too long, no key twice in one object (400). Parser errors are mapped to
 * catalogue codes in the error handler; their messages echo input and are never logged or returned.
 */
import express, { type RequestHandler } from 'express';
import { ApiError } from '../domain/error-catalogue.js';
import { checkJsonStructure, type StructureProblem } from './json-structure.js';

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

export function jsonBody(limitBytes: number): RequestHandler[] {
  return [
    requireJson,
    express.json({
      limit: limitBytes,
      strict: true,
      // No compressed bodies (415): a referral is a few kilobytes, and inflating is a bomb's way in.
      inflate: false,
      type: JSON_TYPES,
      verify: (_req, _res, buffer) => {
        const problem = checkJsonStructure(buffer, JSON_LIMITS);
        if (problem) throw new JsonStructureError(problem);
      },
    }),
  ];
}
