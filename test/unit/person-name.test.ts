import { expect } from 'chai';
import { nameKey, sameName } from '../../src/domain/person-name.js';

describe('names as people compare them (NFKC, case folding, no punctuation or spacing, UTS #39 skeletons)', () => {
  const author = 'Dr Alice Author';

  it('takes a dotted, spaced, cased or hyphenated spelling of a name as that name', () => {
    for (const spelling of ['Dr. Alice Author', 'dr alice author', 'DR  ALICE   AUTHOR', ' Dr Alice Author ', 'Dr.Alice.Author', 'Dr Alice-Author', 'Dr Alice Author,', 'Dr\u00a0Alice\tAuthor']) {
      expect(sameName(spelling, author), JSON.stringify(spelling)).to.equal(true);
    }
  });

  it('takes look-alike letters from other scripts, compatibility forms and invisible characters as the letters they imitate', () => {
    for (const spelling of [
      'Dr \u0410lice Author', // Cyrillic А
      'Dr Alic\u0435 Auth\u043er', // Cyrillic е and о
      'Dr Al\u0456ce Author', // Cyrillic і
      'Dr \uff21lice Author', // full-width Ａ
      'Dr Ali\u200bce Author', // a zero-width space
      'Dr Ali\u00adce Author', // a soft hyphen
      'Dr \u0391lice Author', // Greek Α
      'Dr A\u217cice Author', // the Roman numeral ⅼ
    ]) {
      expect(sameName(spelling, author), JSON.stringify(spelling)).to.equal(true);
    }
    expect(sameName('Straße', 'STRASSE'), 'full case folding').to.equal(true);
  });

  it('tells different names apart', () => {
    for (const other of ['Dr Alicia Author', 'Dr Alice Authors', 'Dr Bob Author', 'Alice Author', 'Dr Alice']) {
      expect(sameName(other, author), other).to.equal(false);
    }
  });

  it('never takes an empty name, or one of punctuation alone, as anyone', () => {
    expect(sameName('', '')).to.equal(false);
    expect(sameName('...', '--')).to.equal(false);
    expect(nameKey(' . ')).to.equal('');
  });
});
