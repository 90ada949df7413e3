/**
 * Who calls the app in tests: real bearer tokens, issued by the same code as `msk-triage token
 * create`, in the run's database. `gpOf(practice)` is a GP of that practice; `clinician`, `lead` and
 * `secondLead` are one of each; `anonymous` sends no token. Each caller is a supertest client whose
 * every request carries its token.
 */
import type { Express } from 'express';
import request, { type Test } from 'supertest';
import { issueToken } from '../../src/auth/api-tokens.js';
import type { Role } from '../../src/domain/roles.js';
import type { Database } from '../../src/store/database.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head' | 'options';
export type Caller = Record<Method, (url: string) => Test> & { token: string | undefined };

export function caller(app: Express, token: string | undefined): Caller {
  const make = (method: Method) => (url: string) => {
    const test = request(app)[method](url);
    return token === undefined ? test : test.set('Authorization', `Bearer ${token}`);
  };
  return { get: make('get'), post: make('post'), put: make('put'), patch: make('patch'), delete: make('delete'), head: make('head'), options: make('options'), token };
}

const issued = new Map<string, Promise<string>>();

/** A token of that role (and practice, for a GP), issued once per database and reused. */
export function tokenFor(db: Database, role: Role, options: { practice?: string; name?: string } = {}): Promise<string> {
  const name = options.name ?? `test ${role}${options.practice ? ` of ${options.practice}` : ''}`;
  const key = `${role}|${options.practice ?? ''}|${name}|${String(dbIds.get(db) ?? registerDb(db))}`;
  let token = issued.get(key);
  if (!token) {
    token = issueToken(db, { role, name, ...(options.practice ? { practice: options.practice } : {}), expiresAt: null, now: new Date() }).then((t) => t.token);
    issued.set(key, token);
  }
  return token;
}

const dbIds = new WeakMap<object, number>();
let nextDbId = 1;
function registerDb(db: Database): number {
  const id = nextDbId++;
  dbIds.set(db, id);
  return id;
}

export interface Callers {
  anonymous: Caller;
  clinician: Caller;
  lead: Caller;
  /** another clinical lead: approvals need two */
  secondLead: Caller;
  /** a GP of that practice (ODS code) */
  gpOf(practice: string): Promise<Caller>;
}

export async function callersFor(app: Express, db: Database): Promise<Callers> {
  return {
    anonymous: caller(app, undefined),
    clinician: caller(app, await tokenFor(db, 'triage-clinician')),
    lead: caller(app, await tokenFor(db, 'clinical-lead', { name: 'Dr C Lead' })),
    secondLead: caller(app, await tokenFor(db, 'clinical-lead', { name: 'Dr B Lead' })),
    gpOf: async (practice) => caller(app, await tokenFor(db, 'gp', { practice })),
  };
}
