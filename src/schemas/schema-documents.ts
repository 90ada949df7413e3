/**
 * The schema documents of schemas/, read and parsed once, by file name: what the fact catalogue and
 * the red-flag list are read from. Apart from schema-registry.ts, which compiles them, so that a
 * module needing only a document (a simulation's worker thread, say) does not compile every schema.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AnySchemaObject } from 'ajv/dist/2020.js';

export const SCHEMAS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schemas');

export const schemaDocuments: ReadonlyMap<string, AnySchemaObject> = new Map(
  readdirSync(SCHEMAS_DIR)
    .filter((file) => file.endsWith('.schema.json'))
    .sort()
    .map((file) => [file, JSON.parse(readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')) as AnySchemaObject] as const),
);

export function schemaDocument(file: string): AnySchemaObject {
  const schema = schemaDocuments.get(file);
  if (!schema) throw new Error(`schemas/${file} is missing`);
  return schema;
}
