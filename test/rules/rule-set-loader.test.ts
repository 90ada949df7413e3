/**
 * A rule set that fails its schema, its fact checks or its bundled cases never loads, and the
 * message names the file, the rule or case, and the problem.
 */
import { expect } from 'chai';
import path from 'node:path';
import type { Condition, Rule } from '../../src/generated/ruleset.js';
import { RuleSetLoadError, loadRuleSets } from '../../src/rules/rule-set-loader.js';
import { RuleSetRegistry } from '../../src/rules/rule-set-registry.js';
import { asVersion, ruleSetCopies, unchanged, type Copy } from '../support/rule-set-copies.js';
import { tempDir } from '../support/temp-dirs.js';

type Leaf = Required<Pick<Condition, 'fact' | 'operator' | 'value'>>;

async function loadError(rulesDir: string): Promise<RuleSetLoadError> {
  try {
    await loadRuleSets(rulesDir);
  } catch (error) {
    if (error instanceof RuleSetLoadError) return error;
    throw error;
  }
  throw new Error('the rule sets loaded, but should not have');
}

const rule = (copy: Copy, id: string): Rule => {
  const found = copy.ruleset.rules.find((r) => r.id === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
};
const firstLeaf = (r: Rule): Leaf => {
  const node = r.conditions.all?.[0] ?? r.conditions.any?.[0];
  if (!node?.fact) throw new Error('first condition is not a leaf');
  return node as Leaf;
};
const setLeaf = (id: string, leaf: Partial<Leaf>) => (copy: Copy) => {
  Object.assign(firstLeaf(rule(copy, id)), leaf);
};

describe('loading rule sets', () => {
  it('loads the shipped rules folder with every case passing', async () => {
    const loaded = await loadRuleSets('rules');
    const msk = loaded.find((v) => v.compiled.id === 'msk-triage' && v.compiled.version === '1.0.0');
    expect(msk?.caseResults.every((r) => r.passed)).to.equal(true);
    expect(msk?.caseResults.length).to.be.greaterThan(60);
  });

  const broken: Array<[string, (copy: Copy) => void, RegExp]> = [
    ['an unknown fact', setLeaf('MSK-E04', { fact: 'redFlags.hotJoint' }), /rule MSK-E04 \/conditions\/all\/0: unknown fact "redFlags.hotJoint"/],
    ['a rule on bmi', setLeaf('MSK-R08', { fact: 'bmi', operator: 'lessThan', value: 40 }), /rule MSK-R08 .*fact "bmi" is recorded only: no rule may route on BMI/],
    ['a rule on smoker', setLeaf('MSK-R08', { fact: 'smoker', operator: 'equal', value: false }), /rule MSK-R08 .*fact "smoker" is recorded only/],
    ['a rule on the NHS number', setLeaf('MSK-E04', { fact: 'patient.nhsNumber', value: '9434765919' }), /rule MSK-E04 .*"patient.nhsNumber" is an identifier/],
    ['a value of the wrong type', setLeaf('MSK-E04', { value: 'yes' }), /rule MSK-E04 .*value "yes" is not a possible value of "redFlags.hotSwollenJoint"/],
    ['a value outside the enum', setLeaf('MSK-U05', { value: 'kneecap' }), /rule MSK-U05 .*value "kneecap" is not a possible value of "complaint.bodySite": must be one of "lumbar-spine"/],
    ['a list value outside the enum', setLeaf('MSK-R07', { value: ['hip', 'knees'] }), /rule MSK-R07 .*value "knees" is not a possible value/],
    ['a number out of range', setLeaf('MSK-R01', { value: 70 }), /rule MSK-R01 .*value 70 is not a possible value of "inflammatory.swollenJointCount"/],
    ['a numeric operator on a text fact', setLeaf('MSK-U05', { operator: 'lessThan', value: 3 }), /rule MSK-U05 .*operator lessThan needs a numeric fact/],
    ['an unknown operator', setLeaf('MSK-E04', { operator: 'isTrue' as Leaf['operator'] }), /rule MSK-E04 \/rules\/3\/conditions\/all\/0\/operator: must be one of: equal, notEqual/],
    ['a JSONPath path', (copy) => Object.assign(firstLeaf(rule(copy, 'MSK-E04')), { path: '$..[?(@.x)]' }), /rule MSK-E04 \/rules\/3\/conditions\/all\/0\/path: is not a field of this contract/],
    ['a condition mixing kinds', (copy) => Object.assign(firstLeaf(rule(copy, 'MSK-E04')), { all: [{ fact: 'spinal', operator: 'equal', value: true }] }), /rule MSK-E04 \/rules\/3\/conditions\/all\/0: must be exactly one kind of condition/],
    ['a rule starting with a bare fact', (copy) => { rule(copy, 'MSK-E04').conditions = { fact: 'redFlags.hotSwollenJoint', operator: 'equal', value: true }; }, /rule MSK-E04 \/rules\/3\/conditions: must start with all, any or not/],
    ['a fact without a value', (copy) => { delete (firstLeaf(rule(copy, 'MSK-E04')) as Partial<Leaf>).value; }, /rule MSK-E04 \/rules\/3\/conditions\/all\/0\/value: is required when fact is given/],
    ['a duplicate rule id', (copy) => { rule(copy, 'MSK-E05').id = 'MSK-E04'; }, /rule MSK-E04: rule id MSK-E04 is used twice/],
    ['a route outside the enum', (copy) => { rule(copy, 'MSK-E04').route.urgency = 'asap' as Rule['route']['urgency']; }, /rule MSK-E04 \/rules\/3\/route\/urgency: must be one of: emergency, very-urgent, urgent, soon, routine/],
    ['a rule without a route', (copy) => { delete (rule(copy, 'MSK-E04') as Partial<Rule>).route; }, /rule MSK-E04 \/rules\/3\/route: is required/],
    ['a change log without this version', (copy) => { copy.ruleset.changeLog[0].version = '0.9.0'; }, /ruleset\.json: \/changeLog: has no entry for version 1\.0\.0/],
    ['a missing header field', (copy) => { delete (copy.ruleset as Partial<typeof copy.ruleset>).effectiveFrom; }, /ruleset.json: \/effectiveFrom: is required/],
  ];

  for (const [what, change, message] of broken) {
    it(`refuses ${what}, naming the file, the rule and the problem`, async () => {
      const error = await loadError(await ruleSetCopies(change));
      expect(error.message).to.match(/msk-triage\/1\.0\.0\/ruleset\.json/);
      expect(error.message).to.match(message);
    });
  }

  it('refuses a rule set whose bundled case fails, naming the case and expected vs actual', async () => {
    const error = await loadError(await ruleSetCopies((copy) => { rule(copy, 'MSK-E06').route.urgency = 'urgent'; }));
    expect(error.message).to.match(/cases\.json: case E06-gca-age-72: urgency: expected "emergency", got "urgent"/);
  });

  it('refuses two cases with the same id', async () => {
    const error = await loadError(await ruleSetCopies((copy) => { const [first, second] = copy.cases.cases; if (second) second.id = first.id; }));
    expect(error.message).to.match(/cases\.json: case base-lumbar-medium: case id base-lumbar-medium is used twice/);
  });

  it('states the allowed range when a number is out of it', async () => {
    const error = await loadError(await ruleSetCopies(setLeaf('MSK-R01', { value: 70 })));
    expect(error.message).to.contain('must be a whole number from 0 to 68');
  });

  it('refuses a version folder whose ruleset.json names another version', async () => {
    const error = await loadError(await ruleSetCopies((copy) => ({ version: '9.9.9', ...(void copy, {}) })));
    expect(error.message).to.match(/declares msk-triage 1\.0\.0 but lives in the folder for msk-triage 9\.9\.9/);
  });

  it('refuses malformed JSON, naming the file', async () => {
    const dir = await ruleSetCopies(unchanged);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(dir, 'msk-triage', '1.0.0', 'ruleset.json'), '{ "id": ');
    expect((await loadError(dir)).message).to.match(/ruleset\.json: is not valid JSON/);
  });

  it('refuses a version with a rule that no bundled case fires, naming the rule', async () => {
    const error = await loadError(
      await ruleSetCopies((copy) => {
        copy.ruleset.rules.push({ ...structuredClone(rule(copy, 'MSK-U05')), id: 'MSK-U99', title: 'Locked elbow', conditions: { all: [{ fact: 'complaint.bodySite', operator: 'equal', value: 'elbow' }, { fact: 'findings.lockedKnee', operator: 'equal', value: true }] } });
      }),
    );
    expect(error.problems).to.deep.include({ file: error.problems[0]?.file, ruleId: 'MSK-U99', message: 'no bundled case fires this rule: add a case that fires it, and one that just misses it' });
    expect(error.problems).to.have.length(1);
  });

  it('refuses an empty rules folder', async () => {
    const empty = tempDir('msk-empty-');
    expect((await loadError(empty)).message).to.match(/holds no rule-set version/);
  });

  it('reports every problem of every version at once', async () => {
    const error = await loadError(
      await ruleSetCopies(setLeaf('MSK-E04', { fact: 'nope' }), (copy) => { asVersion('1.1.0', 'draft')(copy); firstLeaf(rule(copy, 'MSK-E05')).fact = 'bmi'; }),
    );
    expect(error.problems.map((p) => p.ruleId)).to.include.members(['MSK-E04', 'MSK-E05']);
  });
});

describe('the active version of a rule set', () => {
  it('is the one version with status active', async () => {
    const registry = new RuleSetRegistry(await loadRuleSets(await ruleSetCopies(unchanged, asVersion('1.1.0', 'draft'))));
    expect(registry.active('msk-triage')?.version).to.equal('1.0.0');
    expect(registry.get('msk-triage', '1.1.0')?.version).to.equal('1.1.0');
  });

  it('must be exactly one: two active versions stop the load', async () => {
    const loaded = await loadRuleSets(await ruleSetCopies(unchanged, asVersion('1.1.0', 'active')));
    expect(() => new RuleSetRegistry(loaded)).to.throw(RuleSetLoadError, /exactly one version must have status active; found 1\.0\.0, 1\.1\.0/);
  });

  it('must exist: no active version stops the load', async () => {
    const loaded = await loadRuleSets(await ruleSetCopies(asVersion('1.0.0', 'retired')));
    expect(() => new RuleSetRegistry(loaded)).to.throw(RuleSetLoadError, /found none/);
  });

  it('can be pinned to another loaded version', async () => {
    const loaded = await loadRuleSets(await ruleSetCopies(unchanged, asVersion('1.1.0', 'draft')));
    expect(new RuleSetRegistry(loaded, { 'msk-triage': '1.1.0' }).active('msk-triage')?.version).to.equal('1.1.0');
    expect(() => new RuleSetRegistry(loaded, { 'msk-triage': '2.0.0' })).to.throw(RuleSetLoadError, /pinned version 2\.0\.0 is not loaded/);
  });
});
