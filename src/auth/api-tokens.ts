/**
 * Bearer tokens for local and small deployments, issued at the command line. A token is 32 random
 * bytes, shown once; the database keeps only its SHA-256 (a token has full entropy, so a fast hash
 * is enough, and look-up by hash is one index probe). Tokens can expire and be revoked; a revoked
 * token stays in the table so that the audit trail's actors remain known.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../store/database.js';
import type { Principal, Role } from './principal.js';

/** Every token starts with this, so that it is recognisable in a leaked file (and by secret scanners). */
export const TOKEN_PREFIX = 'msk_';
export const TOKEN_PATTERN = /^msk_[A-Za-z0-9_-]{43}$/;

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  practice: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

interface TokenRow {
  id: string;
  name: string;
  role: Role;
  practice_ods: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const fromRow = (row: TokenRow): TokenRecord => ({
  id: row.id,
  name: row.name,
  role: row.role,
  practice: row.practice_ods,
  createdAt: new Date(row.created_at),
  expiresAt: row.expires_at ? new Date(row.expires_at) : null,
  revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
});

const tokenSha256 = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export const principalIdOfToken = (tokenId: string): string => `token:${tokenId}`;

export async function createToken(
  db: Queryable,
  input: { name: string; role: Role; practice?: string; expiresAt: Date | null; now: Date },
): Promise<{ token: string; record: TokenRecord }> {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const id = randomUUID();
  const [row] = await db.query<TokenRow>(
    `insert into api_tokens (id, token_sha256, name, role, practice_ods, created_at, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7) returning *`,
    [id, tokenSha256(token), input.name, input.role, input.practice ?? null, input.now, input.expiresAt],
  );
  return { token, record: fromRow(row as TokenRow) };
}

export async function listTokens(db: Queryable): Promise<TokenRecord[]> {
  return (await db.query<TokenRow>('select * from api_tokens order by created_at, id')).map(fromRow);
}

/** The ids of the tokens whose id starts with `prefix` (at least 8 characters of it), for revoking by a short id. */
export async function tokenIdsStartingWith(db: Queryable, prefix: string): Promise<string[]> {
  if (!/^[0-9a-f-]{8,36}$/i.test(prefix)) return [];
  return (await db.query<{ id: string }>("select id::text as id from api_tokens where id::text like $1 || '%' order by id", [prefix.toLowerCase()])).map((r) => r.id);
}

/** Revokes a token by its id; false when there is no such token or it was revoked already. */
export async function revokeToken(db: Queryable, id: string, now: Date): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
  const rows = await db.query<{ id: string }>('update api_tokens set revoked_at = $2 where id = $1 and revoked_at is null returning id', [id, now]);
  return rows.length === 1;
}

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

/** The principal a presented token stands for, or why it stands for no one. */
export async function checkToken(db: Queryable, token: string, now: Date): Promise<TokenCheck> {
  if (!TOKEN_PATTERN.test(token)) return { ok: false, reason: 'unknown' };
  const [row] = await db.query<TokenRow>('select * from api_tokens where token_sha256 = $1', [tokenSha256(token)]);
  if (!row) return { ok: false, reason: 'unknown' };
  const record = fromRow(row);
  if (record.revokedAt) return { ok: false, reason: 'revoked' };
  if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    principal: {
      id: principalIdOfToken(record.id),
      role: record.role,
      ...(record.practice ? { practice: record.practice } : {}),
      name: record.name,
      via: 'token',
    },
  };
}
