import { expect } from 'chai';
import { exceedsDepth } from '../../src/http/json-body.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('JSON nesting depth, measured on the raw bytes', () => {
  it('lets a referral-shaped body through', () => {
    expect(exceedsDepth(bytes('{"a":{"b":{"c":[1,2,{"d":[]}]}}}'), 16)).to.equal(false);
  });

  it('stops at the first level past the limit', () => {
    expect(exceedsDepth(bytes('['.repeat(16) + ']'.repeat(16)), 16)).to.equal(false);
    expect(exceedsDepth(bytes('['.repeat(17) + ']'.repeat(17)), 16)).to.equal(true);
    expect(exceedsDepth(bytes('{"a":'.repeat(5000) + '1' + '}'.repeat(5000)), 16)).to.equal(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(exceedsDepth(bytes(JSON.stringify({ notes: '[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{' })), 16)).to.equal(false);
    expect(exceedsDepth(bytes(JSON.stringify({ notes: 'a \\" [[[[[[[[[[[[[[[[[[[[[[[[" [[[' })), 4)).to.equal(false);
  });
});
