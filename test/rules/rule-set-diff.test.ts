import { expect } from 'chai';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { conditionLines, diffRuleSets, formatDiff } from '../../src/rules/rule-set-diff.js';
import { version1Registry as registry } from '../support/test-app.js';

const v100 = (): RuleSet => {
  const doc = registry.get('msk-triage', '1.0.0')?.document;
  if (!doc) throw new Error('1.0.0 not loaded');
  return structuredClone(doc);
};

describe('the rule-level diff between two versions', () => {
  it('says nothing changed between a version and itself', () => {
    expect(diffRuleSets(v100(), v100())).to.deep.include({ header: [], added: [], removed: [], changed: [], orderChanged: false });
  });

  it('shows a change of decision procedure or of the invariants declared, as it shows a rule\'s', () => {
    const to = v100();
    to.decisionProcedure = '2';
    to.invariants = ['red-flag-safety-net'];
    expect(diffRuleSets(v100(), to).header).to.deep.equal([
      { what: 'decision procedure', from: '1 (not declared)', to: '2' },
      { what: 'invariants', from: 'none', to: 'red-flag-safety-net' },
    ]);
    const dropped = structuredClone(to);
    delete dropped.invariants;
    expect(diffRuleSets(to, dropped).header).to.deep.equal([{ what: 'invariants', from: 'red-flag-safety-net', to: 'none' }]);
  });

  it('shows 1.0.0 → 1.1.0 as the two threshold changes of R10 and R11, condition by condition', () => {
    const to = registry.get('msk-triage', '1.1.0')?.document as RuleSet;
    const diff = diffRuleSets(v100(), to);
    expect(diff.changed.map((c) => c.id)).to.deep.equal(['MSK-R10', 'MSK-R11']);
    expect(diff.changed[0]?.changes).to.deep.include({ what: 'condition all[1]', from: 'history.nonSurgicalCareWeeks < 6', to: 'history.nonSurgicalCareWeeks < 8' });
    expect(diff.changed[1]?.changes).to.deep.include({ what: 'condition all[1]', from: 'history.nonSurgicalCareWeeks ≥ 6', to: 'history.nonSurgicalCareWeeks ≥ 8' });
    expect(diff.header).to.deep.include({ what: 'status', from: 'active', to: 'draft' });
    expect(diff.added).to.deep.equal([]);
    expect(diff.removed).to.deep.equal([]);
  });

  it('reports rules added and removed, route, advice, evidence and review-flag changes, and reordering', () => {
    const from = v100();
    const to = v100();
    const [e01, e02] = to.rules;
    if (!e01 || !e02) throw new Error('rules missing');
    e01.route.urgency = 'urgent';
    e01.advice = 'new advice';
    e01.evidence.push({ citation: 'A new source 2027' });
    e01.reviewRequired = true;
    to.rules.splice(1, 1);
    to.rules.push({ ...structuredClone(e02), id: 'MSK-X01', title: 'A new rule' });
    [to.rules[1], to.rules[2]] = [to.rules[2] as RuleSet['rules'][number], to.rules[1] as RuleSet['rules'][number]];
    const diff = diffRuleSets(from, to);
    expect(diff.added.map((r) => r.id)).to.deep.equal(['MSK-X01']);
    expect(diff.removed.map((r) => r.id)).to.deep.equal(['MSK-E02']);
    const changes = diff.changed.find((c) => c.id === 'MSK-E01')?.changes.map((c) => c.what);
    expect(changes).to.include.members(['route', 'advice', 'evidence added', 'review flag']);
    expect(diff.orderChanged).to.equal(true);
    expect(formatDiff(diff)).to.contain('+ MSK-X01 A new rule').and.contain('− MSK-E02').and.contain('route: secondary / emergency / emergency-spinal  →  secondary / urgent / emergency-spinal');
  });

  it('names every condition of a tree by its place, nested all / any / not included', () => {
    const r09 = v100().rules.find((r) => r.id === 'MSK-R09');
    expect([...conditionLines(r09?.conditions ?? {}).entries()]).to.deep.equal([
      ['all[0]', 'complaint.bodySite is one of hip, knee'],
      ['all[1]', 'history.nonSurgicalCareWeeks ≥ 12'],
      ['all[2]/not/all[0]', 'history.impactOnLife is substantial'],
      ['all[2]/not/all[1]', 'history.wantsSurgicalOpinion is true'],
    ]);
  });
});
