/**
 * Turns ajv errors into issues a person can act on: a JSON Pointer to the field and a message that
 * names what is expected. Messages are built from the schema, never from the submitted value, so
 * they never echo patient data.
 */
import type { ErrorObject } from 'ajv';

export interface Issue {
  path: string;
  message: string;
}

/** At most this many issues are listed; one more says how many were left out. */
export const MAX_ISSUES = 50;

/** A segment for a name the schema defines (required properties): always safe to repeat. */
function pointerSegment(name: string): string {
  return '/' + name.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * A segment for a name the caller sent (an unknown field): repeated only when it looks like a field
 * name, since an arbitrary key could carry personal data and errors never echo what was submitted.
 */
export function safePointerSegment(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$/.test(name) ? `/${name}` : '/(unnamed)';
}

const TYPE_WORDS: Record<string, string> = {
  boolean: 'true or false',
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

function describeType(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

function messageFor(error: ErrorObject): Issue {
  const params = error.params as Record<string, unknown>;
  const at = error.instancePath || '';
  switch (error.keyword) {
    case 'required':
      return { path: at + pointerSegment(String(params.missingProperty)), message: 'is required' };
    case 'dependentRequired':
      return {
        path: at + pointerSegment(String(params.missingProperty)),
        message: `is required when ${String(params.property)} is given`,
      };
    case 'additionalProperties':
      return {
        path: at + safePointerSegment(String(params.additionalProperty)),
        message: 'is not a field of this contract; remove it',
      };
    case 'type':
      return { path: at || '/', message: `must be ${describeType(params.type)}` };
    case 'enum':
      return { path: at, message: `must be one of: ${(params.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { path: at, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'minimum':
      return { path: at, message: `must be at least ${String(params.limit)}` };
    case 'maximum':
      return { path: at, message: `must be at most ${String(params.limit)}` };
    case 'exclusiveMinimum':
      return { path: at, message: `must be more than ${String(params.limit)}` };
    case 'exclusiveMaximum':
      return { path: at, message: `must be less than ${String(params.limit)}` };
    case 'minLength':
      return { path: at, message: `must be at least ${String(params.limit)} characters long` };
    case 'maxLength':
      return { path: at, message: `must be at most ${String(params.limit)} characters long` };
    case 'minItems':
      return { path: at, message: `must have at least ${String(params.limit)} items` };
    case 'maxItems':
      return { path: at, message: `must have at most ${String(params.limit)} items` };
    case 'maxProperties':
      return { path: at, message: `must have at most ${String(params.limit)} fields` };
    case 'uniqueItems':
      return { path: at, message: 'must not list the same item twice' };
    case 'format':
      return { path: at, message: `must be a valid ${String(params.format)}` };
    case 'pattern':
      return { path: at, message: 'is not in the expected format' };
    case 'errorMessage': {
      const original = (params.errors as ErrorObject[] | undefined)?.[0];
      const missing = original?.keyword === 'required' ? (original.params as { missingProperty?: string }).missingProperty : undefined;
      return { path: missing === undefined ? at : at + pointerSegment(missing), message: error.message ?? 'is invalid' };
    }
    default:
      return { path: at || '/', message: 'is invalid' };
  }
}

/** Keywords that only summarise other errors already reported. */
const SUMMARY_KEYWORDS = new Set(['if', 'oneOf', 'anyOf', 'not']);

export function issuesFrom(errors: readonly ErrorObject[] | null | undefined): Issue[] {
  const seen = new Set<string>();
  const issues: Issue[] = [];
  for (const error of errors ?? []) {
    if (SUMMARY_KEYWORDS.has(error.keyword)) continue;
    const issue = messageFor(error);
    const key = `${issue.path}\u0000${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  if (issues.length === 0 && errors && errors.length > 0) {
    issues.push({ path: errors[0]?.instancePath || '/', message: 'is invalid' });
  }
  if (issues.length <= MAX_ISSUES) return issues;
  const more = issues.length - MAX_ISSUES;
  return [...issues.slice(0, MAX_ISSUES), { path: '/', message: `and ${more} more problem${more === 1 ? '' : 's'}` }];
}
