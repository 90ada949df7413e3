/**
 * `rules check` on copies of 1.1.0 broken in each of the ways a clinical lead could break it: each
 * is reported with the file, the rule and a plain-English message; errors fail, warnings do not.
 */
import { expect } from 'chai';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { CompiledRuleSet } from '../../src/rules/compiled-rule-set.js';
import { runCases } from '../../src/rules/rule-cases.js';
import { lintRuleSet, searchReferrals, type Finding } from '../../src/rules/rule-set-lint.js';
import { loadedVersions, version1Registry as registry, version1Versions } from '../support/test-app.js';
import { ruleSetCopies, type Copy } from '../support/rule-set-copies.js';
import { inProcessCli } from '../support/cli.js';
import { validateReferral } from '../../src/schemas/schema-registry.js';

const v110 = () => {
  const loaded = version1Versions.find((v) => v.compiled.version === '1.1.0');
  if (!loaded) throw new Error('1.1.0 not loaded');
  return loaded;
};

async function lint(change: (doc: RuleSet) => void): Promise<Finding[]> {
  const doc = structuredClone(v110().compiled.document) as RuleSet;
  change(doc);
  const compiled = new CompiledRuleSet(doc);
  return lintRuleSet({ file: 'rules/msk-triage/1.1.1/ruleset.json', ruleSet: doc, compiled, caseResults: await runCases(compiled, v110().cases), searchSize: 1500 });
}

const rule = (doc: RuleSet, id: string) => {
  const found = doc.rules.find((r) => r.id === id);
  if (!found) throw new Error(id);
  return found;
};
const messages = (findings: Finding[], severity: Finding['severity']) => findings.filter((f) => f.severity === severity).map((f) => `${f.ruleId ?? '-'} ${f.path ?? ''} ${f.message}`);

describe('rules check', function () {
  this.timeout(60_000);

  it('finds nothing wrong with the shipped versions', () => {
    for (const loaded of loadedVersions) {
      const findings = lintRuleSet({ file: loaded.dir, ruleSet: loaded.compiled.document, compiled: loaded.compiled, caseResults: loaded.caseResults, searchSize: 1500 });
      expect(findings, loaded.dir).to.deep.equal([]);
    }
  });

  it('generates contract-valid referrals for its search, near the rules’ thresholds', () => {
    const sample = searchReferrals(v110().compiled.document.rules, 300);
    expect(sample.every((r) => validateReferral(r))).to.equal(true);
    expect(sample.filter((r) => r.history.nonSurgicalCareWeeks === 7 || r.history.nonSurgicalCareWeeks === 8).length).to.be.greaterThan(10);
  });

  it('errs on a rule whose conditions can never hold, naming them', async () => {
    const findings = await lint((doc) => rule(doc, 'MSK-R07').conditions.all?.push({ fact: 'history.nonSurgicalCareWeeks', operator: 'greaterThanInclusive', value: 12 }));
    expect(messages(findings, 'error')).to.deep.equal([
      'MSK-R07 /conditions the rule can never fire: history.nonSurgicalCareWeeks lessThan 12 and history.nonSurgicalCareWeeks greaterThanInclusive 12 can never all be true',
    ]);
  });

  it('errs on conditions that leave the contract’s range, such as age over 120', async () => {
    const findings = await lint((doc) => rule(doc, 'MSK-E06').conditions.all?.push({ fact: 'age', operator: 'greaterThan', value: 120 }));
    expect(messages(findings, 'error').join()).to.contain('MSK-E06 /conditions the rule can never fire: age greaterThan 50 and age greaterThan 120 can never all be true');
  });

  it('warns on a nested part that can never hold', async () => {
    const findings = await lint((doc) => rule(doc, 'MSK-U03').conditions.all?.push({ any: [{ all: [{ fact: 'spinal', operator: 'equal', value: true }, { fact: 'spinal', operator: 'equal', value: false }] }, { fact: 'spinal', operator: 'in', value: [true, false] }] }));
    expect(messages(findings, 'warning').join()).to.contain('MSK-U03 /conditions/all/2/any/0 this part can never hold');
  });

  it('errs on two rules with identical conditions and different routes at the same urgency', async () => {
    const findings = await lint((doc) => {
      const twin = structuredClone(rule(doc, 'MSK-R07'));
      doc.rules.push({ ...twin, id: 'MSK-R12', route: { pathway: 'community', urgency: 'routine', service: 'msk-interface' } });
    });
    expect(messages(findings, 'error').join()).to.contain('MSK-R12  has exactly the same conditions as MSK-R07 but another route');
  });

  it('warns on a rule fully shadowed by another with a different route at the same urgency', async () => {
    const findings = await lint((doc) => {
      const narrower = structuredClone(rule(doc, 'MSK-R07'));
      narrower.conditions.all?.push({ fact: 'history.impactOnLife', operator: 'equal', value: 'substantial' });
      doc.rules.push({ ...narrower, id: 'MSK-R12', route: { pathway: 'gp', urgency: 'routine', service: 'self-management' } });
    });
    expect(messages(findings, 'warning').join()).to.contain('MSK-R12  fired only together with MSK-R07');
  });

  it('warns on gaps, with an example referral that fires no rule', async () => {
    const findings = await lint((doc) => {
      doc.rules = doc.rules.filter((r) => r.id !== 'MSK-R10' && r.id !== 'MSK-R11') as RuleSet['rules'];
    });
    const gap = findings.find((f) => f.message.includes('fire no rule'));
    expect(gap?.severity).to.equal('warning');
    expect(gap?.example).to.not.equal(undefined);
    expect(validateReferral(gap?.example)).to.equal(true);
    const decision = await new CompiledRuleSet({ ...v110().compiled.document, rules: v110().compiled.document.rules.filter((r) => !['MSK-R10', 'MSK-R11'].includes(r.id)) as RuleSet['rules'] }).evaluate(gap?.example as never, '2026-11-01');
    expect(decision.outcome).to.equal('default');
  });

  it('warns on a rule without evidence and on routes no bundled case reaches (a rule no case fires is the loader\'s error)', async () => {
    const findings = await lint((doc) => {
      rule(doc, 'MSK-U05').evidence = [];
      doc.rules.push({ ...structuredClone(rule(doc, 'MSK-U05')), id: 'MSK-U09', title: 'Locked elbow', conditions: { all: [{ fact: 'complaint.bodySite', operator: 'equal', value: 'elbow' }, { fact: 'findings.lockedKnee', operator: 'equal', value: true }] }, route: { pathway: 'secondary', urgency: 'urgent', service: 'orthopaedics-elbow' } });
    });
    const warnings = messages(findings, 'warning');
    expect(warnings).to.include('MSK-U05  has no evidence: cite the guideline or local policy it comes from');
    expect(warnings.filter((w) => w.includes('no bundled case fires'))).to.deep.equal([]);
    expect(warnings).to.include('-  no bundled case reaches the route secondary / urgent / orthopaedics-elbow');
  });

  it('on the command line: reports loader errors with file and rule, exits 1 on errors and 0 on warnings only', async () => {
    const broken = await ruleSetCopies((copy: Copy) => {
      rule(copy.ruleset, 'MSK-R08').conditions.all?.push({ fact: 'bmi', operator: 'lessThan', value: 40 });
    });
    const cli = inProcessCli(); // rules check never opens the database
    const failing = await cli('rules', 'check', broken);
    expect(failing.status).to.equal(1);
    expect(failing.stdout).to.match(/error +.*ruleset\.json: rule MSK-R08 \/conditions\/all\/4: fact "bmi" is recorded only/);
    const warnOnly = await ruleSetCopies((copy: Copy) => { rule(copy.ruleset, 'MSK-U05').evidence = []; });
    const passing = await cli('rules', 'check', warnOnly, '--json');
    expect(passing.status, passing.stdout).to.equal(0);
    expect(JSON.parse(passing.stdout)).to.deep.include({ errors: 0, warnings: 1 });
  });

  it('keeps registry versions untouched while linting copies', () => {
    expect(registry.get('msk-triage', '1.1.0')?.document.rules).to.have.length(26);
  });
});
