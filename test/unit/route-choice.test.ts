import { expect } from 'chai';
import type { DefaultRoute, Rule } from '../../src/generated/ruleset.js';
import { chooseRoute } from '../../src/rules/route-choice.js';

const DEFAULT: DefaultRoute = { pathway: 'community', urgency: 'routine', service: 'msk-triage-clinician', reviewRequired: true, advice: 'A clinician decides.' };

let counter = 0;
function aRule(pathway: Rule['route']['pathway'], urgency: Rule['route']['urgency'], extra: Partial<Rule> = {}): Rule {
  counter += 1;
  return {
    id: `T-${counter}`,
    title: `test rule ${counter}`,
    rationale: 'for a test',
    evidence: [],
    conditions: { all: [{ fact: 'spinal', operator: 'equal', value: true }] },
    route: { pathway, urgency, service: `${pathway}-${urgency}-${counter}` },
    advice: 'advice',
    ...extra,
  };
}

describe('choosing the route from the fired rules (policy steps 2–5)', () => {
  it('uses the default route, with review, when no rule fired', () => {
    const choice = chooseRoute([], DEFAULT);
    expect(choice).to.deep.include({ outcome: 'default', reviewRequired: true, winningRule: null });
    expect(choice.route).to.deep.equal({ pathway: 'community', urgency: 'routine', service: 'msk-triage-clinician' });
  });

  it('lets the most urgent route win, whatever the pathway', () => {
    const routine = aRule('secondary', 'routine');
    const urgent = aRule('gp', 'urgent');
    const soon = aRule('physio', 'soon');
    const choice = chooseRoute([routine, urgent, soon], DEFAULT);
    expect(choice.winningRule).to.equal(urgent);
    expect(choice.reviewRequired).to.equal(false);
    expect(choice.ordered).to.deep.equal([urgent, soon, routine]);
  });

  it('ranks emergency above urgent above soon above routine', () => {
    const [e, u, s, r] = [aRule('gp', 'emergency'), aRule('secondary', 'urgent'), aRule('secondary', 'soon'), aRule('secondary', 'routine')];
    expect(chooseRoute([r, s, u, e], DEFAULT).winningRule).to.equal(e);
    expect(chooseRoute([r, s, u], DEFAULT).winningRule).to.equal(u);
    expect(chooseRoute([r, s], DEFAULT).winningRule).to.equal(s);
  });

  it('breaks an urgency tie by pathway: secondary, community, physio, gp, and flags the disagreement', () => {
    const gp = aRule('gp', 'routine');
    const physio = aRule('physio', 'routine');
    const community = aRule('community', 'routine');
    const secondary = aRule('secondary', 'routine');
    expect(chooseRoute([gp, physio], DEFAULT).winningRule).to.equal(physio);
    expect(chooseRoute([gp, physio, community], DEFAULT).winningRule).to.equal(community);
    const all = chooseRoute([gp, physio, community, secondary], DEFAULT);
    expect(all.winningRule).to.equal(secondary);
    expect(all.reviewRequired).to.equal(true);
    expect(all.explanation.join(' ')).to.match(/different pathways/);
  });

  it('does not flag review when rules at the winning urgency agree on the pathway, and keeps file order', () => {
    const first = aRule('secondary', 'urgent');
    const second = aRule('secondary', 'urgent');
    const choice = chooseRoute([first, second], DEFAULT);
    expect(choice.winningRule).to.equal(first);
    expect(choice.reviewRequired).to.equal(false);
  });

  it('ignores disagreement below the winning urgency', () => {
    const choice = chooseRoute([aRule('secondary', 'urgent'), aRule('gp', 'routine'), aRule('physio', 'routine')], DEFAULT);
    expect(choice.reviewRequired).to.equal(false);
  });

  it('flags review when the winning rule asks for it, and not when a losing rule does', () => {
    expect(chooseRoute([aRule('physio', 'routine', { reviewRequired: true })], DEFAULT).reviewRequired).to.equal(true);
    expect(chooseRoute([aRule('secondary', 'urgent'), aRule('physio', 'routine', { reviewRequired: true })], DEFAULT).reviewRequired).to.equal(false);
  });

  it('explains the winner in words that name the rule and its route', () => {
    const winner = aRule('secondary', 'emergency');
    const choice = chooseRoute([aRule('physio', 'routine'), winner], DEFAULT);
    expect(choice.explanation.at(-1)).to.contain(winner.id).and.contain('secondary / emergency');
  });
});
