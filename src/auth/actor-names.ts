/**
 * Who an actor id is, as a person reads it: a command-line token's holder by name and role, the
 * rules, the service; the audit trail keeps only the pseudonymous id (`person:<uuid>`, or `token:<uuid>`
 * from before people were recorded, the same id), and this is
 * for a clinician's eyes (the API's decidedByName, the pages), never for a log.
 */
import type { Role } from '../domain/roles.js';
import type { Queryable } from '../store/database.js';
import { peopleNames } from '../store/token-store.js';

const ROLE_WORDS: Readonly<Record<Role, string>> = { gp: 'GP', 'triage-clinician': 'triage clinician', 'clinical-lead': 'clinical lead', operator: 'operator' };

export async function actorNames(db: Queryable, actors: readonly string[]): Promise<Map<string, string>> {
  const PERSON = /^(?:person|token):([0-9a-f-]{36})$/;
  const personOf = (a: string) => PERSON.exec(a)?.[1];
  const names = await peopleNames(db, [...new Set(actors.flatMap((a) => personOf(a) ?? []))]);
  return new Map(
    actors.map((a) => {
      const id = personOf(a);
      const held = id ? names.get(id) : undefined;
      if (held) return [a, `${held.name} (${ROLE_WORDS[held.role]})`];
      if (a === 'rules') return [a, 'The triage rules'];
      if (a === 'system') return [a, 'The service'];
      if (a.startsWith('oidc:')) return [a, 'A person signed in through the identity provider'];
      if (a.startsWith('cli:')) return [a, `The command line (${a.slice(4)})`];
      return [a, a];
    }),
  );
}
