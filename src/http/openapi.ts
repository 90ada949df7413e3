/**
 * The OpenAPI 3.1 description served at /openapi.json, built from the same JSON Schemas the service
 * validates with: each schema's $defs become components, and its $refs are rewritten to them.
 */
import type { AnySchemaObject } from 'ajv';
import { schemaDocument } from '../schemas/schema-registry.js';
import { ERRORS } from './error-catalogue.js';
import { VERSION_PATTERN } from '../rules/rule-set-registry.js';

type Json = Record<string, unknown>;

const COMPONENT_OF_FILE: Readonly<Record<string, string>> = {
  'referral.schema.json': 'Referral',
  'decision.schema.json': 'Decision',
  'ruleset.schema.json': 'RuleSet',
  'rule-cases.schema.json': 'RuleCases',
  'review.schema.json': 'Review',
};

const componentName = (def: string) => def[0]?.toUpperCase() + def.slice(1);

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'tsType') continue;
    if (key === '$ref' && typeof value === 'string') {
      const [file, pointer] = value.split('#');
      const def = pointer?.startsWith('/$defs/') ? pointer.slice('/$defs/'.length) : undefined;
      out.$ref = `#/components/schemas/${def ? componentName(def) : COMPONENT_OF_FILE[file ?? '']}`;
    } else out[key] = rewriteRefs(value);
  }
  return out;
}

function components(): Json {
  const schemas: Json = {};
  for (const [file, name] of Object.entries(COMPONENT_OF_FILE)) {
    const { $schema: _s, $id: _i, $defs, ...schema } = schemaDocument(file);
    schemas[name] = rewriteRefs(schema);
    for (const [def, defSchema] of Object.entries(($defs ?? {}) as Record<string, AnySchemaObject>)) {
      schemas[componentName(def)] = rewriteRefs(defSchema);
    }
  }
  schemas.Error = {
    type: 'object',
    required: ['error'],
    additionalProperties: false,
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        additionalProperties: false,
        properties: {
          code: { type: 'string', enum: Object.keys(ERRORS) },
          message: { type: 'string' },
          issues: {
            type: 'array',
            items: {
              type: 'object',
              required: ['path', 'message'],
              additionalProperties: false,
              properties: { path: { type: 'string', description: 'JSON Pointer to the field' }, message: { type: 'string' } },
            },
          },
          requestId: { type: 'string' },
        },
      },
    },
  };
  return schemas;
}

const json = (schema: Json) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({ description, ...json(ref('Error')) });
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => {
      const codes = Object.entries(ERRORS).filter(([, e]) => e.status === status).map(([code]) => code);
      return [String(status), errorResponse(codes.join(', '))];
    }),
  );

export function openApiDocument(version: string): Json {
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'msk-triage',
      version,
      description: 'Triage of musculoskeletal referrals: validation against the referral contract, evaluation against versioned rules, and the routing decision with its explanation.',
    },
    paths: {
      '/api/v1/triage': {
        post: {
          summary: 'Evaluate a referral without storing it',
          parameters: [
            { name: 'version', in: 'query', required: false, description: 'evaluate against another loaded version of the rule set', schema: { type: 'string', pattern: VERSION_PATTERN } },
          ],
          requestBody: { required: true, ...json(ref('Referral')) },
          responses: { '200': { description: 'the decision', ...json(ref('Decision')) }, ...errors(400, 404, 405, 413, 415, 500, 503) },
        },
      },
      '/api/v1/rulesets': {
        get: {
          summary: 'Each rule set with its versions, status and content hash',
          responses: { '200': { description: 'the loaded rule sets', ...json({ type: 'object', properties: { rulesets: { type: 'array', items: { type: 'object' } } } }) }, ...errors(405) },
        },
      },
      '/api/v1/rulesets/{id}/versions/{version}': {
        get: {
          summary: "One version's full content: the rule set and its bundled cases",
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'version', in: 'path', required: true, schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'the version',
              ...json({ type: 'object', properties: { id: { type: 'string' }, version: { type: 'string' }, sha256: { type: 'string' }, active: { type: 'boolean' }, ruleset: ref('RuleSet'), cases: ref('RuleCases') } }),
            },
            ...errors(404, 405),
          },
        },
      },
      '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'the process serves' } } } },
      '/readyz': { get: { summary: 'Readiness', responses: { '200': { description: 'ready' }, ...errors(503) } } },
      '/openapi.json': { get: { summary: 'This description', responses: { '200': { description: 'OpenAPI 3.1' } } } },
    },
    components: { schemas: components() },
  };
}
