/**
 * The content hash of a rule-set version: SHA-256 of its canonical JSON (RFC 8785), so that
 * re-indenting a file changes nothing and changing any rule, route or header field changes the hash.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no canonical JSON form');
  return text;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export const contentHash = (value: unknown): string => sha256Hex(canonicalJson(value));
