/**
 * Rules in clinical prose (src/web/rule-prose.ts): every test of every shipped rule set reads as
 * English with no dotted fact name or code value left in it, both ways round (a `not` flips the
 * statement); a flat rule reads as one sentence; and a fired rule's lines, from a real evaluation,
 * say of each part whether it held and what the referral gave.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Referral } from '../../src/generated/referral.js';
import type { RuleSet } from '../../src/generated/ruleset.js';
import { applyMergePatch } from '../../src/rules/merge-patch.js';
import { formatProblem, loadVersion, type LoadProblem } from '../../src/rules/rule-set-loader.js';
import { conditionSentence, firedRuleRows, heldLines, leafText, outline, routeSentence, ruleOutline, seenText, type RuleCondition } from '../../src/web/rule-prose.js';
import { CONTRACT_EXAMPLE } from '../support/referral-factory.js';

const RULES = path.join('rules', 'msk-triage');
const shipped: RuleSet[] = readdirSync(RULES).map((version) => JSON.parse(readFileSync(path.join(RULES, version, 'ruleset.json'), 'utf8')) as RuleSet);

type Leaf = { fact: string; operator: string; value: unknown };
function leavesOf(node: RuleCondition): Leaf[] {
  if (node.fact !== undefined) return [node as Leaf];
  return [...(node.all ?? []), ...(node.any ?? []), ...(node.not ? [node.not] : [])].flatMap(leavesOf);
}

const rule = (set: RuleSet, id: string) => {
  const found = set.rules.find((r) => r.id === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
};
const v2 = shipped.find((set) => set.version === '2.0.0') as RuleSet;

describe('rules in clinical prose', () => {
  it('has words of its own for every test in every shipped rule set, both ways round', () => {
    expect(shipped.length).to.be.at.least(2);
    const leaves = shipped.flatMap((set) => set.rules.flatMap((r) => leavesOf(r.conditions as RuleCondition)));
    expect(leaves.length).to.be.greaterThan(100);
    for (const leaf of leaves) {
      for (const text of [leafText(leaf), leafText(leaf, true)]) {
        // The fallback quotes the fact's description; the fact's own name (`redFlags.x`, `startBackRisk`) or a code value (`lumbar-spine`) is not prose.
        expect(text, JSON.stringify(leaf)).to.not.match(/[“”]|\w\.\w/);
        const name = leaf.fact.split('.').at(-1) as string;
        if (/[a-z][A-Z]/.test(name)) expect(text, JSON.stringify(leaf)).to.not.include(name);
        for (const code of [leaf.value].flat().filter((v): v is string => typeof v === 'string' && v.includes('-'))) expect(text, JSON.stringify(leaf)).to.not.include(code);
      }
      expect(leafText(leaf), JSON.stringify(leaf)).to.not.equal(leafText(leaf, true));
    }
  });

  it('reads a flat rule as one sentence, and its route in words', () => {
    const r06 = rule(v2, 'MSK-R06');
    expect(conditionSentence(r06.conditions)).to.equal(
      'If the patient is aged 16 or over, the body site is the lumbar spine, non-surgical care tried so far has lasted less than 12 weeks and the STarT Back risk is high',
    );
    expect(routeSentence(r06.route, r06.reviewRequired ?? false)).to.equal('Physiotherapy, routine, physiotherapy psychologically informed');
    expect(routeSentence(rule(v2, 'MSK-R14').route)).to.equal('The community MSK interface service, routine, MSK interface');
    expect(routeSentence(rule(v2, 'MSK-R03').route)).to.equal('Back to the GP, with advice, routine, GP HLA-B27 test');
    const u02 = rule(v2, 'MSK-U02');
    expect(conditionSentence(u02.conditions)).to.equal(
      'If a fracture is suspected, the current episode began with an injury and the body site is not the hip or the cervical spine',
    );
    expect(leafText({ fact: 'age', operator: 'lessThan', value: 16 }, true)).to.equal('the patient is aged 16 or over');
    expect(leafText({ fact: 'redFlags.historyOfCancer', operator: 'equal', value: true }, true)).to.equal('there is no history of cancer');
  });

  it('reads a rule with groups inside groups as an outline, never as an ambiguous sentence', () => {
    const e02 = rule(v2, 'MSK-E02').conditions as RuleCondition;
    expect(conditionSentence(e02)).to.equal(undefined);
    expect(ruleOutline(e02)[0]?.text).to.equal('If all of these are true:');
    expect(outline(e02).map((line) => `${line.depth} ${line.text}`)).to.deep.equal([
      '0 All of these:',
      '1 the problem is in the spine',
      '1 there is a history of cancer',
      '1 Any of these:',
      '2 there is a progressive neurological deficit',
      '2 there are new neurological symptoms in both legs',
      '2 the patient has leg pain',
      '2 there is new bladder or bowel dysfunction',
      '2 there is saddle anaesthesia',
    ]);
    const u01 = outline(rule(v2, 'MSK-U01').conditions);
    expect(u01.map((line) => line.text)).to.include('None of these:');
  });

  it('says of each part of a fired rule whether it held, and what this referral gave', async () => {
    const problems: LoadProblem[] = [];
    const loaded = await loadVersion(path.join(RULES, '2.0.0'), problems);
    if (!loaded) throw new Error(problems.map(formatProblem).join('\n'));
    const saddle = applyMergePatch(CONTRACT_EXAMPLE, { patient: { dateOfBirth: '1970-06-15' }, redFlags: { saddleAnaesthesia: true } }) as unknown as Referral;
    const decision = await loaded.compiled.evaluate(saddle, '2026-12-01');
    const e01 = decision.firedRules.find((r) => r.id === 'MSK-E01');
    expect(e01, decision.firedRules.map((r) => r.id).join()).to.not.equal(undefined);
    const lines = heldLines(e01?.conditions as never).map((line) => [line.held, line.text, line.seen ?? null]);
    expect(lines[0]).to.deep.equal([true, 'At least one of these was true:', null]);
    expect(lines).to.deep.include([true, 'there is saddle anaesthesia', null]);
    expect(lines).to.deep.include([false, 'there is new bladder or bowel dysfunction', null]);

    const r05 = decision.firedRules.find((r) => r.id === 'MSK-R05') ?? (await loaded.compiled.evaluate(CONTRACT_EXAMPLE, '2026-12-01')).firedRules.find((r) => r.id === 'MSK-R05');
    const [row] = firedRuleRows([r05 as never], 'MSK-R05');
    expect(row?.decides).to.equal(true);
    expect(row?.routeText).to.equal('Physiotherapy, routine, physiotherapy');
    expect(row?.lines.map((line) => [line.held, line.text, line.seen ?? null])).to.deep.include.members([
      [true, 'the body site is the lumbar spine', 'the lumbar spine'],
      [true, 'the STarT Back risk is medium', 'medium'],
    ]);
    expect(row?.lines.find((line) => line.text.startsWith('the patient is aged 16'))?.seen).to.match(/^\d+$/);
  });

  it('gives what a referral held in words, never a code', () => {
    expect(seenText('complaint.bodySite', 'wrist-hand')).to.equal('the wrist or hand');
    expect(seenText('complaint.durationWeeks', 10)).to.equal('10 weeks');
    expect(seenText('ageAtOnset', 38.8076)).to.equal('38.8');
    expect(seenText('inflammatory.hlaB27', undefined)).to.equal('not given');
    expect(seenText('inflammatory.axialSpaFeatures', [])).to.equal('none');
  });
});
