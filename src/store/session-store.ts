/**
 * The SQL for web page sessions: the database keeps the SHA-256 of each session's id, never the id
 * the cookie holds. A session is read with the token it was started with, so that a revoked or
 * expired token ends it at the next request. A session started with the identity provider keeps its
 * ID token, read only as the session ends (for signing out at the provider) and cleared then: it is
 * never part of the record a request reads.
 */
import type { Role } from '../domain/roles.js';
import type { Queryable } from './database.js';

export interface SessionRecord {
  principalId: string;
  role: Role;
  practice: string | null;
  name: string;
  via: 'token' | 'oidc';
  tokenId: string | null;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  /** the token's own state, when the session was started with one */
  tokenRevokedAt: Date | null;
  tokenExpiresAt: Date | null;
}

interface SessionRow {
  principal_id: string;
  role: Role;
  practice_ods: string | null;
  name: string;
  via: 'token' | 'oidc';
  token_id: string | null;
  csrf_token: string;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  ended_at: Date | null;
  token_revoked_at: Date | null;
  token_expires_at: Date | null;
}

const date = (value: Date | null): Date | null => (value ? new Date(value) : null);

export async function insertSession(
  db: Queryable,
  s: { idSha256: string; principalId: string; role: Role; practice: string | null; name: string; via: 'token' | 'oidc'; tokenId: string | null; idToken: string | null; csrfToken: string; now: Date; expiresAt: Date },
): Promise<void> {
  await db.query(
    `insert into web_sessions (id_sha256, principal_id, role, practice_ods, name, via, token_id, id_token, csrf_token, created_at, last_seen_at, expires_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11)`,
    [s.idSha256, s.principalId, s.role, s.practice, s.name, s.via, s.tokenId, s.idToken, s.csrfToken, s.now, s.expiresAt],
  );
}

export async function sessionByHash(db: Queryable, idSha256: string): Promise<SessionRecord | undefined> {
  const [row] = await db.query<SessionRow>(
    `select s.principal_id, s.role, s.practice_ods, s.name, s.via, s.token_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, s.ended_at,
            t.revoked_at as token_revoked_at, t.expires_at as token_expires_at
       from web_sessions s left join api_tokens t on t.id = s.token_id
      where s.id_sha256 = $1`,
    [idSha256],
  );
  if (!row) return undefined;
  return {
    principalId: row.principal_id,
    role: row.role,
    practice: row.practice_ods,
    name: row.name,
    via: row.via,
    tokenId: row.token_id,
    csrfToken: row.csrf_token,
    createdAt: new Date(row.created_at),
    lastSeenAt: new Date(row.last_seen_at),
    expiresAt: new Date(row.expires_at),
    endedAt: date(row.ended_at),
    tokenRevokedAt: date(row.token_revoked_at),
    tokenExpiresAt: date(row.token_expires_at),
  };
}

/** Records a request in the session (for its idle expiry); not once it has ended. */
export async function touchSession(db: Queryable, idSha256: string, now: Date): Promise<void> {
  await db.query('update web_sessions set last_seen_at = $2 where id_sha256 = $1 and ended_at is null and last_seen_at < $2', [idSha256, now]);
}

/**
 * Ends a session (sign-out, or expiry found at a request): it is never used again, and forgets the
 * provider's ID token it held. What this call ended (with that ID token, for signing out at the
 * provider), or undefined when it had already ended.
 */
export async function endSession(db: Queryable, idSha256: string, now: Date): Promise<{ idToken: string | null } | undefined> {
  // The ID token as it was before this update cleared it (RETURNING gives the new row's values).
  const [row] = await db.query<{ id_token: string | null }>(
    `with ending as (select id_sha256, id_token from web_sessions where id_sha256 = $1 and ended_at is null)
     update web_sessions s set ended_at = $2, id_token = null from ending
      where s.id_sha256 = ending.id_sha256 and s.ended_at is null
     returning ending.id_token`,
    [idSha256, now],
  );
  return row ? { idToken: row.id_token } : undefined;
}

/** Forgets the sessions that expired before `before`: a session is no record of who did what (the audit trail is). */
export async function deleteSessionsExpiredBefore(db: Queryable, before: Date): Promise<number> {
  const rows = await db.query<{ id_sha256: string }>('delete from web_sessions where expires_at < $1 returning id_sha256', [before]);
  return rows.length;
}
