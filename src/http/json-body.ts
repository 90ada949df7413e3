/**
 * Reading a JSON body: only `application/json` (415 otherwise), at most the configured size (413),
 * and nested at most MAX_JSON_DEPTH deep, checked on the raw bytes before JSON.parse so that no code
 * ever walks a hostile structure (400). Parser errors are mapped to catalogue codes in the error
 * handler; their messages echo input and are never logged or returned.
 */
import express, { type RequestHandler } from 'express';
import { ApiError } from './error-catalogue.js';

/** The deepest a referral is three levels; rule sets are deeper but never come over HTTP. */
export const MAX_JSON_DEPTH = 16;

const JSON_TYPES = ['application/json', 'application/*+json'];

export class JsonTooDeepError extends Error {
  override readonly name = 'JsonTooDeepError';
}

/** Scans JSON text for its nesting depth without parsing it; strings are skipped. */
export function exceedsDepth(bytes: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === 0x5c) i++; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (byte === 0x7d || byte === 0x5d) depth--;
  }
  return false;
}

/** JSON exchanged between systems is UTF-8 (RFC 8259 §8.1); body-parser would also decode UTF-16. */
function charsetIsUtf8(contentType: string | undefined): boolean {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
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
      type: JSON_TYPES,
      verify: (_req, _res, buffer) => {
        if (exceedsDepth(buffer, MAX_JSON_DEPTH)) throw new JsonTooDeepError('too deep');
      },
    }),
  ];
}
