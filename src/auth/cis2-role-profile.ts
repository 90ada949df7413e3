/**
 * The role and practice of a person signed in with NHS CIS2 (OIDC_CLAIMS_PROFILE=cis2). CIS2 gives
 * no flat role claim: with the scope `nationalrbacaccess` it lists the person's role profiles in
 * `nhsid_nrbac_roles` (each with its own `person_roleid`, `role_code` and `org_code`), and
 * `selected_roleid` names the one they chose as they signed in. Only that profile counts: a person
 * who is a GP at one practice and a clinical lead somewhere else is, for this sign-in, the one they
 * chose. The job role is the last `:`-separated part of its `role_code` (`S8000:G8000:R8000` →
 * `R8000`), mapped by OIDC_ROLE_MAP; a GP's practice is the profile's `org_code`.
 *
 * A list that is not what CIS2 sends is refused as a whole, never half-read. Reasons are coded
 * values: no claim's value is ever in one.
 */
import type { Role } from '../domain/roles.js';
import { ODS_CODE } from './principal.js';

export type RoleProfileCheck = { ok: true; role: Role; practice?: string } | { ok: false; reason: string };

/** More profiles than any one person holds: a list longer than this is not one we read. */
const MOST_PROFILES = 200;
const ROLE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const JOB_ROLE = /^[A-Za-z0-9]{1,20}$/;

interface RoleProfile {
  person_roleid: string;
  role_code?: unknown;
  org_code?: unknown;
}

function isProfile(value: unknown): value is RoleProfile {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const id = (value as Record<string, unknown>).person_roleid;
  return typeof id === 'string' && ROLE_ID.test(id);
}

/** The job-role part of a CIS2 role code: its last `:`-separated code. */
export function jobRoleOf(roleCode: unknown): string | undefined {
  if (typeof roleCode !== 'string') return undefined;
  const last = roleCode.split(':').at(-1)?.trim() ?? '';
  return JOB_ROLE.test(last) ? last : undefined;
}

/** The role (and a GP's practice) of the profile the person selected, from CIS2's claims. */
export function selectedRoleProfile(claims: Readonly<Record<string, unknown>>, roleMap: Readonly<Record<string, Role>>): RoleProfileCheck {
  const list = claims.nhsid_nrbac_roles;
  if (list === undefined || (Array.isArray(list) && list.length === 0)) return { ok: false, reason: 'no-role-profiles' };
  if (!Array.isArray(list) || list.length > MOST_PROFILES || !list.every(isProfile)) return { ok: false, reason: 'role-profiles-malformed' };

  const selected = claims.selected_roleid;
  let profile: RoleProfile | undefined;
  if (selected === undefined) {
    // No selection is only unambiguous when there is nothing to choose between.
    if (list.length !== 1) return { ok: false, reason: 'role-profile-not-selected' };
    profile = list[0];
  } else {
    if (typeof selected !== 'string') return { ok: false, reason: 'role-profiles-malformed' };
    const matching = list.filter((p) => p.person_roleid === selected);
    // Two profiles with one id would make the choice the list's order: refused, as no selection is.
    if (matching.length !== 1) return { ok: false, reason: matching.length === 0 ? 'selected-role-profile-missing' : 'role-profiles-malformed' };
    profile = matching[0];
  }

  const jobRole = jobRoleOf(profile?.role_code);
  const role = jobRole !== undefined && Object.hasOwn(roleMap, jobRole) ? roleMap[jobRole] : undefined;
  if (!role) return { ok: false, reason: 'no-role' };
  if (role !== 'gp') return { ok: true, role };
  const practice = profile?.org_code;
  if (typeof practice !== 'string' || !ODS_CODE.test(practice)) return { ok: false, reason: 'gp-without-practice' };
  return { ok: true, role, practice };
}
