/**
 * The OpenAPI 3.1 description served at /openapi.json, built from the same JSON Schemas the service
 * validates with: each schema's $defs become components, and its $refs are rewritten to them.
 */
import type { AnySchemaObject } from 'ajv';
import { schemaDocument } from '../schemas/schema-registry.js';
import { ERRORS } from '../domain/error-catalogue.js';
import { ERROR_STATUS } from './error-status.js';
import { VERSION_PATTERN } from '../domain/version.js';
import { POLICY } from '../auth/access-policy.js';
import { SYNTHETIC_SELECTIONS } from '../domain/synthetic-data.js';

type Json = Record<string, unknown>;

const COMPONENT_OF_FILE: Readonly<Record<string, string>> = {
  'referral.schema.json': 'Referral',
  'decision.schema.json': 'Decision',
  'ruleset.schema.json': 'RuleSet',
  'rule-cases.schema.json': 'RuleCases',
  'review.schema.json': 'Review',
  'approval-request.schema.json': 'ApprovalRequest',
  'activation-request.schema.json': 'ActivationRequest',
  'simulation-request.schema.json': 'SimulationRequest',
  'schedule-cancellation-request.schema.json': 'ScheduleCancellationRequest',
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
      const codes = Object.entries(ERROR_STATUS).filter(([, codeStatus]) => codeStatus === status).map(([code]) => code);
      return [String(status), errorResponse(codes.join(', '))];
    }),
  );

const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const rulesetParams = [
  { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
  { name: 'version', in: 'path', required: true, schema: { type: 'string' } },
];
const object = (properties: Json = {}) => ({ type: 'object', properties });
const syntheticParam = {
  name: 'synthetic', in: 'query', required: false,
  description: 'the synthetic data generator\'s referrals (`msk-triage referrals generate`): left out (`exclude`, the default), with the real ones (`include`), or alone (`only`)',
  schema: { type: 'string', enum: [...SYNTHETIC_SELECTIONS], default: 'exclude' },
};

/** Every operation behind a bearer token: its description, and the statuses it answers besides the common ones. */
const OPERATIONS: Record<string, Record<string, Json>> = {
  '/api/v1/triage': {
    post: {
      summary: 'Evaluate a referral without storing it',
      parameters: [{ name: 'version', in: 'query', required: false, description: 'evaluate against another loaded version of the rule set', schema: { type: 'string', pattern: VERSION_PATTERN } }],
      requestBody: { required: true, ...json(ref('Referral')) },
      responses: { '200': { description: 'the decision (to a GP, without the rules\' condition trees)', ...json(ref('Decision')) }, ...errors(400, 404, 413, 415, 500) },
    },
  },
  '/api/v1/referrals': {
    post: {
      summary: 'Submit a referral: validate, store, evaluate and store the decision, in one transaction',
      parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, description: 'retries with the same key and body get the same answer; scoped to the practice', schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' } }],
      requestBody: { required: true, ...json(ref('Referral')) },
      responses: {
        '201': { description: 'stored and routed: { id, status, decision }, with Location', ...json(object({ id: { type: 'string' }, status: { type: 'string' }, decision: ref('Decision') })) },
        '202': { description: 'stored, but evaluation failed: queued for manual triage, no route' },
        ...errors(400, 409, 413, 415, 422),
      },
    },
    get: {
      summary: "The review queue, most urgent first, paged (to a triage clinician); to a GP, their own practice's referrals, newest first, paged (status, limit and cursor only)",
      parameters: [...['status', 'pathway', 'urgency', 'practice', 'limit', 'cursor'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })), syntheticParam],
      responses: { '200': { description: 'a page of the queue', ...json(object({ items: { type: 'array', items: { type: 'object' } }, nextCursor: { type: ['string', 'null'] } })) }, ...errors(400) },
    },
  },
  '/api/v1/referrals/{id}': {
    get: {
      summary: 'The referral, its current decision and its status (a GP: only their own practice\'s)',
      parameters: [idParam],
      responses: { '200': { description: 'the referral', ...json(object()) }, ...errors(404) },
    },
  },
  '/api/v1/referrals/{id}/review': {
    post: {
      summary: 'Confirm or override the routing, with a reason to override',
      parameters: [idParam, { name: 'If-Match', in: 'header', required: false, description: 'the id of the decision read, quoted: the review is made only while it is the current decision, else 409 DECISION_CHANGED; required to correct a review (with correctsReviewId in the body)', schema: { type: 'string' } }],
      requestBody: { required: true, ...json(ref('Review')) },
      responses: { '201': { description: 'the review', ...json(object()) }, ...errors(400, 404, 409, 413, 415) },
    },
  },
  '/api/v1/referrals/{id}/audit': {
    get: { summary: 'Every audit event of the referral, oldest first', parameters: [idParam], responses: { '200': { description: 'the events', ...json(object()) }, ...errors(404) } },
  },
  '/api/v1/referrals/{id}/replay': {
    post: { summary: 'Re-evaluate with the recorded rule-set version and date; report any difference', parameters: [idParam], responses: { '200': { description: 'the replay result', ...json(object()) }, ...errors(404) } },
  },
  '/api/v1/rulesets': {
    get: { summary: 'Each rule set with its versions, status and content hash, the activations scheduled for later, and the drafts left out', responses: { '200': { description: 'the loaded rule sets', ...json(object({ rulesets: { type: 'array', items: { type: 'object' } } })) } } },
  },
  '/api/v1/rulesets/{id}/versions/{version}': {
    get: {
      summary: "One version's full content: the rule set and its bundled cases",
      parameters: rulesetParams,
      responses: {
        '200': { description: 'the version', ...json(object({ id: { type: 'string' }, version: { type: 'string' }, sha256: { type: 'string' }, active: { type: 'boolean' }, ruleset: ref('RuleSet'), cases: ref('RuleCases') })) },
        ...errors(404),
      },
    },
  },
  '/api/v1/rulesets/{id}/versions/{version}/approvals': {
    post: {
      summary: "Record the caller's approval of this exact content",
      parameters: rulesetParams,
      requestBody: { required: false, ...json(ref('ApprovalRequest')) },
      responses: { '201': { description: 'the approval', ...json(object()) }, ...errors(400, 404, 409, 413, 415) },
    },
  },
  '/api/v1/rulesets/{id}/versions/{version}/activate': {
    post: {
      summary: 'Check, test and activate this version; needs an approval by a second clinical lead. Before its effectiveFrom, schedules it for the start of that day (Europe/London) unless overrideEffectiveFrom says why it cannot wait',
      parameters: rulesetParams,
      requestBody: { required: true, ...json(ref('ActivationRequest')) },
      responses: {
        '200': { description: 'activated', ...json(object()) },
        '202': { description: 'scheduled: it switches on by itself at the start of its effectiveFrom', ...json(object({ scheduleId: { type: 'string' }, effectiveFrom: { type: 'string', format: 'date' } })) },
        ...errors(400, 404, 409, 413, 415),
      },
    },
  },
  '/api/v1/rulesets/{id}/versions/{version}/cancel-schedule': {
    post: {
      summary: "Cancel this version's scheduled activation; the active version is unchanged",
      parameters: rulesetParams,
      requestBody: { required: true, ...json(ref('ScheduleCancellationRequest')) },
      responses: { '200': { description: 'cancelled', ...json(object()) }, ...errors(400, 404, 409, 413, 415) },
    },
  },
  '/api/v1/rulesets/{id}/versions/{version}/simulate': {
    post: {
      summary: 'What this version would change on the stored referrals: aggregates only',
      parameters: [...rulesetParams, syntheticParam],
      requestBody: { required: false, ...json(ref('SimulationRequest')) },
      responses: { '200': { description: 'the impact report', ...json(object()) }, ...errors(400, 404, 409, 413, 415) },
    },
  },
  '/metrics': {
    get: {
      summary: "The service's metrics in Prometheus text format (also open on METRICS_PORT when it is set, for a private network)",
      responses: { '200': { description: 'Prometheus text exposition 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  },
};

/** The OpenAPI path of a route template: `/referrals/:id` → `/referrals/{id}`. */
export const openApiPath = (template: string): string => template.replace(/:([A-Za-z]+)/g, '{$1}');

function apiPaths(): Json {
  const paths: Json = {};
  for (const [path, operations] of Object.entries(OPERATIONS)) {
    const template = path.replace(/\{([A-Za-z]+)\}/g, ':$1');
    paths[path] = Object.fromEntries(
      Object.entries(operations).map(([method, operation]) => {
        const roles = POLICY[template]?.[method.toUpperCase()] ?? [];
        return [
          method,
          {
            ...operation,
            description: `Allowed roles: ${roles.join(', ')}. Any other role: 403 FORBIDDEN.`,
            'x-allowed-roles': roles,
            security: [{ bearer: [] }],
            // 400 on every operation: a query parameter it does not take (QUERY_INVALID), or a malformed address
            responses: { ...(operation.responses as Json), ...errors(400, 401, 403, 405, 429, 503) },
          },
        ];
      }),
    );
  }
  return paths;
}

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
      ...apiPaths(),
      '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'the process serves' }, ...errors(400) } } },
      '/readyz': { get: { summary: 'Readiness; the body also lists the draft rule-set versions left out because they fail their checks', security: [], responses: { '200': { description: 'ready' }, ...errors(400, 503) } } },
      '/openapi.json': { get: { summary: 'This description', security: [], responses: { '200': { description: 'OpenAPI 3.1' }, ...errors(400) } } },
    },
    components: {
      schemas: components(),
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A token from `msk-triage token create`, or a JWT from the configured OpenID Connect provider (role and practice from configurable claims).',
        },
      },
    },
  };
}
