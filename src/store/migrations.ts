/**
 * The database's versioned migrations, applied in order at start-up, each once, in one transaction
 * under an advisory lock so that two instances starting together do not both apply them. SQL is kept
 * to what PostgreSQL 15 accepts, so it runs unchanged on PGlite (PostgreSQL 18) and on a server.
 */
import type { Database } from './database.js';

export interface Migration {
  id: string;
  sql: string;
}

const APPEND_ONLY = (table: string) => `
create trigger ${table}_append_only before update or delete on ${table}
  for each row execute function msk_refuse_change();
create trigger ${table}_no_truncate before truncate on ${table}
  for each statement execute function msk_refuse_change();`;

export const MIGRATIONS: readonly Migration[] = [
  {
    id: '001-referrals-decisions-audit',
    sql: `
create table referrals (
  id uuid primary key,
  practice_ods text not null,
  referral jsonb not null,
  status text not null check (status in ('routed', 'awaiting-review', 'awaiting-manual-triage', 'reviewed')),
  current_decision_id uuid,
  queue_rank smallint not null,
  pathway text,
  urgency text,
  received_at timestamptz not null,
  updated_at timestamptz not null
);
create index referrals_queue on referrals (queue_rank, received_at, id);
create index referrals_status_queue on referrals (status, queue_rank, received_at, id);

create table decisions (
  id uuid primary key,
  referral_id uuid not null references referrals (id),
  source text not null check (source in ('rules', 'override', 'evaluation-failed')),
  replaces_decision_id uuid references decisions (id),
  pathway text,
  urgency text,
  service text,
  review_required boolean,
  ruleset_id text,
  ruleset_version text,
  ruleset_sha256 text,
  evaluation_date date,
  decision jsonb,
  reason text,
  decided_by text not null,
  created_at timestamptz not null
);
create index decisions_referral on decisions (referral_id, created_at);
alter table referrals add constraint referrals_current_decision
  foreign key (current_decision_id) references decisions (id) deferrable initially deferred;

create table reviews (
  id uuid primary key,
  referral_id uuid not null references referrals (id),
  reviewed_decision_id uuid not null unique references decisions (id),
  outcome text not null check (outcome in ('confirmed', 'overridden')),
  new_decision_id uuid references decisions (id),
  reason text,
  reviewer text not null,
  created_at timestamptz not null
);

create table audit_events (
  seq bigint primary key,
  id uuid not null unique,
  referral_id uuid,
  event_type text not null,
  actor text not null,
  occurred_at timestamptz not null,
  ruleset_id text,
  ruleset_version text,
  ruleset_sha256 text,
  details jsonb not null,
  prev_hash text not null,
  hash text not null
);
create index audit_events_referral on audit_events (referral_id, seq);

create table idempotency_keys (
  key text primary key,
  request_sha256 text not null,
  response_status smallint not null,
  response_body jsonb not null,
  referral_id uuid references referrals (id),
  created_at timestamptz not null
);

create function msk_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception 'msk-triage: % on % is refused: the table is append-only', tg_op, tg_table_name;
end $$;
${APPEND_ONLY('audit_events')}
${APPEND_ONLY('decisions')}
${APPEND_ONLY('reviews')}

create function msk_referral_content_is_fixed() returns trigger language plpgsql as $$
begin
  if new.referral is distinct from old.referral or new.id is distinct from old.id
     or new.received_at is distinct from old.received_at or new.practice_ods is distinct from old.practice_ods then
    raise exception 'msk-triage: a submitted referral is never changed';
  end if;
  return new;
end $$;
create trigger referrals_content_fixed before update on referrals
  for each row execute function msk_referral_content_is_fixed();
create trigger referrals_no_delete before delete on referrals
  for each row execute function msk_refuse_change();
`,
  },
  {
    id: '002-ruleset-activations-approvals',
    sql: `
create table ruleset_activations (
  seq bigint generated always as identity unique,
  id uuid primary key,
  ruleset_id text not null,
  version text not null,
  sha256 text not null,
  activated_by text not null,
  reason text not null,
  activated_at timestamptz not null
);
create index ruleset_activations_latest on ruleset_activations (ruleset_id, seq desc);

create table ruleset_approvals (
  id uuid primary key,
  ruleset_id text not null,
  version text not null,
  sha256 text not null,
  approver text not null,
  role text not null,
  note text,
  approved_at timestamptz not null
);
create index ruleset_approvals_version on ruleset_approvals (ruleset_id, version);
${APPEND_ONLY('ruleset_activations')}
${APPEND_ONLY('ruleset_approvals')}
`,
  },
  {
    id: '003-access-control',
    sql: `
-- Bearer tokens issued by the command line: only a SHA-256 of each token is kept. Revoking sets
-- revoked_at (the one update allowed); nothing is deleted, so the audit trail's actors stay known.
create table api_tokens (
  id uuid primary key,
  token_sha256 text not null unique,
  name text not null,
  role text not null check (role in ('gp', 'triage-clinician', 'clinical-lead')),
  practice_ods text,
  created_at timestamptz not null,
  expires_at timestamptz,
  revoked_at timestamptz,
  check (role <> 'gp' or practice_ods is not null)
);
create function msk_token_revoke_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then raise exception 'api_tokens is append-only: revoke a token instead'; end if;
  if (new.id, new.token_sha256, new.name, new.role, new.practice_ods, new.created_at, new.expires_at)
     is distinct from (old.id, old.token_sha256, old.name, old.role, old.practice_ods, old.created_at, old.expires_at)
     or old.revoked_at is not null then
    raise exception 'a token can only be revoked, once';
  end if;
  return new;
end $$;
create trigger api_tokens_revoke_only before update or delete on api_tokens
  for each row execute function msk_token_revoke_only();
create trigger api_tokens_no_truncate before truncate on api_tokens
  for each statement execute function msk_refuse_change();

-- Who did it: the actor's role beside its pseudonymous id, in the hash of new rows.
alter table audit_events add column actor_role text;
-- Events of no referral (rule sets, refused access) by type, for review.
create index audit_events_type on audit_events (event_type, seq);
-- The authenticated identity of an approver and of an activator, beside the names they signed with.
alter table ruleset_approvals add column approver_id text;
alter table ruleset_activations add column activated_by_id text;
`,
  },
  {
    id: '004-very-urgent',
    // Contract 1.1 puts very-urgent between emergency and urgent: the queue ranks of stored
    // referrals move to the new order (none is very-urgent yet).
    sql: `
update referrals set queue_rank = case urgency
  when 'emergency' then 1 when 'very-urgent' then 2 when 'urgent' then 3 when 'soon' then 4 when 'routine' then 5 else 0 end;
`,
  },
  {
    id: '005-referrals-by-arrival',
    // Impact simulation reads every referral, oldest first, a page at a time from the last one read.
    sql: `create index referrals_arrival on referrals (received_at, id);`,
  },
  {
    id: '006-synthetic-referrals',
    // Referrals stored by the synthetic data generator are marked, so that the queue, simulation and
    // replay of them all leave them out unless asked. Those it stored before are known by the actor of
    // their referral.submitted event (only the generator submits as it). Whether a referral is
    // synthetic is part of what was submitted: it never changes after, either way.
    sql: `
alter table referrals add column synthetic boolean not null default false;
update referrals set synthetic = true where id in (
  select referral_id from audit_events where event_type = 'referral.submitted' and actor = 'cli:synthetic-data-generator');
create or replace function msk_referral_content_is_fixed() returns trigger language plpgsql as $$
begin
  if new.referral is distinct from old.referral or new.id is distinct from old.id
     or new.received_at is distinct from old.received_at or new.practice_ods is distinct from old.practice_ods
     or new.synthetic is distinct from old.synthetic then
    raise exception 'msk-triage: a submitted referral is never changed';
  end if;
  return new;
end $$;
`,
  },
  {
    id: '008-operator-tokens',
    // An operator's token reads the service's metrics (GET /metrics) and nothing else.
    sql: `
alter table api_tokens drop constraint api_tokens_role_check;
alter table api_tokens add constraint api_tokens_role_check check (role in ('gp', 'triage-clinician', 'clinical-lead', 'operator'));
`,
  },
  {
    id: '009-ruleset-schedules-and-reloads',
    // A version activated before its effectiveFrom is scheduled: it switches on by itself at the start
    // of that day (Europe/London). A schedule is cancelled by a row of its own, and carried out by the
    // activation that names it (unique: one schedule is carried out once, whichever instance is first).
    // A reload request (msk-triage rules reload) asks every running instance to read RULES_DIR again.
    sql: `
create table ruleset_schedules (
  seq bigint generated always as identity unique,
  id uuid primary key,
  ruleset_id text not null,
  version text not null,
  sha256 text not null,
  effective_from date not null,
  scheduled_by text not null,
  scheduled_by_id text not null,
  scheduled_by_role text not null,
  reason text not null,
  scheduled_at timestamptz not null
);
create index ruleset_schedules_ruleset on ruleset_schedules (ruleset_id, effective_from);
create table ruleset_schedule_cancellations (
  schedule_id uuid primary key references ruleset_schedules (id),
  cancelled_by text not null,
  cancelled_by_id text not null,
  reason text not null,
  cancelled_at timestamptz not null
);
alter table ruleset_activations add column schedule_id uuid unique references ruleset_schedules (id);
alter table ruleset_activations add column effective_from_override text;
create table ruleset_reload_requests (
  seq bigint generated always as identity primary key,
  requested_by text not null,
  requested_at timestamptz not null
);
${APPEND_ONLY('ruleset_schedules')}
${APPEND_ONLY('ruleset_schedule_cancellations')}
${APPEND_ONLY('ruleset_reload_requests')}
`,
  },
  {
    id: '010-people',
    // People, not tokens: a person (display name, role, a GP's practice) holds any number of tokens,
    // and is one actor everywhere. Each token issued before becomes a person of its own, with the
    // token's id as the person's id, so that the audit trail's `token:<id>` of before is `person:<id>`.
    // A person is never changed; reviews and decisions record the name and role of who acted.
    sql: `
create table people (
  id uuid primary key,
  display_name text not null,
  role text not null check (role in ('gp', 'triage-clinician', 'clinical-lead', 'operator')),
  practice_ods text,
  created_at timestamptz not null,
  check (role <> 'gp' or practice_ods is not null)
);
${APPEND_ONLY('people')}
alter table api_tokens add column person_id uuid references people (id);
insert into people (id, display_name, role, practice_ods, created_at)
  select id, name, role, practice_ods, created_at from api_tokens;
alter table api_tokens disable trigger api_tokens_revoke_only;
update api_tokens set person_id = id;
alter table api_tokens enable trigger api_tokens_revoke_only;
alter table api_tokens alter column person_id set not null;
create index api_tokens_person on api_tokens (person_id);
create or replace function msk_token_revoke_only() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then raise exception 'api_tokens is append-only: revoke a token instead'; end if;
  if (new.id, new.token_sha256, new.name, new.role, new.practice_ods, new.created_at, new.expires_at, new.person_id)
     is distinct from (old.id, old.token_sha256, old.name, old.role, old.practice_ods, old.created_at, old.expires_at, old.person_id)
     or old.revoked_at is not null then
    raise exception 'a token can only be revoked, once';
  end if;
  return new;
end $$;
alter table decisions add column decided_by_name text, add column decided_by_role text;
alter table reviews add column reviewer_name text, add column reviewer_role text;
`,
  },
  {
    id: '011-web-sessions',
    // A web page session: the cookie holds a random id, the database only its SHA-256 (like a token's).
    // Kept in the database so that a session survives a restart and is the same on every instance. A
    // session started with a command-line token names it, so that revoking the token ends the session.
    sql: `
create table web_sessions (
  id_sha256 text primary key,
  principal_id text not null,
  role text not null,
  practice_ods text,
  name text not null,
  via text not null check (via in ('token', 'oidc')),
  token_id uuid references api_tokens (id),
  csrf_token text not null,
  created_at timestamptz not null,
  last_seen_at timestamptz not null,
  expires_at timestamptz not null,
  ended_at timestamptz
);
create index web_sessions_expiry on web_sessions (expires_at);
-- A GP's list of their own practice's referrals, newest first (the web pages and GET /api/v1/referrals).
create index referrals_practice_newest on referrals (practice_ods, received_at desc, id desc);
-- The queue's possible duplicates: another referral of the same NHS number and body site within 30 days.
create index referrals_patient_site on referrals ((referral -> 'patient' ->> 'nhsNumber'), (referral -> 'complaint' ->> 'bodySite'), received_at);
`,
  },
  {
    id: '012-audit-signatures',
    // Each audit row's chain hash signed with a key the database never holds (src/audit/audit-keys.ts):
    // the key's id and the HMAC. Rows written before stay unsigned, and verify as they always did.
    sql: `
alter table audit_events add column key_id text, add column mac text;
`,
  },
  {
    id: '013-review-corrections',
    // A review may be corrected: a confirmed decision can then be overridden once too (a new decision,
    // linked). Still at most one confirmation and one override of any decision: of two clinicians
    // acting on the same one at once, one wins.
    sql: `
alter table reviews drop constraint reviews_reviewed_decision_id_key;
alter table reviews add constraint reviews_one_outcome_per_decision unique (reviewed_decision_id, outcome);
`,
  },
  {
    id: '014-runtime-role',
    // Least privilege (src/store/runtime-role.ts): migrations run as the tables' owner, the service and
    // the commands as msk_runtime, which may read and insert on the clinical and audit tables and
    // nothing more: no update, delete, truncate, trigger or DDL. The one change a referral has after
    // it is stored (a review makes it reviewed, an override its current decision) is made by
    // msk_apply_review, which derives the change from the review row named, and from nothing else.
    // The role is the cluster's: made once (a migration role without CREATEROLE needs it made first),
    // and the owner made a member of it, so that a deployment of one login can drop to it.
    sql: `
do $$ begin
  if not exists (select from pg_roles where rolname = 'msk_runtime') then
    begin
      create role msk_runtime nologin;
    exception when duplicate_object or unique_violation then null; -- another database's migration, at the same moment
    end;
  end if;
  begin
    if not pg_has_role(current_user, 'msk_runtime', 'MEMBER') then execute format('grant msk_runtime to %I', current_user); end if;
  exception when insufficient_privilege or invalid_grant_operation then null; -- then DATABASE_MIGRATION_URL must be set
  end;
end $$;

revoke all on all tables in schema public from msk_runtime;
grant select, insert on referrals, decisions, reviews, audit_events, idempotency_keys, people, api_tokens,
  ruleset_approvals, ruleset_activations, ruleset_schedules, ruleset_schedule_cancellations, ruleset_reload_requests,
  web_sessions to msk_runtime;
grant update (revoked_at) on api_tokens to msk_runtime;
grant update (last_seen_at, ended_at), delete on web_sessions to msk_runtime;
grant select on schema_migrations to msk_runtime;
grant usage on all sequences in schema public to msk_runtime;

create function msk_apply_review(review_id uuid) returns void language plpgsql security definer
  set search_path = public, pg_temp as $$
declare
  r reviews;
  d decisions;
  current_id uuid;
begin
  select * into r from reviews where id = review_id;
  if not found then raise exception 'msk-triage: no review %', review_id; end if;
  select current_decision_id into current_id from referrals where id = r.referral_id for update;
  if current_id is distinct from r.reviewed_decision_id then
    raise exception 'msk-triage: review % is not of its referral''s current decision', review_id;
  end if;
  if r.outcome = 'overridden' then
    select * into d from decisions where id = r.new_decision_id and referral_id = r.referral_id
      and source = 'override' and replaces_decision_id = r.reviewed_decision_id;
    if not found then raise exception 'msk-triage: review % names no override of the decision it reviewed', review_id; end if;
    update referrals set current_decision_id = d.id, status = 'reviewed', pathway = d.pathway, urgency = d.urgency,
      queue_rank = case d.urgency when 'emergency' then 1 when 'very-urgent' then 2 when 'urgent' then 3 when 'soon' then 4
        when 'routine' then 5 else 0 end,
      updated_at = r.created_at
      where id = r.referral_id;
  else
    update referrals set status = 'reviewed', updated_at = r.created_at where id = r.referral_id;
  end if;
end $$;
revoke execute on function msk_apply_review(uuid) from public;
grant execute on function msk_apply_review(uuid) to msk_runtime;
`,
  },
  {
    id: '015-web-session-id-token',
    // A session started with the identity provider keeps the ID token it was given, so that signing
    // out can end the person's sign-in at the provider too (OpenID Connect RP-initiated logout sends
    // it back as id_token_hint). It is a credential: the runtime role writes it at sign-in (its
    // insert right covers the new column) and may clear it, and only it, when the session ends
    // (update of id_token), so that an ended session holds no token for the day it is kept.
    sql: `
alter table web_sessions add column id_token text;
grant update (id_token) on web_sessions to msk_runtime;
`,
  },
];

const MIGRATION_LOCK = 7_240_001;

/** Applies every migration not yet applied; returns the ids applied now. */
export async function migrate(db: Database): Promise<string[]> {
  // Up to date: nothing to apply, and no DDL either (a command beside the running service connects
  // to the embedded database's one session as the runtime role, which may not create a table).
  const [present] = await db.query<{ present: boolean }>("select to_regclass('schema_migrations') is not null as present");
  if (present?.present) {
    const done = new Set((await db.query<{ id: string }>('select id from schema_migrations')).map((row) => row.id));
    if (MIGRATIONS.every((migration) => done.has(migration.id))) return [];
  }
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query('create table if not exists schema_migrations (id text primary key, applied_at timestamptz not null)');
    const applied = new Set((await tx.query<{ id: string }>('select id from schema_migrations')).map((row) => row.id));
    const now: string[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.id)) continue;
      await tx.exec(migration.sql);
      await tx.query('insert into schema_migrations (id, applied_at) values ($1, now())', [migration.id]);
      now.push(migration.id);
    }
    return now;
  });
}
