/**
 * Query strings, strictly: every address says which parameters it takes (none, for most), and any
 * other is a 400 listing each, so that a lead who types `?verison=2.1.0` is told so rather than
 * silently answered with the active version. Names and values are decoded as UTF-8 strictly: a
 * percent-encoding that is broken or decodes to bytes that are not UTF-8 is 400 URL_MALFORMED,
 * never read as U+FFFD (node:querystring, Express's default, reads it so).
 */
import type { RequestHandler } from 'express';
import { ApiError, type Issue } from '../domain/error-catalogue.js';
import { safePointerSegment } from '../schemas/schema-issues.js';

/** `METHOD route template` → the query parameters it takes. An address not listed takes none. */
export const QUERY_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  'POST /api/v1/triage': ['version'],
  'GET /api/v1/referrals': ['status', 'pathway', 'urgency', 'practice', 'synthetic', 'limit', 'cursor'],
  'POST /api/v1/rulesets/:id/versions/:version/simulate': ['synthetic'],
};

const ALL_PARAMETERS = new Set(Object.values(QUERY_PARAMETERS).flat());

export type Query = Record<string, string | string[]>;

/** `+` is a space (HTML forms); decodeURIComponent throws URIError on a bad escape or bytes that are not UTF-8. */
const decode = (text: string) => decodeURIComponent(text.replaceAll('+', ' '));

/** Express's `query parser` (given null for an address without `?`): a name given twice is a list of its values, as node:querystring gives. */
export function strictQuery(text: string | null | undefined): Query {
  const query: Query = Object.create(null) as Query;
  for (const part of (text ?? '').split('&')) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    const name = decode(equals < 0 ? part : part.slice(0, equals));
    const value = decode(equals < 0 ? '' : part.slice(equals + 1));
    const earlier = query[name];
    query[name] = earlier === undefined ? value : [...(Array.isArray(earlier) ? earlier : [earlier]), value];
  }
  return query;
}

/** Levenshtein distance, stopping early: names a misspelt parameter without repeating what was sent. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length] as number;
}

/**
 * One issue for each parameter the address does not take. A name is shown only when it is a word of
 * the service's own (a parameter of another address, a contract's field); any other could carry
 * personal data and is `(unnamed)`, with the parameter it is closest to when it looks like a slip.
 */
export function unknownParameterIssues(names: readonly string[], allowed: readonly string[]): Issue[] {
  const takes = allowed.length === 0 ? 'this address takes no query parameters' : `this address takes: ${allowed.join(', ')}`;
  return names
    .filter((name) => !allowed.includes(name))
    .map((name) => {
      const segment = ALL_PARAMETERS.has(name) ? `/${name}` : safePointerSegment(name);
      const near = segment === '/(unnamed)' && name.length <= 40 ? allowed.find((known) => distance(name, known) <= 2) : undefined;
      return { path: segment, message: `is not a query parameter here${near ? ` (did you mean ${near}?)` : ''}; ${takes}` };
    });
}

/** At each route, after `routeTemplate`: a parameter the address does not take is 400 QUERY_INVALID. */
export const knownQueryOnly: RequestHandler = (req, res, next) => {
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const allowed = QUERY_PARAMETERS[`${method} ${res.locals.route as string}`] ?? [];
  const issues = unknownParameterIssues(Object.keys(req.query), allowed);
  if (issues.length > 0) throw new ApiError('QUERY_INVALID', issues);
  next();
};
