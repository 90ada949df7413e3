/** The red-flag checklist items, in the contract's order, read from the referral schema's required list. */
import type { Referral } from '../generated/referral.js';
import { schemaDocument } from '../schemas/schema-registry.js';

export type RedFlag = keyof Referral['redFlags'];

const { properties } = schemaDocument('referral.schema.json') as { properties: { redFlags: { required: RedFlag[] } } };

export const RED_FLAGS: readonly RedFlag[] = Object.freeze([...properties.redFlags.required]);
