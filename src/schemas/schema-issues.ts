/**
 * Turns ajv errors into issues a person can act on: a JSON Pointer to the field and a message that
 * names what is expected. Messages are built from the schema, never from the submitted value, so
 * they never echo patient data.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import type { Issue } from '../domain/error-catalogue.js';

/** At most this many issues are listed; one more says how many were left out. */
export const MAX_ISSUES = 50;

/** A segment for a name the schema defines (required properties): always safe to repeat. */
function pointerSegment(name: string): string {
  return '/' + name.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Every property name our own schemas define, anywhere: the service's vocabulary. */
function schemaVocabulary(): ReadonlySet<string> {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'properties' && value !== null && typeof value === 'object') for (const name of Object.keys(value as object)) names.add(name);
        walk(value);
      }
    }
  };
  const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) walk(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
  return names;
}

/**
 * Names a caller may have misplaced that are not in the schemas: the decision and review words of the
 * API, and the json-rules-engine condition keys a rule file may not use (a clinical lead's typo).
 */
const API_WORDS = ['status', 'decision', 'decisions', 'route', 'outcome', 'reason', 'ruleVersion', 'ruleset', 'reviewRequired', 'approver', 'role', 'activatedBy', 'note', 'from', 'path', 'params', 'condition', 'event', 'onSuccess', 'onFailure'];
const VOCABULARY: ReadonlySet<string> = new Set([...schemaVocabulary(), ...API_WORDS]);

/**
 * A segment for a name the caller sent (an unknown field): repeated only when it is a word of the
 * service's own vocabulary (a field of one of its schemas, misplaced or misspelt in case), since any
 * other key could carry personal data (a surname, a reference) and errors never echo what was sent.
 */
export function safePointerSegment(name: string): string {
  return VOCABULARY.has(name) ? `/${name}` : '/(unnamed)';
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

/** The field an error names (a missing or an unknown one), as a segment below its object; undefined for any other error. */
function namedField(error: ErrorObject): string | undefined {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') return pointerSegment(String(params.missingProperty));
  if (error.keyword === 'additionalProperties') return safePointerSegment(String(params.additionalProperty));
  return undefined;
}

/**
 * A schema's own message (ajv-errors) in place of the errors it stands for: one issue for each field
 * they name (every unknown field, each missing one), or one at the object or field it is written on.
 */
function schemaMessages(error: ErrorObject, at: string): Issue[] {
  const message = error.message ?? 'is invalid';
  const fields = ((error.params as { errors?: ErrorObject[] }).errors ?? []).map(namedField);
  if (fields.length > 0 && fields.every((field) => field !== undefined)) return fields.map((field) => ({ path: at + field, message }));
  return [{ path: at || '/', message }];
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
    for (const issue of error.keyword === 'errorMessage' ? schemaMessages(error, error.instancePath) : [messageFor(error)]) {
      const key = `${issue.path}\u0000${issue.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      issues.push(issue);
    }
  }
  if (issues.length === 0 && errors && errors.length > 0) {
    issues.push({ path: errors[0]?.instancePath || '/', message: 'is invalid' });
  }
  if (issues.length <= MAX_ISSUES) return issues;
  const more = issues.length - MAX_ISSUES;
  return [...issues.slice(0, MAX_ISSUES), { path: '/', message: `and ${more} more problem${more === 1 ? '' : 's'}` }];
}
