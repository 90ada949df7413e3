/**
 * A check of JSON text's structure on the raw bytes, before JSON.parse, so that no code ever walks
 * a hostile structure:
 * - nesting deeper than `maxDepth` (JSON.stringify, clone and winston throw near depth 4,000);
 * - an array or object with more than `maxWidth` entries (ajv would report one error per item);
 * - a key twice in one object: JSON.parse silently keeps the last, so
 *   `"saddleAnaesthesia": true, "saddleAnaesthesia": false` would read as "no red flag".
 * - a string holding U+0000 or a lone surrogate (`\u0000`, `\ud800`): PostgreSQL cannot store the
 *   first, and text with the second is not Unicode (it cannot be hashed or stored faithfully);
 * - bytes that are not well-formed UTF-8 (Unicode Table 3-7: overlong forms, encoded surrogates,
 *   beyond U+10FFFF, bytes such as 0xFF that UTF-8 never uses, a sequence cut short): a decoder would
 *   read each as U+FFFD, and what was meant would be stored as something else.
 * Text that is not valid JSON is left for JSON.parse to reject.
 *
 * One pass over the bytes, escapes decoded as they are met; a key is made a string only to be
 * compared with its object's other keys, and a path only for the problem found (a few µs a referral).
 */

import { safePointerSegment } from '../schemas/schema-issues.js';

export type StructureProblem =
  | { kind: 'too-deep' }
  | { kind: 'too-wide'; path: string }
  | { kind: 'duplicate-key'; path: string }
  | { kind: 'bad-character'; path: string }
  /** `offset`: where the first byte of the bad sequence is in the body (what names it when no field can) */
  | { kind: 'not-utf8'; path: string; offset: number };

export interface StructureLimits {
  maxDepth: number;
  maxWidth: number;
}

interface Level {
  keys: Set<string> | undefined; // objects only
  expectKey: boolean;
  /** objects: the current key, once there is one */
  key: string | undefined;
  entries: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LOWER_U = 0x75;

/** The current key (objects) or index (arrays) of each level, as a JSON Pointer; names outside the vocabulary hidden. */
function pointer(levels: readonly Level[], count: number): string {
  let path = '';
  for (let i = 0; i < count; i++) {
    const level = levels[i] as Level;
    if (level.keys) path += level.key === undefined ? '' : safePointerSegment(level.key);
    else path += `/${level.entries - 1}`;
  }
  return path;
}

/** The value of a hex digit, or -1. */
function hexDigit(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x57 : -1;
}

/** The code unit of the four hex digits at `i`, or -1. */
function hexUnit(bytes: Uint8Array, i: number): number {
  const a = hexDigit(bytes[i]);
  const b = hexDigit(bytes[i + 1]);
  const c = hexDigit(bytes[i + 2]);
  const d = hexDigit(bytes[i + 3]);
  return a < 0 || b < 0 || c < 0 || d < 0 ? -1 : (a << 12) | (b << 8) | (c << 4) | d;
}

/**
 * The length of the well-formed UTF-8 sequence that starts with the byte at `i` (at least 0x80), or 0
 * when it is not one: the second byte's range depends on the first (E0 A0–BF refuses overlong
 * three-byte forms, ED 80–9F the surrogates, F0 90–BF overlong four-byte forms, F4 80–8F anything
 * beyond U+10FFFF); C0, C1 and F5–FF never start a sequence.
 */
export function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const first = bytes[i] as number;
  let length: number;
  let low = 0x80;
  let high = 0xbf;
  if (first >= 0xc2 && first <= 0xdf) length = 2;
  else if (first >= 0xe0 && first <= 0xef) {
    length = 3;
    if (first === 0xe0) low = 0xa0;
    else if (first === 0xed) high = 0x9f;
  } else if (first >= 0xf0 && first <= 0xf4) {
    length = 4;
    if (first === 0xf0) low = 0x90;
    else if (first === 0xf4) high = 0x8f;
  } else return 0;
  const second = bytes[i + 1];
  if (second === undefined || second < low || second > high) return 0;
  for (let k = 2; k < length; k++) {
    const next = bytes[i + k];
    if (next === undefined || next < 0x80 || next > 0xbf) return 0;
  }
  return length;
}

/** Where the first byte that is not well-formed UTF-8 is, or -1 when every byte is. */
export function firstNonUtf8Byte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i] as number) < 0x80) continue;
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) return i;
    i += length - 1;
  }
  return -1;
}

/** A key as JSON.parse would read it, or undefined when it is not a JSON string. */
function decodeKey(text: Buffer, start: number, end: number, escapes: boolean, control: boolean, ascii: boolean): string | undefined {
  if (end >= text.length || control) return undefined; // no closing quote, or a raw control character
  if (!escapes) return text.toString(ascii ? 'latin1' : 'utf8', start, end);
  try {
    return JSON.parse(text.toString('utf8', start - 1, end + 1)) as string;
  } catch {
    return undefined;
  }
}

export function checkJsonStructure(bytes: Uint8Array, limits: StructureLimits): StructureProblem | undefined {
  const text = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = text.length;
  const levels: Level[] = [];
  let depth = 0;
  for (let i = 0; i < length; i++) {
    const byte = text[i] as number;
    const top = depth > 0 ? (levels[depth - 1] as Level) : undefined;
    if (byte === QUOTE) {
      const start = i + 1;
      let escapes = false;
      let bad = false;
      let control = false;
      let ascii = true;
      const isKey = top !== undefined && top.keys !== undefined && top.expectKey;
      for (i = start; i < length; i++) {
        const b = text[i] as number;
        if (b === QUOTE) break;
        if (b !== BACKSLASH) {
          if (b < 0x20) control = true;
          else if (b >= 0x80) {
            ascii = false;
            const sequence = utf8SequenceLength(text, i);
            // a key that is not UTF-8 cannot be named: the object holding it is
            if (sequence === 0) return { kind: 'not-utf8', path: pointer(levels, isKey ? depth - 1 : depth) || '/', offset: i };
            i += sequence - 1; // continuation bytes are never a quote or a backslash
          }
          continue;
        }
        escapes = true;
        if (!bad && text[i + 1] === LOWER_U) {
          const unit = hexUnit(text, i + 2);
          if (unit === 0 || (unit >= 0xdc00 && unit <= 0xdfff)) bad = true; // U+0000, or a low surrogate not after a high one
          else if (unit >= 0xd800 && unit <= 0xdbff) {
            const next = text[i + 6] === BACKSLASH && text[i + 7] === LOWER_U ? hexUnit(text, i + 8) : -1;
            if (next < 0xdc00 || next > 0xdfff) bad = true;
            else i += 6; // the pair's low half is read with it
          }
        }
        i++; // the escaped character
      }
      if (bad) return { kind: 'bad-character', path: pointer(levels, isKey ? depth - 1 : depth) || '/' };
      if (isKey) {
        const key = decodeKey(text, start, i, escapes, control, ascii);
        if (key === undefined) return undefined;
        const keys = top.keys as Set<string>;
        if (keys.has(key)) return { kind: 'duplicate-key', path: pointer(levels, depth - 1) + safePointerSegment(key) };
        keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
    } else if (byte === 0x7b || byte === 0x5b) {
      // { or [
      if (depth >= limits.maxDepth) return { kind: 'too-deep' };
      const object = byte === 0x7b;
      levels[depth++] = { keys: object ? new Set() : undefined, expectKey: object, key: undefined, entries: 1 };
    } else if (byte === 0x7d || byte === 0x5d) {
      // } or ]
      if (depth > 0) depth--;
    } else if (byte === 0x2c && top) {
      // ,
      top.entries += 1;
      if (top.entries > limits.maxWidth) return { kind: 'too-wide', path: pointer(levels, depth - 1) || '/' };
      if (top.keys) top.expectKey = true;
    } else if (byte >= 0x80) {
      // outside any string: not JSON either way, but bytes that are not UTF-8 are named as such
      const sequence = utf8SequenceLength(text, i);
      if (sequence === 0) return { kind: 'not-utf8', path: pointer(levels, top?.keys && top.expectKey ? depth - 1 : depth) || '/', offset: i };
      i += sequence - 1;
    }
  }
  return undefined;
}
