/**
 * The red-flag checklist items, in the contract's order, read from the referral schema: all 16
 * (contract 1.1), and the 15 of version 1 that every referral must answer.
 */
import type { Referral } from '../generated/referral.js';
import { schemaDocument } from './schema-documents.js';

export type RedFlag = keyof Referral['redFlags'];

const { properties } = schemaDocument('referral.schema.json') as {
  properties: { redFlags: { required: RedFlag[]; properties: Record<RedFlag, unknown> } };
};

/** Every red-flag item of the contract (16 in 1.1), the ones that `redFlagCount` counts. */
export const RED_FLAGS: readonly RedFlag[] = Object.freeze(Object.keys(properties.redFlags.properties) as RedFlag[]);

/** The items a referral must answer: the 15 of version 1 (`sexualDysfunction` is optional in 1.1). */
export const REQUIRED_RED_FLAGS: readonly RedFlag[] = Object.freeze([...properties.redFlags.required]);
