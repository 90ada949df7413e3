import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { GENERATED_TYPES, generateTypes } from '../../src/tools/generate-types.js';
import { PATHWAYS, URGENCIES } from '../../src/domain/route-order.js';
import { schemaDocument } from '../../src/schemas/schema-registry.js';
import { VERSION_PATTERN } from '../../src/domain/version.js';

describe('schemas as the single source of truth', () => {
  for (const { schema, output } of GENERATED_TYPES) {
    it(`keeps src/generated/${output} up to date with schemas/${schema}`, async () => {
      const committed = await readFile(`src/generated/${output}`, 'utf8');
      expect(committed === (await generateTypes(schema)), `src/generated/${output} is stale: run npm run types:generate`).to.equal(true);
    });
  }

  it('orders exactly the urgencies and pathways the decision schema allows', () => {
    const defs = schemaDocument('decision.schema.json').$defs as Record<string, { enum: string[] }>;
    expect([...URGENCIES]).to.have.members(defs.urgency?.enum ?? []);
    expect([...PATHWAYS]).to.have.members(defs.pathway?.enum ?? []);
    expect(URGENCIES).to.have.length(defs.urgency?.enum.length ?? 0);
  });

  it('orders the urgencies emergency > very-urgent > urgent > soon > routine, in the code and in the schema', () => {
    const defs = schemaDocument('decision.schema.json').$defs as Record<string, { enum: string[] }>;
    expect([...URGENCIES]).to.deep.equal(['emergency', 'very-urgent', 'urgent', 'soon', 'routine']);
    expect(defs.urgency?.enum).to.deep.equal([...URGENCIES]);
  });

  it('takes a simulation’s from as a version in the one pattern of domain/version.ts', () => {
    const properties = schemaDocument('simulation-request.schema.json').properties as Record<string, { pattern?: string }>;
    expect(properties.from?.pattern).to.equal(VERSION_PATTERN);
  });

  it('bounds an approval’s note and an activation’s reason by the same signed text', () => {
    const defs = schemaDocument('approval-request.schema.json').$defs as Record<string, Record<string, unknown>>;
    expect(defs.signedText).to.include({ type: 'string', minLength: 1, maxLength: 1000 });
    const reason = (schemaDocument('activation-request.schema.json').properties as Record<string, { $ref?: string }>).reason;
    expect(reason?.$ref).to.equal('approval-request.schema.json#/$defs/signedText');
  });

  it('rejects unknown properties at every object level of the referral contract', () => {
    const objects: string[] = [];
    const walk = (schema: Record<string, unknown>, at: string) => {
      if (schema.type === 'object') {
        objects.push(at);
        expect(schema.additionalProperties, at).to.equal(false);
      }
      for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) walk(child, `${at}/${key}`);
    };
    walk(schemaDocument('referral.schema.json'), '');
    expect(objects).to.include.members(['', '/patient', '/redFlags', '/findings', '/inflammatory', '/startBack', '/history']);
  });

  it('bounds every string, array and number of the referral contract', () => {
    const walk = (schema: Record<string, unknown>, at: string) => {
      if (schema.type === 'string' && !schema.enum) expect(schema.maxLength, at).to.be.a('number');
      if (schema.type === 'array') expect(schema.maxItems, at).to.be.a('number');
      if (schema.type === 'integer' || schema.type === 'number') {
        expect(schema.minimum, at).to.be.a('number');
        expect(schema.maximum, at).to.be.a('number');
      }
      for (const [key, child] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>)) walk(child, `${at}/${key}`);
    };
    walk(schemaDocument('referral.schema.json'), '');
  });
});
