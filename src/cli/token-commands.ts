/**
 * Bearer tokens at the command line: create (the token is printed once, alone on the last line),
 * list (never the token, nor its hash), revoke; and the people who hold them. A token belongs to a
 * person: `--name` makes a new person, `--person ID` gives a person who has a token another one.
 *
 *   msk-triage token create --role ROLE --name NAME [--practice ODS] [--expires 90d|12h|30m|45s|YYYY-MM-DD|never]
 *   msk-triage token create --person ID [--name LABEL] [--expires …]
 *   msk-triage token list [--json]
 *   msk-triage token people [--json]
 *   msk-triage token revoke ID
 */
import { parseArgs } from 'node:util';
import { findPerson, issueToken, listPeople, listTokens, PersonMismatchError, personIdsStartingWith, revokeToken, tokenIdsStartingWith } from '../auth/api-tokens.js';
import { ODS_CODE } from '../auth/principal.js';
import { isRole, ROLES } from '../domain/roles.js';
import type { TokenRecord } from '../store/token-store.js';
import { randomUUID } from 'node:crypto';
import type { AuditEventInput } from '../domain/audit-event-types.js';
import { appendAuditEvents } from '../audit/audit-trail.js';
import { CLI_ACTOR, withDatabase, type Command } from './context.js';

export class TokenUsageError extends Error {}

function revokedEvent(tokenId: string, at: Date): AuditEventInput {
  return { id: randomUUID(), referralId: null, type: 'token.revoked', actor: CLI_ACTOR.id, actorRole: CLI_ACTOR.role, occurredAt: at, ruleset: null, details: { tokenId } };
}

export const DEFAULT_TOKEN_LIFETIME = '90d';

/** When a token made now expires: a duration (90d, 12h, 30m, 45s), a date or time, or never. */
export function expiryFrom(text: string, now: Date): Date | null {
  if (text === 'never') return null;
  const duration = /^(\d{1,6})([dhms])$/.exec(text);
  if (duration) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 }[duration[2] as 'd' | 'h' | 'm' | 's'];
    return new Date(now.getTime() + Number(duration[1]) * unit);
  }
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)) {
    // A date alone means "valid through that day": the token expires at the end of it (UTC).
    const at = text.length === 10 ? new Date(Date.parse(`${text}T00:00:00Z`) + 86_400_000) : new Date(text);
    if (!Number.isNaN(at.getTime()) && at.getTime() > now.getTime()) return at;
    throw new TokenUsageError('--expires must be in the future');
  }
  throw new TokenUsageError('--expires must be a duration (90d, 12h, 30m, 45s), a date (2027-03-31) or never');
}

export async function tokenCreate(command: Command, args: string[]): Promise<number> {
  const { io } = command;
  const { values } = parseArgs({ args, options: { role: { type: 'string' }, name: { type: 'string' }, practice: { type: 'string' }, expires: { type: 'string' }, person: { type: 'string' } } });
  const practice = values.practice?.trim().toUpperCase();
  const name = values.name?.trim();
  const personGiven = values.person?.trim();
  if (personGiven === undefined) {
    if (!isRole(values.role)) throw new TokenUsageError(`--role must be one of: ${ROLES.join(', ')}`);
    if (!name || name.length > 200) throw new TokenUsageError('--name must name who (or which system) holds the token, in 1 to 200 characters');
    if (values.role === 'gp' && (practice === undefined || !ODS_CODE.test(practice))) throw new TokenUsageError('a gp token needs --practice: the ODS code of the practice, such as A81001');
    if (values.role !== 'gp' && practice !== undefined) throw new TokenUsageError('--practice is for gp tokens only');
  } else {
    if (values.role !== undefined && !isRole(values.role)) throw new TokenUsageError(`--role must be one of: ${ROLES.join(', ')}`);
    if (name !== undefined && (name === '' || name.length > 200)) throw new TokenUsageError('--name labels the token (its device, say), in 1 to 200 characters');
  }
  const now = io.clock();
  const expiresAt = expiryFrom(values.expires ?? DEFAULT_TOKEN_LIFETIME, now);
  return withDatabase(command, async (db) => {
    let personId: string | undefined;
    if (personGiven !== undefined) {
      const matches = await personIdsStartingWith(db, personGiven);
      if (matches.length !== 1) {
        io.out(matches.length === 0 ? `no person ${personGiven}: msk-triage token people lists them` : `${personGiven} is the start of ${matches.length} people's ids: give more of it`);
        return 1;
      }
      personId = matches[0];
    }
    // Issuing a credential is recorded like any other action: who (the operator), which token and person, never the token.
    let created: Awaited<ReturnType<typeof issueToken>>;
    try {
      const person = personId === undefined ? undefined : await findPerson(db, personId); // a person never changes
      created = await issueToken(db, {
        name: name ?? person?.displayName ?? '', role: isRole(values.role) ? values.role : (person?.role ?? 'gp'),
        ...(practice ? { practice } : {}), expiresAt, now, ...(personId ? { personId } : {}),
      }, CLI_ACTOR);
    } catch (error) {
      if (!(error instanceof PersonMismatchError)) throw error;
      io.out(error.message);
      return 1;
    }
    const { token, record, person, newPerson } = created;
    io.out(`created token ${record.id} for ${record.name}: role ${record.role}${record.practice ? `, practice ${record.practice}` : ''}, ${record.expiresAt ? `expires ${record.expiresAt.toISOString()}` : 'never expires'}`);
    io.out(`held by ${newPerson ? 'a new person' : 'the person'} ${person.id}, ${person.displayName} (another token for them: msk-triage token create --person ${person.id.slice(0, 8)})`);
    io.out('Send it as "Authorization: Bearer <token>". It is shown this once; only its hash is kept. The token:');
    io.out(token);
    return 0;
  });
}

function state(record: TokenRecord, now: Date): string {
  if (record.revokedAt) return `revoked ${record.revokedAt.toISOString()}`;
  if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) return `expired ${record.expiresAt.toISOString()}`;
  return record.expiresAt ? `active until ${record.expiresAt.toISOString()}` : 'active, never expires';
}

export async function tokenList(command: Command, args: string[]): Promise<number> {
  const { io } = command;
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  return withDatabase(command, async (db) => {
    const tokens = await listTokens(db);
    const now = io.clock();
    if (values.json) {
      io.out(JSON.stringify(tokens.map((t) => ({ ...t, state: state(t, now).split(' ')[0]?.replace(',', '') })), null, 2));
      return 0;
    }
    if (tokens.length === 0) io.out('no tokens: create one with  msk-triage token create --role ROLE --name NAME');
    for (const t of tokens) io.out(`${t.id}  person ${t.personId.slice(0, 8)}  ${t.role.padEnd(16)}  ${(t.practice ?? '-').padEnd(8)}  ${state(t, now).padEnd(40)}  ${t.name}${t.name === t.personName ? '' : ` (${t.personName})`}`);
    return 0;
  });
}

/** The people who hold tokens: id, role, practice, name, and how many tokens they hold. */
export async function tokenPeople(command: Command, args: string[]): Promise<number> {
  const { io } = command;
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  return withDatabase(command, async (db) => {
    const [people, tokens] = [await listPeople(db), await listTokens(db)];
    const held = (id: string) => tokens.filter((t) => t.personId === id).length;
    if (values.json) {
      io.out(JSON.stringify(people.map((p) => ({ ...p, tokens: held(p.id) })), null, 2));
      return 0;
    }
    if (people.length === 0) io.out('no people: msk-triage token create --role ROLE --name NAME makes one, with a token');
    for (const p of people) io.out(`${p.id}  ${p.role.padEnd(16)}  ${(p.practice ?? '-').padEnd(8)}  ${String(held(p.id)).padStart(3)} token(s)  ${p.displayName}`);
    return 0;
  });
}

export async function tokenRevoke(command: Command, args: string[]): Promise<number> {
  const { io } = command;
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new TokenUsageError('name one token id, or its first 8 or more characters (msk-triage token list shows them)');
  const given = positionals[0] as string;
  return withDatabase(command, async (db) => {
    const matches = await tokenIdsStartingWith(db, given);
    if (matches.length > 1) {
      io.out(`${given} is the start of ${matches.length} token ids: give more of it`);
      return 1;
    }
    const id = matches[0] ?? given;
    const now = io.clock();
    const revoked = await db.transaction(async (tx) => {
      if (!(await revokeToken(tx, id, now))) return false;
      await appendAuditEvents(tx, [revokedEvent(id, now)]);
      return true;
    });
    if (revoked) {
      io.out(`revoked token ${id}: every running instance refuses it within a second`);
      return 0;
    }
    io.out(`no token ${given} to revoke (unknown, or revoked already)`);
    return 1;
  });
}
