/**
 * Names as people compare them, where a name must still be compared (a rule set's authors written
 * in its file, against the clinical lead approving it): identities decide first, and this stands
 * behind them, so that "Dr. Alice Author", "dr alice  author" and "Dr Аlice Author" (a Cyrillic А)
 * are all Alice Author.
 *
 * The key of a name: Unicode NFKC (compatibility forms: full-width letters, ligatures), full case
 * folding (upper then lower case, so ß is ss), punctuation, symbols, spacing and invisible format
 * characters removed, then the UTS #39 skeleton (NFD, each character mapped through Unicode's
 * confusables table, NFD again), folded once more: two names are the same when their keys are.
 */
import unhomoglyph from 'unhomoglyph';

const NOT_LETTERS = /[\p{P}\p{S}\p{Z}\p{Cc}\p{Cf}\s]/gu;

const fold = (text: string) => text.toUpperCase().toLowerCase();

/** UTS #39 skeleton: the confusables mapping (unhomoglyph holds Unicode's confusables.txt) between two NFDs. */
const skeleton = (text: string) => unhomoglyph(text.normalize('NFD')).normalize('NFD');

export function nameKey(name: string): string {
  const plain = fold(name.normalize('NFKC')).replace(NOT_LETTERS, '');
  return fold(skeleton(plain)).replace(NOT_LETTERS, '');
}

/** Whether two names are one person's name, spelt or spaced otherwise, or with look-alike letters. */
export const sameName = (a: string, b: string): boolean => {
  const key = nameKey(a);
  return key !== '' && key === nameKey(b);
};
