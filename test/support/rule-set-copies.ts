/** Copies of the default rule set in a temporary folder, changed by a test to break them on purpose. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RuleCases } from '../../src/generated/rule-cases.js';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { tempDir } from './temp-dirs.js';

const SOURCE = path.join('rules', 'msk-triage', '1.0.0');

export interface Copy {
  ruleset: RuleSet;
  cases: RuleCases;
}

/** Writes rules/<id>/<version>/ copies into a new temporary folder; returns that rules folder. */
export async function ruleSetCopies(...changes: Array<(copy: Copy) => void | Partial<{ id: string; version: string }>>): Promise<string> {
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
