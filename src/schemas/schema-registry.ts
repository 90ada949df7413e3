/**
 * The one ajv instance of the service. Every schema in schemas/ is added and compiled here, once a
 * process; a broken schema stops start-up with ajv's message naming the file.
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

let instance: Ajv2020 | undefined;

/**
 * The one ajv instance, made on first use with every schema in schemas/ added. Schemas compile when
 * first used (a command that validates nothing compiles nothing); the service compiles them all at
 * start-up (compileAllSchemas), so that a broken one stops it there.
 */
export function schemaAjv(): Ajv2020 {
  if (instance) return instance;
  // strictRequired is off: the contract's if/then requires startBack, defined at the top level, from a subschema.
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addFormats(ajv, ['date', 'uri']);
  ajvErrors(ajv);
  // tsType is an annotation for the type generator (json-schema-to-typescript), not a validation keyword.
  ajv.addKeyword({ keyword: 'tsType', schemaType: 'string' });
  ajv.addFormat('nhs-number', { type: 'string', validate: isValidNhsNumber });
  ajv.addFormat('date-of-birth', { type: 'string', validate: (value: string) => isAcceptableDateOfBirth(value) });
  for (const schema of schemaDocuments.values()) ajv.addSchema(schema);
  instance = ajv;
  return ajv;
}

function compiled<T>(file: string): ValidateFunction<T> {
  const validate = schemaAjv().getSchema<T>(SCHEMA_BASE + file);
  if (!validate) throw new Error(`schemas/${file} is missing or has no matching $id`);
  return validate;
}

const lazyValidators: Array<() => unknown> = [];

/** The validator of schemas/`file`, compiled on its first call; its `errors` are the last call's. */
function validatorOf<T>(file: string): ValidateFunction<T> {
  let validate: ValidateFunction<T> | undefined;
  const compile = () => (validate ??= compiled<T>(file));
  const check = ((data: unknown) => {
    const valid = compile()(data);
    check.errors = validate?.errors ?? null;
    return valid;
  }) as ValidateFunction<T>;
  lazyValidators.push(compile);
  return check;
}

/** Compiles every schema now: a broken one throws ajv's message naming its file. */
export function compileAllSchemas(): void {
  for (const compile of lazyValidators) compile();
}

export const validateReferral = validatorOf<Referral>('referral.schema.json');
export const validateRuleSet = validatorOf<RuleSet>('ruleset.schema.json');
export const validateRuleCases = validatorOf<RuleCases>('rule-cases.schema.json');
export const validateDecision = validatorOf<Decision>('decision.schema.json');
export const validateReview = validatorOf<Review>('review.schema.json');
export const validateApprovalRequest = validatorOf<ApprovalRequest>('approval-request.schema.json');
export const validateActivationRequest = validatorOf<ActivationRequest>('activation-request.schema.json');
export const validateSimulationRequest = validatorOf<SimulationRequest>('simulation-request.schema.json');
export const validateScheduleCancellationRequest = validatorOf<ScheduleCancellationRequest>('schedule-cancellation-request.schema.json');
