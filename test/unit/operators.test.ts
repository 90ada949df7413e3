import { expect } from 'chai';
import { OPERATORS } from '../../src/rules/operators.js';

/** json-rules-engine's Operator evaluates at run time; its published types leave evaluate out. */
interface Evaluating {
  name: string;
  evaluate(factValue: unknown, value: unknown): boolean;
}
const EVALUATING = OPERATORS as unknown as readonly Evaluating[];

const operator = (name: string): Evaluating => {
  const found = EVALUATING.find((o) => o.name === name);
  if (!found) throw new Error(`no operator ${name}`);
  return found;
};

describe('operators', () => {
  it('offers exactly json-rules-engine’s ten operators', () => {
    expect(OPERATORS.map((o) => o.name)).to.have.members([
      'equal', 'notEqual', 'in', 'notIn', 'contains', 'doesNotContain',
      'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive',
    ]);
  });

  it('makes every condition on an absent fact false, negative operators included', () => {
    for (const o of EVALUATING) {
      const value = o.name.includes('In') || o.name === 'in' ? ['x'] : o.name.includes('ontain') ? 'x' : o.name.includes('Than') ? 3 : 'x';
      expect(o.evaluate(undefined, value), o.name).to.equal(false);
    }
  });

  it('compares present values as json-rules-engine does', () => {
    expect(operator('equal').evaluate('knee', 'knee')).to.equal(true);
    expect(operator('notEqual').evaluate('knee', 'hip')).to.equal(true);
    expect(operator('in').evaluate('knee', ['hip', 'knee'])).to.equal(true);
    expect(operator('notIn').evaluate('elbow', ['hip', 'knee'])).to.equal(true);
    expect(operator('contains').evaluate(['buttock-pain'], 'buttock-pain')).to.equal(true);
    expect(operator('doesNotContain').evaluate(['buttock-pain'], 'onset-before-35')).to.equal(true);
    expect(operator('lessThan').evaluate(11, 12)).to.equal(true);
    expect(operator('lessThan').evaluate(12, 12)).to.equal(false);
    expect(operator('lessThanInclusive').evaluate(12, 12)).to.equal(true);
    expect(operator('greaterThan').evaluate(50, 50)).to.equal(false);
    expect(operator('greaterThanInclusive').evaluate(60, 60)).to.equal(true);
  });

  it('never compares a string as a number', () => {
    expect(operator('greaterThan').evaluate('60', 50)).to.equal(false);
  });
});
