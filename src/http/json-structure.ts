/**
 * A check of JSON text's structure on the raw bytes, before JSON.parse, so that no code ever walks
 * a hostile structure:
 * - nesting deeper than `maxDepth` (JSON.stringify, clone and winston throw near depth 4,000);
 * - an array or object with more than `maxWidth` entries (ajv would report one error per item);
 * - a key twice in one object: JSON.parse silently keeps the last, so
 *   `"saddleAnaesthesia": true, "saddleAnaesthesia": false` would read as "no red flag".
 * - a string holding U+0000 or a lone surrogate (`\u0000`, `\ud800`): PostgreSQL cannot store the
 *   first, and text with the second is not Unicode (it cannot be hashed or stored faithfully).
 * Text that is not valid JSON is left for JSON.parse to reject.
 */

import { safePointerSegment } from '../schemas/schema-issues.js';

export type StructureProblem =
  | { kind: 'too-deep' }
  | { kind: 'too-wide'; path: string }
  | { kind: 'duplicate-key'; path: string }
  | { kind: 'bad-character'; path: string };

export interface StructureLimits {
  maxDepth: number;
  maxWidth: number;
}

interface Level {
  keys?: Set<string>; // objects only
  expectKey: boolean;
  position: string; // the current key (objects) or index (arrays), as a pointer segment
  entries: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const pointer = (levels: readonly Level[]) => levels.map((level) => level.position).join('');

const HEX = /^[0-9a-fA-F]{4}$/;

/** The code unit of the `\uXXXX` escape at `i` (the backslash), or undefined. */
function escapedUnit(bytes: Uint8Array, i: number): number | undefined {
  if (bytes[i] !== BACKSLASH || bytes[i + 1] !== 0x75) return undefined;
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset + i + 2, Math.min(4, bytes.length - i - 2)).toString('latin1');
  return HEX.test(hex) ? parseInt(hex, 16) : undefined;
}

/** Whether the string from `start` to `end` (exclusive) escapes U+0000 or a surrogate without its pair. */
function hasBadCharacter(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (bytes[i] !== BACKSLASH) continue;
    const unit = escapedUnit(bytes, i);
    if (unit === undefined) {
      i++; // another escape: skip the escaped character
      continue;
    }
    if (unit === 0) return true;
    if (unit >= 0xdc00 && unit <= 0xdfff) return true; // a low surrogate not after a high one
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = escapedUnit(bytes, i + 6);
      if (next === undefined || next < 0xdc00 || next > 0xdfff) return true;
      i += 6; // the pair's low half
    }
    i += 5;
  }
  return false;
}

function decodeKey(bytes: Uint8Array, start: number, end: number): string | undefined {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + start - 1, end - start + 2).toString('utf8')) as string;
  } catch {
    return undefined;
  }
}

export function checkJsonStructure(bytes: Uint8Array, limits: StructureLimits): StructureProblem | undefined {
  const levels: Level[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    const top = levels.at(-1);
    if (byte === QUOTE) {
      const start = i + 1;
      let escapes = false;
      for (i = start; i < bytes.length && bytes[i] !== QUOTE; i++) {
        if (bytes[i] === BACKSLASH) {
          escapes = true;
          i++;
        }
      }
      const isKey = Boolean(top?.keys && top.expectKey);
      if (escapes && hasBadCharacter(bytes, start, i)) return { kind: 'bad-character', path: isKey ? pointer(levels.slice(0, -1)) || '/' : pointer(levels) || '/' };
      if (top?.keys && top.expectKey) {
        const key = decodeKey(bytes, start, i);
        if (key === undefined) return undefined;
        const path = pointer(levels.slice(0, -1)) + safePointerSegment(key);
        if (top.keys.has(key)) return { kind: 'duplicate-key', path };
        top.keys.add(key);
        top.position = safePointerSegment(key);
        top.expectKey = false;
      }
    } else if (byte === 0x7b || byte === 0x5b) {
      // { or [
      if (levels.length >= limits.maxDepth) return { kind: 'too-deep' };
      levels.push(byte === 0x7b ? { keys: new Set(), expectKey: true, position: '', entries: 1 } : { expectKey: false, position: '/0', entries: 1 });
    } else if (byte === 0x7d || byte === 0x5d) {
      // } or ]
      levels.pop();
    } else if (byte === 0x2c && top) {
      // ,
      top.entries += 1;
      if (top.entries > limits.maxWidth) return { kind: 'too-wide', path: pointer(levels.slice(0, -1)) || '/' };
      if (top.keys) top.expectKey = true;
      else top.position = `/${top.entries - 1}`;
    }
  }
  return undefined;
}
