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

  describe('bytes that are not UTF-8', () => {
    const withBytes = (before: string, bytes: readonly number[], after: string) =>
      checkJsonStructure(Buffer.concat([Buffer.from(before, 'utf8'), Buffer.from(bytes), Buffer.from(after, 'utf8')]), { maxDepth: 16, maxWidth: 100 });

    it('refuses an overlong form, an encoded surrogate, a code point beyond U+10FFFF and 0xFF in a value, naming the field and the byte', () => {
      const before = '{"referrer":{"clinicianName":"Dr ';
      for (const [label, bytes] of [
        ['overlong "/" (C0 AF)', [0xc0, 0xaf]],
        ['overlong three-byte NUL (E0 80 80)', [0xe0, 0x80, 0x80]],
        ['overlong four-byte (F0 80 80 AF)', [0xf0, 0x80, 0x80, 0xaf]],
        ['an encoded high surrogate (ED A0 80)', [0xed, 0xa0, 0x80]],
        ['an encoded low surrogate (ED BF BF)', [0xed, 0xbf, 0xbf]],
        ['U+110000 (F4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
        ['F5, which never starts a sequence', [0xf5, 0x80, 0x80, 0x80]],
        ['0xFF', [0xff]],
        ['a continuation byte alone (80)', [0x80]],
        ['a sequence cut short (E2 82, then the quote)', [0xe2, 0x82]],
      ] as const) {
        expect(withBytes(before, bytes, '"}}'), label).to.deep.equal({ kind: 'not-utf8', path: '/referrer/clinicianName', offset: Buffer.byteLength(before) });
      }
    });

    it('lets every well-formed sequence through, at the edges of each range', () => {
      // U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF: the first and last of each length and around the surrogates
      for (const point of [0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xffff, 0x10000, 0x10ffff]) {
        expect(check(JSON.stringify({ notes: `a${String.fromCodePoint(point)}b` })), point.toString(16)).to.equal(undefined);
      }
      expect(check(JSON.stringify({ notes: 'Żółć 😀' }))).to.equal(undefined);
    });

    it('names the object holding a field name that is not UTF-8, and the list position of a value', () => {
      expect(withBytes('{"patient":{"', [0xff], '":1}}')).to.deep.equal({ kind: 'not-utf8', path: '/patient', offset: 13 });
      expect(withBytes('{"notes":["a","', [0xc0, 0x80], '"]}')).to.deep.equal({ kind: 'not-utf8', path: '/notes/1', offset: 15 });
    });

    it('names the body position where no field can: the byte between tokens or at the top', () => {
      expect(withBytes('{', [0xff], '}')).to.deep.equal({ kind: 'not-utf8', path: '/', offset: 1 });
      expect(withBytes('"', [0xff], '"')).to.deep.equal({ kind: 'not-utf8', path: '/', offset: 1 });
    });
  });

  it('leaves text that is not JSON for the parser to reject', () => {
    expect(check('{"a":1,,}')).to.equal(undefined);
    expect(check('{"a')).to.equal(undefined);
    expect(check('{"a":1,"a'), 'a key with no closing quote').to.equal(undefined);
    expect(check('{"a\u0001":1,"a\u0001":2}'), 'a raw control character in a key').to.equal(undefined);
  });
});
