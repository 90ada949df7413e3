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

/**
 * The content a rule-set version's hash covers: everything that defines it and decides, which is
 * the whole file except its lifecycle (`status`) and its sign-offs (`approvals`). Approving,
 * activating or retiring a version therefore keeps the hash that its decisions recorded.
 */
export function ruleSetContent<T extends { status?: unknown; approvals?: unknown }>(document: T): Omit<T, 'status' | 'approvals'> {
  const { status: _status, approvals: _approvals, ...content } = document;
  return content;
}
