/**
 * The facts a rule may use: every evaluable field of the referral contract, named by its dotted path
 * (`redFlags.saddleAnaesthesia`), plus the derived facts. Built from schemas/referral.schema.json, so
 * a field added to the contract is a fact at once; identifiers and free text are never facts, and
 * `bmi` and `smoker` are recorded but may not be routed on.
 */
import type { AnySchemaObject } from 'ajv';
import { schemaDocument } from '../schemas/schema-documents.js';
import type { FactValue } from '../generated/decision.js';

export type FactSource = 'referral' | 'derived';

export interface FactDefinition {
  name: string;
  source: FactSource;
  /** JSON Schema of the fact's value, used to check the values rules compare it with. */
  schema: AnySchemaObject;
  description: string;
  /** The value an absent optional field takes; undefined means the fact is simply absent. */
  whenAbsent?: FactValue;
}

/** Fields that are part of the referral but never facts, with the reason an author is told. */
export const NOT_FACTS: ReadonlyMap<string, string> = new Map([
  ['bmi', 'is recorded only: no rule may route on BMI (NICE NG226 §1.11)'],
  ['smoker', 'is recorded only: no rule may route on smoking (NICE NG226 §1.11; NG59)'],
  ['notes', 'is free text: it is never evaluated by rules'],
  ['externalReference', 'is an identifier, not a clinical fact'],
  ['patient.nhsNumber', 'is an identifier, not a clinical fact'],
  ['patient.dateOfBirth', 'is identifying: use the derived fact age instead'],
  ['referrer.clinicianName', 'is identifying, not a clinical fact'],
]);

/** Objects whose optional items default as the contract says (absent findings are false, …). */
const DEFAULTED_OBJECTS = new Set(['findings', 'inflammatory']);

function defaultFor(schema: AnySchemaObject): FactValue | undefined {
  if (schema.default !== undefined) return schema.default as FactValue;
  if (schema.type === 'boolean') return false;
  if (schema.type === 'integer' || schema.type === 'number') return 0;
  if (schema.type === 'array') return [];
  return undefined;
}

function withoutAnnotations(schema: AnySchemaObject): AnySchemaObject {
  const { description: _d, errorMessage: _e, ...rest } = schema;
  return rest;
}

function referralFacts(): FactDefinition[] {
  const facts: FactDefinition[] = [];
  const walk = (schema: AnySchemaObject, prefix: string[]) => {
    const properties = (schema.properties ?? {}) as Record<string, AnySchemaObject>;
    for (const [key, child] of Object.entries(properties)) {
      const name = [...prefix, key].join('.');
      if (child.type === 'object') {
        walk(child, [...prefix, key]);
        continue;
      }
      if (NOT_FACTS.has(name)) continue;
      // An optional item takes the contract's default: its schema's own `default` (1.1:
      // redFlags.sexualDysfunction, inflammatory.hlaB27), or the type's for findings and inflammatory.
      const defaulted = child.default !== undefined || (prefix.length === 1 && DEFAULTED_OBJECTS.has(prefix[0] ?? ''));
      facts.push({
        name,
        source: 'referral',
        schema: withoutAnnotations(child),
        description: typeof child.description === 'string' ? child.description : '',
        ...(defaulted ? { whenAbsent: defaultFor(child) } : {}),
      });
    }
  };
  walk(schemaDocument('referral.schema.json'), []);
  return facts;
}

export const DERIVED_FACTS: readonly FactDefinition[] = [
  {
    name: 'age',
    source: 'derived',
    schema: { type: 'integer', minimum: 0, maximum: 120 },
    description: 'whole years at the evaluation date, from patient.dateOfBirth',
  },
  {
    name: 'ageAtOnset',
    source: 'derived',
    schema: { type: 'number', minimum: -50, maximum: 120 },
    description: 'age minus complaint.durationWeeks / 52, in years (may be fractional)',
  },
  {
    name: 'spinal',
    source: 'derived',
    schema: { type: 'boolean' },
    description: 'true when complaint.bodySite is lumbar-spine, thoracic-spine or cervical-spine',
  },
  {
    name: 'startBackTotal',
    source: 'derived',
    schema: { type: 'integer', minimum: 0, maximum: 9 },
    description: 'Keele STarT Back total score, 0–9; absent without startBack',
  },
  {
    name: 'startBackPsychosocial',
    source: 'derived',
    schema: { type: 'integer', minimum: 0, maximum: 5 },
    description: 'Keele STarT Back psychosocial subscale, 0–5; absent without startBack',
  },
  {
    name: 'startBackRisk',
    source: 'derived',
    schema: { type: 'string', enum: ['low', 'medium', 'high', 'not-assessed'] },
    description: 'STarT Back risk group: total ≤ 3 low; subscale ≥ 4 high; otherwise medium; not-assessed without startBack',
  },
  {
    name: 'axialSpaFeatureCount',
    source: 'derived',
    schema: { type: 'integer', minimum: 0, maximum: 9 },
    description: 'number of inflammatory.axialSpaFeatures (0 when absent); the deprecated combined item counts one',
  },
  {
    name: 'redFlagCount',
    source: 'derived',
    schema: { type: 'integer', minimum: 0, maximum: 16 },
    description: 'number of the 16 red-flag items answered true (an absent sexualDysfunction counts as false)',
  },
];

export const FACTS: readonly FactDefinition[] = [...referralFacts(), ...DERIVED_FACTS];
export const FACTS_BY_NAME: ReadonlyMap<string, FactDefinition> = new Map(FACTS.map((fact) => [fact.name, fact]));
