/**
 * Bearer tokens for local and small deployments, issued at the command line. A token is 32 random
 * bytes, shown once; the database keeps only its SHA-256 (a token has full entropy, so a fast hash
 * is enough, and look-up by hash is one index probe). Tokens can expire and be revoked; a revoked
 * token stays in the table so that the audit trail's actors remain known.
 *
 * A token belongs to a person (people, not tokens): the principal it stands for is the person
 * (`person:<id>`), so that two tokens of one person are one actor in approvals, reviews and the audit
 * trail. Issuing one either makes a new person (a name, a role, a GP's practice) or gives another
 * token to a person who has one (`--person <id>`), with that person's role and practice.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appendAuditEvents } from '../audit/audit-trail.js';
import type { Database, Queryable } from '../store/database.js';
import { allPeople, allTokens, insertPerson, insertToken, markTokenRevoked, personById, personIdsLike, tokenByHash, tokenIdsLike, type Person, type TokenRecord } from '../store/token-store.js';
import type { Role } from '../domain/roles.js';
import type { Principal } from './principal.js';
import { forgetRevokedToken, type VerifiedTokens } from './verified-tokens.js';

/** Every token starts with this, so that it is recognisable in a leaked file (and by secret scanners). */
export const TOKEN_PREFIX = 'msk_';
export const TOKEN_PATTERN = /^msk_[A-Za-z0-9_-]{43}$/;

const tokenSha256 = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** The pseudonymous id of a person of this service: what the audit trail, approvals and reviews name. */
export const principalIdOfPerson = (personId: string): string => `person:${personId}`;

/** Why a token cannot be issued to the person asked for. */
export class PersonMismatchError extends Error {
  override readonly name = 'PersonMismatchError';
}

/**
 * Issues a token. With `personId`, to that person (their role and practice; a role or practice given
 * must be theirs, and `name` labels the token); without, to a new person named `name`.
 */
export async function createToken(
  db: Queryable,
  input: { name: string; role: Role; practice?: string; expiresAt: Date | null; now: Date; personId?: string },
): Promise<{ token: string; record: TokenRecord; person: Person; newPerson: boolean }> {
  let person: Person | undefined;
  if (input.personId !== undefined) {
    person = await findPerson(db, input.personId);
    if (!person) throw new PersonMismatchError(`no person with id ${input.personId}: \`msk-triage token people\` lists them`);
    if (person.role !== input.role) throw new PersonMismatchError(`${input.personId} is a ${person.role}: a token has its person's role`);
    if (input.practice !== undefined && input.practice !== person.practice) throw new PersonMismatchError(`${input.personId} is of practice ${person.practice ?? '(none)'}: a token has its person's practice`);
  }
  const newPerson = person === undefined;
  person ??= await insertPerson(db, { id: randomUUID(), displayName: input.name, role: input.role, practice: input.practice ?? null, createdAt: input.now });
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const record = await insertToken(db, {
    id: randomUUID(),
    personId: person.id,
    tokenSha256: tokenSha256(token),
    name: input.name,
    role: person.role,
    practice: person.practice,
    createdAt: input.now,
    expiresAt: input.expiresAt,
  });
  return { token, record, person, newPerson };
}

/** Who issues a token: the operator at the command line (src/cli/token-commands.ts). */
export interface TokenIssuer {
  id: string;
  role: string;
}

/**
 * Issues a token as createToken does, with its `token.created` audit event, in one transaction:
 * every token is in the signed trail, and `audit verify` names one that is not (a token row inserted
 * behind the service's back). Who, which token and person; never the token.
 */
export async function issueToken(
  db: Database,
  input: Parameters<typeof createToken>[1],
  by: TokenIssuer = { id: 'cli:operator', role: 'operator' },
): ReturnType<typeof createToken> {
  return db.transaction(async (tx) => {
    const made = await createToken(tx, input);
    await appendAuditEvents(tx, [{
      id: randomUUID(), referralId: null, type: 'token.created', actor: by.id, actorRole: by.role, occurredAt: input.now, ruleset: null,
      details: { tokenId: made.record.id, personId: made.person.id, newPerson: made.newPerson, role: made.record.role, practice: made.record.practice, expiresAt: input.expiresAt?.toISOString() ?? null },
    }]);
    return made;
  });
}

export async function listPeople(db: Queryable): Promise<Person[]> {
  return allPeople(db);
}

export async function findPerson(db: Queryable, id: string): Promise<Person | undefined> {
  return /^[0-9a-f-]{36}$/i.test(id) ? personById(db, id.toLowerCase()) : undefined;
}

/** The ids of the people whose id starts with `prefix` (at least 8 characters of it). */
export async function personIdsStartingWith(db: Queryable, prefix: string): Promise<string[]> {
  if (!/^[0-9a-f-]{8,36}$/i.test(prefix)) return [];
  return personIdsLike(db, prefix.toLowerCase());
}

export async function listTokens(db: Queryable): Promise<TokenRecord[]> {
  return allTokens(db);
}

/** The ids of the tokens whose id starts with `prefix` (at least 8 characters of it), for revoking by a short id. */
export async function tokenIdsStartingWith(db: Queryable, prefix: string): Promise<string[]> {
  if (!/^[0-9a-f-]{8,36}$/i.test(prefix)) return [];
  return tokenIdsLike(db, prefix.toLowerCase());
}

/**
 * Revokes a token by its id; false when there is no such token or it was revoked already. This
 * process's caches drop it at once; other processes' within a second (verified-tokens.ts).
 */
export async function revokeToken(db: Queryable, id: string, now: Date): Promise<boolean> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return false;
  const revoked = await markTokenRevoked(db, id, now);
  if (revoked) forgetRevokedToken(id.toLowerCase());
  return revoked;
}

/** `tokenId`: the token's own id (its person is the principal), for what belongs to the token itself, such as a web session. */
export type TokenCheck = { ok: true; principal: Principal; tokenId: string } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

/** The token's row: from `verified` when it was read less than a second ago, else from the database. */
function tokenRecord(db: Queryable, token: string, verified: VerifiedTokens | undefined): Promise<TokenRecord | undefined> {
  const hash = tokenSha256(token);
  return verified ? verified.lookUp(hash, () => tokenByHash(db, hash)) : tokenByHash(db, hash);
}

/** The principal a presented token stands for, or why it stands for no one. */
export async function checkToken(db: Queryable, token: string, now: Date, verified?: VerifiedTokens): Promise<TokenCheck> {
  if (!TOKEN_PATTERN.test(token)) return { ok: false, reason: 'unknown' };
  const record = await tokenRecord(db, token, verified);
  if (!record) return { ok: false, reason: 'unknown' };
  if (record.revokedAt) return { ok: false, reason: 'revoked' };
  if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    tokenId: record.id,
    principal: {
      id: principalIdOfPerson(record.personId),
      role: record.role,
      ...(record.practice ? { practice: record.practice } : {}),
      name: record.personName,
      via: 'token',
    },
  };
}
