import { expect } from 'chai';
import { checkJsonStructure } from '../../src/http/json-structure.js';

const check = (text: string, maxDepth = 16, maxWidth = 100) => checkJsonStructure(Buffer.from(text, 'utf8'), { maxDepth, maxWidth });

describe('the structure of JSON text, checked on the raw bytes', () => {
  it('lets a referral-shaped body through', () => {
    expect(check('{"a":{"b":{"c":[1,2,{"d":[]}]}},"e":"f"}')).to.equal(undefined);
  });

  describe('depth', () => {
    it('stops at the first level past the limit', () => {
      expect(check('['.repeat(16) + ']'.repeat(16))).to.equal(undefined);
      expect(check('['.repeat(17) + ']'.repeat(17))).to.deep.equal({ kind: 'too-deep' });
      expect(check('{"a":'.repeat(5000) + '1' + '}'.repeat(5000))).to.deep.equal({ kind: 'too-deep' });
    });

    it('ignores brackets inside strings, escaped quotes included', () => {
      expect(check(JSON.stringify({ notes: '[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{' }))).to.equal(undefined);
      expect(check(JSON.stringify({ notes: 'a \\" [[[[[[[[[[[[[[[[[[[[[[[[" [[[' }), 4)).to.equal(undefined);
    });
  });

  describe('width', () => {
    it('refuses a list or object with more entries than the limit, naming where', () => {
      expect(check(JSON.stringify({ a: { list: Array(100).fill(1) } }))).to.equal(undefined);
      expect(check(JSON.stringify({ patient: { notes: Array(101).fill(1) } }))).to.deep.equal({ kind: 'too-wide', path: '/patient/notes' });
      const wide = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i]));
      expect(check(JSON.stringify(wide))).to.deep.equal({ kind: 'too-wide', path: '/' });
    });
  });

  describe('duplicate keys', () => {
    it('finds a key given twice in one object, with its path', () => {
      expect(check('{"redFlags":{"saddleAnaesthesia":true,"nightPain":false,"saddleAnaesthesia":false}}')).to.deep.equal({
        kind: 'duplicate-key',
        path: '/redFlags/saddleAnaesthesia',
      });
    });

    it('sees through escapes: "\\u0073ex" is "sex"', () => {
      expect(check('{"sex":1,"\\u0073ex":2}')).to.deep.equal({ kind: 'duplicate-key', path: '/sex' });
    });

    it('tells keys of different objects, and keys from string values, apart', () => {
      expect(check('{"a":{"x":1},"b":{"x":1},"c":"a","d":["a","a"]}')).to.equal(undefined);
      expect(check('[{"a":1},{"a":2}]')).to.equal(undefined);
    });

    it('names array positions in the path, and hides names that could be personal data', () => {
      expect(check('{"firedRules":[{"id":1},{"id":2,"id":3}]}')).to.deep.equal({ kind: 'duplicate-key', path: '/firedRules/1/id' });
      expect(check('{"Quillfeather":1,"Quillfeather":2}'), 'a name outside the vocabulary').to.deep.equal({ kind: 'duplicate-key', path: '/(unnamed)' });
      expect(check('{"Jane Smith 1958":1,"Jane Smith 1958":2}')).to.deep.equal({ kind: 'duplicate-key', path: '/(unnamed)' });
    });
  });

  describe('characters no text can store', () => {
    it('finds U+0000 and lone surrogates in escapes, naming the field', () => {
      expect(check('{"patient":{"name":"a\\u0000b"}}')).to.deep.equal({ kind: 'bad-character', path: '/patient/name' });
      expect(check('{"notes":"\\uD800"}')).to.deep.equal({ kind: 'bad-character', path: '/notes' });
      expect(check('{"notes":"\\udc00\\ud800"}'), 'a low half before a high one').to.deep.equal({ kind: 'bad-character', path: '/notes' });
      expect(check('["x","\\ud83d\\u0041"]')).to.deep.equal({ kind: 'bad-character', path: '/1' });
      expect(check('{"\\u0000":1}'), 'in a key: the object holding it').to.deep.equal({ kind: 'bad-character', path: '/' });
    });

    it('lets a surrogate pair through, and an escaped backslash before "u0000"', () => {
      expect(check('{"notes":"\\ud83d\\ude00 \\uD83D\\uDE00"}')).to.equal(undefined);
      expect(check('{"notes":"\\\\u0000"}')).to.equal(undefined);
    });
  });

  it('leaves text that is not JSON for the parser to reject', () => {
    expect(check('{"a":1,,}')).to.equal(undefined);
    expect(check('{"a')).to.equal(undefined);
    expect(check('{"a":1,"a'), 'a key with no closing quote').to.equal(undefined);
    expect(check('{"a\u0001":1,"a\u0001":2}'), 'a raw control character in a key').to.equal(undefined);
  });
});
