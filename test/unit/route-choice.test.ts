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

describe('choosing the route with the msk-policy-v2 procedure (decisionProcedure "2")', () => {
  it('ranks emergency above very-urgent above urgent', () => {
    const [e, v, u] = [aRule('gp', 'emergency'), aRule('secondary', 'very-urgent'), aRule('secondary', 'urgent')];
    expect(chooseRoute([u, v], DEFAULT, '2').winningRule).to.equal(v);
    expect(chooseRoute([u, v, e], DEFAULT, '2').winningRule).to.equal(e);
  });

  it('asks for review when the rules at the winning urgency name different services on one pathway, and says so', () => {
    const [first, second] = [aRule('secondary', 'emergency'), aRule('secondary', 'emergency')];
    const choice = chooseRoute([first, second], DEFAULT, '2');
    expect(choice.winningRule).to.equal(first); // file order names the service
    expect(choice.reviewRequired).to.equal(true);
    expect(choice.explanation.at(-1)).to.contain('different services on the secondary pathway').and.contain(first.route.service).and.contain(second.route.service);
    expect(chooseRoute([first, second], DEFAULT, '1').reviewRequired).to.equal(false); // what 1.0.0 did
  });

  it('asks for review when any rule at the winning urgency asks, not only the winner, and names it', () => {
    const winner = aRule('secondary', 'very-urgent', { route: { pathway: 'secondary', urgency: 'very-urgent', service: 'shared' } });
    const asking = aRule('secondary', 'very-urgent', { reviewRequired: true, route: { pathway: 'secondary', urgency: 'very-urgent', service: 'shared' } });
    const choice = chooseRoute([winner, asking], DEFAULT, '2');
    expect(choice.winningRule).to.equal(winner);
    expect(choice.reviewRequired).to.equal(true);
    expect(choice.explanation.at(-1)).to.equal(`A triage clinician must review this referral: ${asking.id} asks for review.`);
    expect(chooseRoute([winner, asking], DEFAULT, '1').reviewRequired).to.equal(false);
  });

  it('still asks for review when pathways differ, and never for a rule below the winning urgency', () => {
    const choice = chooseRoute([aRule('gp', 'soon'), aRule('community', 'soon'), aRule('physio', 'routine', { reviewRequired: true })], DEFAULT, '2');
    expect(choice.route.pathway).to.equal('community');
    expect(choice.explanation.filter((line) => line.startsWith('A triage clinician must review'))).to.deep.equal([
      'A triage clinician must review this referral: the rules at soon name different pathways (community, gp).',
    ]);
    const alone = chooseRoute([aRule('secondary', 'urgent'), aRule('physio', 'routine', { reviewRequired: true })], DEFAULT, '2');
    expect(alone.reviewRequired).to.equal(false);
  });

  it('needs no review when the rules at the winning urgency agree on pathway and service and none asks', () => {
    const shared = { pathway: 'physio', urgency: 'routine', service: 'physiotherapy' } as const;
    expect(chooseRoute([aRule('physio', 'routine', { route: shared }), aRule('physio', 'routine', { route: shared })], DEFAULT, '2').reviewRequired).to.equal(false);
  });
});
