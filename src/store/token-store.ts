/**
 * The SQL for command-line bearer tokens and the people who hold them: the database keeps each
 * token's SHA-256, never the token. A revoked token stays in the table, so that the audit trail's
 * actors remain known; a person is never changed.
 */
import type { Role } from '../domain/roles.js';
import type { Queryable } from './database.js';

export interface Person {
  id: string;
  displayName: string;
  role: Role;
  practice: string | null;
  createdAt: Date;
}

export interface TokenRecord {
  id: string;
  /** the person who holds it: two tokens of one person are one actor */
  personId: string;
  /** the person's display name: what they sign with */
  personName: string;
  /** the token's own label ("laptop"); the person's name unless one was given */
  name: string;
  role: Role;
  practice: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

interface TokenRow {
  id: string;
  person_id: string;
  person_name: string;
  name: string;
  role: Role;
  practice_ods: string | null;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const fromRow = (row: TokenRow): TokenRecord => ({
  id: row.id,
  personId: row.person_id,
  personName: row.person_name,
  name: row.name,
  role: row.role,
  practice: row.practice_ods,
  createdAt: new Date(row.created_at),
  expiresAt: row.expires_at ? new Date(row.expires_at) : null,
  revokedAt: row.revoked_at ? new Date(row.revoked_at) : null,
});

/** A token's columns, with its holder's display name. */
const TOKEN_COLUMNS = 'api_tokens.*, (select display_name from people where people.id = api_tokens.person_id) as person_name';

interface PersonRow {
  id: string;
  display_name: string;
  role: Role;
  practice_ods: string | null;
  created_at: Date;
}

const personFromRow = (row: PersonRow): Person => ({ id: row.id, displayName: row.display_name, role: row.role, practice: row.practice_ods, createdAt: new Date(row.created_at) });

export async function insertPerson(db: Queryable, person: Person): Promise<Person> {
  const [row] = await db.query<PersonRow>(
    'insert into people (id, display_name, role, practice_ods, created_at) values ($1, $2, $3, $4, $5) returning *',
    [person.id, person.displayName, person.role, person.practice, person.createdAt],
  );
  return personFromRow(row as PersonRow);
}

export async function personById(db: Queryable, id: string): Promise<Person | undefined> {
  const [row] = await db.query<PersonRow>('select * from people where id = $1', [id]);
  return row ? personFromRow(row) : undefined;
}

export async function allPeople(db: Queryable): Promise<Person[]> {
  return (await db.query<PersonRow>('select * from people order by created_at, id')).map(personFromRow);
}

/** The ids, as text, of the people whose id starts with `prefix` (lower case). */
export async function personIdsLike(db: Queryable, prefix: string): Promise<string[]> {
  return (await db.query<{ id: string }>("select id::text as id from people where id::text like $1 || '%' order by id", [prefix])).map((r) => r.id);
}

export async function insertToken(
  db: Queryable,
  token: { id: string; personId: string; tokenSha256: string; name: string; role: Role; practice: string | null; createdAt: Date; expiresAt: Date | null },
): Promise<TokenRecord> {
  const [row] = await db.query<TokenRow>(
    `with inserted as (
       insert into api_tokens (id, person_id, token_sha256, name, role, practice_ods, created_at, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8) returning *)
     select inserted.*, people.display_name as person_name from inserted join people on people.id = inserted.person_id`,
    [token.id, token.personId, token.tokenSha256, token.name, token.role, token.practice, token.createdAt, token.expiresAt],
  );
  return fromRow(row as TokenRow);
}

export async function allTokens(db: Queryable): Promise<TokenRecord[]> {
  return (await db.query<TokenRow>(`select ${TOKEN_COLUMNS} from api_tokens order by created_at, id`)).map(fromRow);
}

/** The ids, as text, of the tokens whose id starts with `prefix` (lower case). */
export async function tokenIdsLike(db: Queryable, prefix: string): Promise<string[]> {
  return (await db.query<{ id: string }>("select id::text as id from api_tokens where id::text like $1 || '%' order by id", [prefix])).map((r) => r.id);
}

/** Marks a token revoked at `now`; false when there is no such token or it was revoked already. */
export async function markTokenRevoked(db: Queryable, id: string, now: Date): Promise<boolean> {
  const rows = await db.query<{ id: string }>('update api_tokens set revoked_at = $2 where id = $1 and revoked_at is null returning id', [id, now]);
  return rows.length === 1;
}

export async function tokenByHash(db: Queryable, tokenSha256: string): Promise<TokenRecord | undefined> {
  const [row] = await db.query<TokenRow>(`select ${TOKEN_COLUMNS} from api_tokens where token_sha256 = $1`, [tokenSha256]);
  return row ? fromRow(row) : undefined;
}

/** Tokens neither revoked nor expired, by the database's clock. */
export async function usableTokenCount(db: Queryable): Promise<number> {
  const [tokens] = await db.query<{ usable: number }>('select count(*)::int as usable from api_tokens where revoked_at is null and (expires_at is null or expires_at > now())');
  return tokens?.usable ?? 0;
}

/** The names of the tokens with these ids, by id: who acted, as people read it. */
/** People by id, with their display names and roles (a token issued before people were recorded is a person of the same id). */
export async function peopleNames(db: Queryable, ids: readonly string[]): Promise<Map<string, { name: string; role: Role }>> {
  if (ids.length === 0) return new Map();
  const rows = await db.query<{ id: string; name: string; role: Role }>('select id::text as id, display_name as name, role from people where id = any($1::uuid[])', [ids]);
  return new Map(rows.map((r) => [r.id, { name: r.name, role: r.role }]));
}
