/** Copies of the default rule set in a temporary folder, changed by a test to break them on purpose. */
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RuleCases } from '../../src/generated/rule-cases.js';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { tempDir } from './temp-dirs.js';


export interface Copy {
  ruleset: RuleSet;
  cases: RuleCases;
}

type Change = (copy: Copy) => void | Partial<{ id: string; version: string }>;

/**
 * Writes rules/<id>/<version>/ copies of 1.0.0, as the active version, into a new temporary folder;
 * returns that rules folder. For the tests of mechanisms (loading, checks, activation, simulation)
 * whose expectations were written against 1.0.0's content; 1.0.0 itself is retired in rules/.
 */
export const ruleSetCopies = (...changes: Change[]): Promise<string> =>
  ruleSetCopiesOf('1.0.0', ...changes.map((change) => (copy: Copy) => {
    copy.ruleset.status = 'active';
    return change(copy);
  }));

/** Writes rules/<id>/<version>/ copies of one shipped version into a new temporary folder; returns that rules folder. */
export async function ruleSetCopiesOf(source: string, ...changes: Change[]): Promise<string> {
  const SOURCE = path.join('rules', 'msk-triage', source);
  const root = tempDir('msk-rules-');
  for (const change of changes) {
    const copy: Copy = {
      ruleset: JSON.parse(await readFile(path.join(SOURCE, 'ruleset.json'), 'utf8')) as RuleSet,
      cases: JSON.parse(await readFile(path.join(SOURCE, 'cases.json'), 'utf8')) as RuleCases,
    };
    const folder = change(copy) || {};
    const dir = path.join(root, folder.id ?? copy.ruleset.id, folder.version ?? copy.ruleset.version);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'ruleset.json'), JSON.stringify(copy.ruleset, null, 2));
    await writeFile(path.join(dir, 'cases.json'), JSON.stringify(copy.cases, null, 2));
  }
  return root;
}

export const unchanged = () => undefined;

/** A new version of the default rule set: same rules, another version number and status. */
export const asVersion = (version: string, status: RuleSet['status']) => (copy: Copy) => {
  copy.ruleset.version = version;
  copy.ruleset.status = status;
  copy.ruleset.changeLog.push({ version, date: '2026-11-22', summary: `test copy ${version}` });
  copy.cases.version = version;
};

/**
 * The rules folder the tests of mechanisms were written against: 1.0.0 active and the 1.1.0 draft
 * that shipped beside it until 2.0.0 (R10 and R11 at 8 weeks instead of 6), kept as a test fixture.
 */
export async function version1RulesFolder(): Promise<string> {
  const root = await ruleSetCopies(unchanged);
  await cp(path.join('test', 'fixtures', 'msk-triage-1.1.0'), path.join(root, 'msk-triage', '1.1.0'), { recursive: true });
  return root;
}
