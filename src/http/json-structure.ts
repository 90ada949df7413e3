/**
 * A check of JSON text's structure on the raw bytes, before JSON.parse, so that no code ever walks
 * a hostile structure:
 * - nesting deeper than `maxDepth` (JSON.stringify, clone and winston throw near depth 4,000);
 * - an array or object with more than `maxWidth` entries (ajv would report one error per item);
 * - a key twice in one object: JSON.parse silently keeps the last, so
 *   `"saddleAnaesthesia": true, "saddleAnaesthesia": false` would read as "no red flag".
 * Text that is not valid JSON is left for JSON.parse to reject.
 */

import { safePointerSegment } from '../schemas/schema-issues.js';

export type StructureProblem =
  | { kind: 'too-deep' }
  | { kind: 'too-wide'; path: string }
  | { kind: 'duplicate-key'; path: string };

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
      for (i = start; i < bytes.length && bytes[i] !== QUOTE; i++) if (bytes[i] === BACKSLASH) i++;
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
