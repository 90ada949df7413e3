/**
 * The facts table of the rule-authoring guide (rules/README.md), generated from the fact catalogue
 * (src/rules/fact-catalogue.ts, itself built from schemas/referral.schema.json) so that the guide can
 * never drift from the schema. What a fact is when the referral does not carry it is read from the
 * catalogue's defaults and, for derived facts, by asking the real derivation code.
 *
 *   node --import tsx src/tools/facts-table.ts           prints the table
 *   node --import tsx src/tools/facts-table.ts --write   replaces the table in rules/README.md
 *   node --import tsx src/tools/facts-table.ts --check   fails when rules/README.md is stale
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { AnySchemaObject } from 'ajv';
import type { Referral } from '../generated/referral.js';
import { deriveFacts } from '../rules/derived-facts.js';
import { FACTS, type FactDefinition } from '../rules/fact-catalogue.js';
import { schemaDocument } from '../schemas/schema-registry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const README_PATH = path.join(root, 'rules', 'README.md');
export const START_MARKER = '<!-- facts-table:start -->';
export const END_MARKER = '<!-- facts-table:end -->';
export const WRITE_COMMAND = 'node --import tsx src/tools/facts-table.ts --write';

const referralSchema = schemaDocument('referral.schema.json');

/** Markdown table cells may not contain a bare `|` or a line break. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (value: unknown) => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;

function typeOf(schema: AnySchemaObject): string {
  if (Array.isArray(schema.enum)) return 'choice';
  switch (schema.type) {
    case 'boolean':
      return 'yes/no';
    case 'integer':
      return 'whole number';
    case 'number':
      return 'number';
    case 'array':
      return 'list';
    case 'string':
      return 'text';
    default:
      return String(schema.type);
  }
}

function range(schema: AnySchemaObject): string {
  const { minimum, maximum } = schema as { minimum?: number; maximum?: number };
  if (minimum !== undefined && maximum !== undefined) return `${minimum} to ${maximum}`;
  if (minimum !== undefined) return `${minimum} or more`;
  if (maximum !== undefined) return `up to ${maximum}`;
  return 'any';
}

function allowedValues(schema: AnySchemaObject): string {
  if (Array.isArray(schema.enum)) return (schema.enum as unknown[]).map(code).join(', ');
  switch (schema.type) {
    case 'boolean':
      return '`true`, `false`';
    case 'integer':
      return range(schema);
    case 'number':
      return `${range(schema)}, may have decimals`;
    case 'array': {
      const items = (schema.items ?? {}) as AnySchemaObject;
      const values = Array.isArray(items.enum) ? (items.enum as unknown[]).map(code).join(', ') : allowedValues(items);
      return `any of ${values} (test with \`contains\` / \`doesNotContain\`)`;
    }
    case 'string': {
      const parts = [];
      if (typeof schema.minLength === 'number' || typeof schema.maxLength === 'number') {
        parts.push(`${String(schema.minLength ?? 0)} to ${String(schema.maxLength ?? 'any')} characters`);
      }
      if (typeof schema.pattern === 'string') parts.push(`matching ${code(schema.pattern)}`);
      return parts.length > 0 ? parts.join(', ') : 'any text';
    }
    default:
      return '';
  }
}

/**
 * The first part of a referral field's path that a valid referral may leave out (`startBack` for
 * `startBack.legPain`), or undefined when the field is required all the way down.
 */
function firstOptionalPart(name: string): string | undefined {
  let schema: AnySchemaObject | undefined = referralSchema;
  const parts = name.split('.');
  for (const [index, part] of parts.entries()) {
    const required = (schema?.required ?? []) as string[];
    if (!required.includes(part)) return parts.slice(0, index + 1).join('.');
    schema = (schema?.properties as Record<string, AnySchemaObject> | undefined)?.[part];
  }
  return undefined;
}

/**
 * To learn when a derived fact is absent, the real derivation runs on a referral with only the
 * contract's required fields, then with each optional section (`startBack`, `inflammatory`, …) added,
 * filled in so that it makes a difference.
 */
const REQUIRED_ONLY: Referral = {
  patient: { nhsNumber: '9434765919', dateOfBirth: '1960-06-15', sex: 'unknown' },
  referrer: { odsCode: 'A00001' },
  complaint: { bodySite: 'knee', side: 'left', durationWeeks: 10, onset: 'gradual', painScore: 5 },
  redFlags: Object.fromEntries(
    ((referralSchema.properties as Record<string, AnySchemaObject>).redFlags?.required as string[]).map((flag) => [flag, false]),
  ) as Referral['redFlags'],
  history: { nonSurgicalCareWeeks: 0, previousInjection: false, impactOnLife: 'none', wantsSurgicalOpinion: false },
};
const PROBE_DATE = '2026-01-01';

/** A value of `schema` unlike the defaults: true, the maximum, the last choice, every list item. */
function filledIn(schema: AnySchemaObject): unknown {
  if (Array.isArray(schema.enum)) return schema.enum[schema.enum.length - 1];
  switch (schema.type) {
    case 'boolean':
      return true;
    case 'integer':
    case 'number':
      return (schema.maximum as number | undefined) ?? 1;
    case 'array': {
      const items = (schema.items ?? {}) as AnySchemaObject;
      return Array.isArray(items.enum) ? [...(items.enum as unknown[])] : [];
    }
    case 'object':
      return Object.fromEntries(
        Object.entries((schema.properties ?? {}) as Record<string, AnySchemaObject>).map(([key, child]) => [key, filledIn(child)]),
      );
    default:
      return undefined;
  }
}

const OPTIONAL_SECTIONS: ReadonlyArray<readonly [string, unknown]> = Object.entries(
  referralSchema.properties as Record<string, AnySchemaObject>,
)
  .filter(([key, schema]) => schema.type === 'object' && !(referralSchema.required as string[]).includes(key))
  .map(([key, schema]) => [key, filledIn(schema)] as const);

type Probe = Record<string, unknown>;
const derivedValue = (referral: Probe, name: string): string =>
  JSON.stringify((deriveFacts(referral as unknown as Referral, PROBE_DATE) as unknown as Probe)[name]) ?? 'undefined';

/**
 * For a derived fact: the optional part of the referral it is computed from (`startBack`, or
 * `inflammatory.axialSpaFeatures` when only that item of the section matters), and its value
 * without it; undefined when it is computed from required fields only.
 */
function derivedWhenAbsent(name: string): { from: string; value: unknown } | undefined {
  const base = REQUIRED_ONLY as unknown as Probe;
  const without = derivedValue(base, name);
  for (const [section, filled] of OPTIONAL_SECTIONS) {
    const full = derivedValue({ ...base, [section]: filled }, name);
    if (full === without) continue;
    const items = Object.keys(filled as Probe);
    const sectionSchema = (referralSchema.properties as Record<string, AnySchemaObject>)[section];
    const required = new Set((sectionSchema?.required ?? []) as string[]);
    const mattering = items.filter((item) => {
      const { [item]: _left, ...rest } = filled as Probe;
      return derivedValue({ ...base, [section]: rest }, name) !== full;
    });
    const [only] = mattering;
    const from = mattering.length === 1 && only !== undefined && !required.has(only) ? `${section}.${only}` : section;
    return { from, value: (deriveFacts(REQUIRED_ONLY, PROBE_DATE) as unknown as Probe)[name] };
  }
  return undefined;
}

const FALSE_WHEN_ABSENT = 'conditions on it are false';

function whenAbsent(fact: FactDefinition): string {
  if (fact.source === 'derived') {
    const dependency = derivedWhenAbsent(fact.name);
    if (!dependency) return 'always present';
    if (dependency.value === undefined) return `absent without \`${dependency.from}\`: ${FALSE_WHEN_ABSENT}`;
    return `${code(dependency.value)} without \`${dependency.from}\``;
  }
  const optional = firstOptionalPart(fact.name);
  if (optional === undefined) return 'always present (required)';
  if (fact.whenAbsent !== undefined) return `${code(fact.whenAbsent)} if not sent`;
  if (optional === fact.name) return `absent if not sent: ${FALSE_WHEN_ABSENT}`;
  return `absent without \`${optional}\`: ${FALSE_WHEN_ABSENT}`;
}

/** The facts table, as Markdown: one row per fact a rule may use, in the catalogue's order. */
export function factsTableMarkdown(): string {
  const header = ['fact', 'from', 'type', 'allowed values', 'when the referral does not carry it', 'meaning'];
  const rows = FACTS.map((fact) => [
    code(fact.name),
    fact.source,
    typeOf(fact.schema),
    allowedValues(fact.schema),
    whenAbsent(fact),
    fact.description === '' ? '—' : fact.description,
  ]);
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The text between the markers, trimmed; undefined when the markers are missing or out of order. */
export function tableBetweenMarkers(text: string): string | undefined {
  const start = text.indexOf(START_MARKER);
  const end = text.indexOf(END_MARKER);
  if (start < 0 || end < start) return undefined;
  return text.slice(start + START_MARKER.length, end).trim();
}

/** `text` with the table between the markers replaced by `table`; throws when the markers are missing. */
export function withTable(text: string, table: string): string {
  const start = text.indexOf(START_MARKER);
  const end = text.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new Error(`rules/README.md needs the markers ${START_MARKER} and ${END_MARKER}, in that order`);
  return `${text.slice(0, start + START_MARKER.length)}\n${table}\n${text.slice(end)}`;
}

async function main(args: readonly string[]): Promise<number> {
  const table = factsTableMarkdown();
  if (!args.includes('--write') && !args.includes('--check')) {
    console.log(table);
    return 0;
  }
  const readme = await readFile(README_PATH, 'utf8');
  if (args.includes('--check')) {
    if (tableBetweenMarkers(readme) === table) return 0;
    console.error(`rules/README.md: the facts table is stale. Run: ${WRITE_COMMAND}`);
    return 1;
  }
  const updated = withTable(readme, table);
  if (updated === readme) {
    console.log('rules/README.md: the facts table is up to date');
  } else {
    await writeFile(README_PATH, updated);
    console.log('rules/README.md: the facts table was rewritten');
  }
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}
