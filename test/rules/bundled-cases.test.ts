/**
 * Every bundled case of every rule-set version under rules/, one test each, and the coverage the
 * policy asks for: every rule fired by a case and missed narrowly by another.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RuleCases } from '../../src/generated/rule-cases.js';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { runCases } from '../../src/rules/rule-cases.js';

const RULES_DIR = 'rules';
const versions = readdirSync(RULES_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) =>
    readdirSync(path.join(RULES_DIR, d.name), { withFileTypes: true })
      .filter((v) => v.isDirectory())
      .map((v) => path.join(RULES_DIR, d.name, v.name)),
  );

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;

describe('bundled cases of every rule-set version', () => {
  it('finds at least the default rule set msk-triage 1.0.0', () => {
    expect(versions).to.include(path.join('rules', 'msk-triage', '1.0.0'));
  });

  for (const dir of versions) {
    describe(dir, () => {
      const ruleSet = readJson<RuleSet>(path.join(dir, 'ruleset.json'));
      const cases = readJson<RuleCases>(path.join(dir, 'cases.json'));
      const compiled = new CompiledRuleSet(ruleSet);
      const results = runCases(compiled, cases);

      for (const testCase of cases.cases) {
        it(`${testCase.id}: ${testCase.description}`, async () => {
          const result = (await results).find((r) => r.id === testCase.id);
          expect(result?.failures, testCase.id).to.deep.equal([]);
        });
      }

      it('fires every rule in at least one case', () => {
        const fired = new Set(cases.cases.flatMap((c) => c.expect.rulesFired ?? []));
        const unfired = ruleSet.rules.map((r) => r.id).filter((id) => !fired.has(id));
        expect(unfired, 'rules no case fires').to.deep.equal([]);
      });

      it('has a near miss for every rule: a case that names it as not fired', () => {
        const missed = new Set(cases.cases.flatMap((c) => c.expect.rulesNotFired ?? []));
        const without = ruleSet.rules.map((r) => r.id).filter((id) => !missed.has(id));
        expect(without, 'rules with no near-miss case').to.deep.equal([]);
      });
    });
  }
});

describe('a bundled case', () => {
  const dir = path.join('rules', 'msk-triage', '1.0.0');
  const compiled = new CompiledRuleSet(readJson<RuleSet>(path.join(dir, 'ruleset.json')));
  const cases = readJson<RuleCases>(path.join(dir, 'cases.json'));

  it('fails, naming expected and actual, when its expectation is wrong', async () => {
    const first = cases.cases.find((c) => c.id === 'E01-saddle-anaesthesia');
    if (!first) throw new Error('case missing');
    const wrong = { ...cases, cases: [{ ...first, expect: { ...first.expect, urgency: 'routine' as const, rulesFired: ['MSK-R05'] } }] } as RuleCases;
    const [result] = await runCases(compiled, wrong);
    expect(result?.passed).to.equal(false);
    expect(result?.failures).to.include('urgency: expected "routine", got "emergency"');
    expect(result?.failures).to.include('rules fired that were not expected: MSK-E01');
  });

  it('fails when its referral breaks the contract', async () => {
    const first = cases.cases[0];
    if (!first) throw new Error('case missing');
    const broken = { ...cases, cases: [{ ...first, referral: { redFlags: { saddleAnaesthesia: null } } }] } as RuleCases;
    const [result] = await runCases(compiled, broken);
    expect(result?.passed).to.equal(false);
    expect(result?.failures.join()).to.contain('/redFlags/saddleAnaesthesia: is required');
  });
});
