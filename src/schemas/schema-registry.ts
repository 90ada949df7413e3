/**
 * The one ajv instance of the service. Every schema in schemas/ is added and compiled here, once,
 * at start-up; a broken schema stops start-up with ajv's message naming the file.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import ajvErrorsModule from 'ajv-errors';
import { isValidNhsNumber } from '../domain/nhs-number.js';
import { isAcceptableDateOfBirth } from '../domain/calendar.js';
import type { Referral } from '../generated/referral.js';
import type { RuleSet } from '../generated/ruleset.js';
import type { RuleCases } from '../generated/rule-cases.js';
import type { Decision } from '../generated/decision.js';
import type { Review } from '../generated/review.js';
import type { ApprovalRequest } from '../generated/approval-request.js';
import type { ActivationRequest } from '../generated/activation-request.js';
import type { SimulationRequest } from '../generated/simulation-request.js';
import type { ScheduleCancellationRequest } from '../generated/schedule-cancellation-request.js';
import { schemaDocuments } from './schema-documents.js';

export { SCHEMAS_DIR, schemaDocument, schemaDocuments } from './schema-documents.js';

const addFormats = addFormatsModule.default;
const ajvErrors = ajvErrorsModule.default;

export const SCHEMA_BASE = 'https://msk-triage.example/schemas/';

// strictRequired is off: the contract's if/then requires startBack, defined at the top level, from a subschema.
export const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
addFormats(ajv, ['date', 'uri']);
ajvErrors(ajv);
// tsType is an annotation for the type generator (json-schema-to-typescript), not a validation keyword.
ajv.addKeyword({ keyword: 'tsType', schemaType: 'string' });
ajv.addFormat('nhs-number', { type: 'string', validate: isValidNhsNumber });
ajv.addFormat('date-of-birth', { type: 'string', validate: (value: string) => isAcceptableDateOfBirth(value) });

for (const schema of schemaDocuments.values()) ajv.addSchema(schema);

function compiled<T>(file: string): ValidateFunction<T> {
  const validate = ajv.getSchema<T>(SCHEMA_BASE + file);
  if (!validate) throw new Error(`schemas/${file} is missing or has no matching $id`);
  return validate;
}

export const validateReferral = compiled<Referral>('referral.schema.json');
export const validateRuleSet = compiled<RuleSet>('ruleset.schema.json');
export const validateRuleCases = compiled<RuleCases>('rule-cases.schema.json');
export const validateDecision = compiled<Decision>('decision.schema.json');
export const validateReview = compiled<Review>('review.schema.json');
export const validateApprovalRequest = compiled<ApprovalRequest>('approval-request.schema.json');
export const validateActivationRequest = compiled<ActivationRequest>('activation-request.schema.json');
export const validateSimulationRequest = compiled<SimulationRequest>('simulation-request.schema.json');
export const validateScheduleCancellationRequest = compiled<ScheduleCancellationRequest>('schedule-cancellation-request.schema.json');
