/**
 * Generates the TypeScript types in src/generated/ from the JSON Schemas in schemas/, which are the
 * single source of truth. `--check` regenerates in memory and fails when a committed file is stale.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { compile, type JSONSchema } from 'json-schema-to-typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schemasDir = path.join(root, 'schemas');
const generatedDir = path.join(root, 'src/generated');

export const GENERATED_TYPES = [
  { schema: 'referral.schema.json', output: 'referral.ts' },
  { schema: 'decision.schema.json', output: 'decision.ts' },
  { schema: 'ruleset.schema.json', output: 'ruleset.ts' },
  { schema: 'rule-cases.schema.json', output: 'rule-cases.ts' },
  { schema: 'review.schema.json', output: 'review.ts' },
  { schema: 'approval-request.schema.json', output: 'approval-request.ts' },
  { schema: 'activation-request.schema.json', output: 'activation-request.ts' },
  { schema: 'simulation-request.schema.json', output: 'simulation-request.ts' },
  { schema: 'schedule-cancellation-request.schema.json', output: 'schedule-cancellation-request.ts' },
] as const;

const banner = (schema: string) =>
  `/* Generated from schemas/${schema} by src/tools/generate-types.ts. Do not edit: run npm run types:generate. */`;

export async function generateTypes(schemaFile: string): Promise<string> {
  const schema = JSON.parse(await readFile(path.join(schemasDir, schemaFile), 'utf8')) as JSONSchema;
  return compile(schema, schema.title ?? schemaFile, {
    cwd: schemasDir,
    bannerComment: banner(schemaFile),
    additionalProperties: false,
    unreachableDefinitions: true,
    declareExternallyReferenced: true,
    maxItems: -1,
    style: { singleQuote: true, printWidth: 110 },
  });
}

async function main(check: boolean): Promise<number> {
  const stale: string[] = [];
  for (const { schema, output } of GENERATED_TYPES) {
    const target = path.join(generatedDir, output);
    const fresh = await generateTypes(schema);
    const current = await readFile(target, 'utf8').catch(() => '');
    if (current === fresh) continue;
    if (check) stale.push(`src/generated/${output} is stale against schemas/${schema}`);
    else await writeFile(target, fresh);
  }
  for (const line of stale) console.error(line);
  if (stale.length > 0) console.error('Run: npm run types:generate');
  return stale.length > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.exitCode = await main(process.argv.includes('--check'));
}
