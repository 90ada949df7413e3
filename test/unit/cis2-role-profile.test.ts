/**
 * NHS CIS2's role claims (OIDC_CLAIMS_PROFILE=cis2): the role and a GP's practice come from the role
 * profile the person selected at sign-in, among those `nhsid_nrbac_roles` lists, through
 * OIDC_ROLE_MAP; anything else is refused with a coded reason, never an exception, never a claim's value.
 */
import { expect } from 'chai';
import { jobRoleOf } from '../../src/auth/cis2-role-profile.js';
import { principalFromClaims } from '../../src/auth/oidc.js';
import type { OidcConfig } from '../../src/config.js';

const CIS2: Pick<OidcConfig, 'roleClaim' | 'roleMap' | 'practiceClaim' | 'nameClaim' | 'claimsProfile'> = {
  roleClaim: 'role',
  practiceClaim: 'practice',
  nameClaim: 'name',
  roleMap: { R8000: 'clinical-lead', R8013: 'triage-clinician', R8010: 'gp' },
  claimsProfile: 'cis2',
};

/** A role profile as CIS2 lists it, overridden in one line per test. */
const aProfile = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  person_orgid: '555254239107',
  person_roleid: '555254240100',
  org_code: 'B82005',
  role_name: '"Clinical":"Clinical Provision":"General Medical Practitioner"',
  role_code: 'S8000:G8000:R8010',
  activities: ['Receive Self Claimed LR Alerts'],
  activity_codes: ['B0428'],
  ...overrides,
});

const claims = (roles: unknown, selected?: unknown): Record<string, unknown> => ({
  iss: 'https://cis2.example.nhs.uk', sub: '910000000001', name: 'Dr C Profile', nhsid_nrbac_roles: roles, ...(selected === undefined ? {} : { selected_roleid: selected }),
});

const refusal = (payload: Record<string, unknown>, config = CIS2) => {
  const check = principalFromClaims(payload, config);
  return check.ok ? `signed in as ${check.principal.role}` : check.reason;
};

describe('NHS CIS2 role profiles', () => {
  it('takes the profile the person selected among several: its job role mapped, a GP’s practice from its org_code', () => {
    const roles = [
      aProfile({ person_roleid: '555000000001', role_code: 'S8000:G8000:R8000', org_code: 'RX1' }),
      aProfile({ person_roleid: '555000000002', role_code: 'S8000:G8000:R8010', org_code: 'B82005' }),
      aProfile({ person_roleid: '555000000003', role_code: 'S8000:G8001:R8013', org_code: 'RX2' }),
    ];
    const gp = principalFromClaims(claims(roles, '555000000002'), CIS2);
    expect(gp.ok && gp.principal).to.deep.include({ role: 'gp', practice: 'B82005', name: 'Dr C Profile', via: 'oidc' });
    const lead = principalFromClaims(claims(roles, '555000000001'), CIS2);
    expect(lead.ok && lead.principal).to.deep.include({ role: 'clinical-lead' }).and.not.have.property('practice');
    const clinician = principalFromClaims(claims(roles, '555000000003'), CIS2);
    expect(clinician.ok && clinician.principal.role).to.equal('triage-clinician');
    // The same person whichever profile they chose: the id is of issuer and subject only.
    expect(gp.ok && lead.ok && gp.principal.id === lead.principal.id).to.equal(true);
  });

  it('uses the one profile there is when none is selected, and refuses to guess between two', () => {
    const one = principalFromClaims(claims([aProfile()]), CIS2);
    expect(one.ok && one.principal).to.deep.include({ role: 'gp', practice: 'B82005' });
    expect(refusal(claims([aProfile({ person_roleid: '1' }), aProfile({ person_roleid: '2' })]))).to.equal('role-profile-not-selected');
  });

  it('refuses a selection that names none of the profiles, or two of them', () => {
    expect(refusal(claims([aProfile()], '555999999999'))).to.equal('selected-role-profile-missing');
    expect(refusal(claims([aProfile(), aProfile({ role_code: 'S8000:G8000:R8000' })], '555254240100'))).to.equal('role-profiles-malformed');
  });

  it('refuses a job role OIDC_ROLE_MAP does not map, even when another profile’s would be', () => {
    const roles = [aProfile({ person_roleid: '1', role_code: 'S8000:G8000:R9999' }), aProfile({ person_roleid: '2', role_code: 'S8000:G8000:R8000' })];
    expect(refusal(claims(roles, '1'))).to.equal('no-role');
    // The full role code is not a job role: only its last part is looked up.
    expect(refusal(claims([aProfile({ role_code: 'R8000:S8000' })], undefined))).to.equal('no-role');
  });

  it('refuses a GP profile whose org_code is missing or not an ODS code', () => {
    expect(refusal(claims([aProfile({ org_code: undefined })]))).to.equal('gp-without-practice');
    expect(refusal(claims([aProfile({ org_code: "B82005' or 1=1" })]))).to.equal('gp-without-practice');
  });

  it('refuses claims without role profiles, and a malformed list as a whole, without throwing', () => {
    expect(refusal({ iss: 'x', sub: 'y', role: 'clinical-lead' }), 'a flat role claim is not read under cis2').to.equal('no-role-profiles');
    expect(refusal(claims([]))).to.equal('no-role-profiles');
    const malformed: unknown[] = ['R8000', { role_code: 'S8000:G8000:R8000' }, [aProfile()], null, 42, { ...aProfile(), person_roleid: 555254240100 }];
    for (const roles of [...malformed.map((m) => [m]), 'R8000', { 0: aProfile() }, null, [aProfile(), null], Array.from({ length: 201 }, (_, i) => aProfile({ person_roleid: String(i) }))]) {
      expect(refusal(claims(roles, '555254240100')), JSON.stringify(roles).slice(0, 80)).to.equal('role-profiles-malformed');
    }
    expect(refusal(claims([aProfile()], 555254240100)), 'a selection that is not a string').to.equal('role-profiles-malformed');
    expect(refusal(claims([aProfile({ role_code: 8010 })]))).to.equal('no-role');
  });

  it('never puts a claim’s value in a reason', () => {
    const reasons = [claims([aProfile({ role_code: 'S8000:G8000:R9999' })]), claims([aProfile({ org_code: 'not-ods' })]), claims([aProfile()], '555999999999'), claims('R8010')].map((c) => refusal(c));
    expect(reasons.join(' ')).to.match(/^[a-z -]+$/);
  });

  it('leaves the plain profile as it was: the role claim, not the role profiles', () => {
    const plain = { ...CIS2, claimsProfile: 'plain' as const, roleMap: {} };
    expect(refusal(claims([aProfile()]), plain)).to.equal('no-role');
    const check = principalFromClaims({ sub: 'y', role: 'gp', practice: 'B82005' }, plain);
    expect(check.ok && check.principal).to.deep.include({ role: 'gp', practice: 'B82005' });
  });

  it('reads the job role as the last part of the role code', () => {
    expect(jobRoleOf('S8000:G8000:R8000')).to.equal('R8000');
    expect(jobRoleOf('R8013')).to.equal('R8013');
    expect(jobRoleOf('S8000:G8000:')).to.equal(undefined);
    expect(jobRoleOf('S8000:G8000:R8000 or 1')).to.equal(undefined);
    expect(jobRoleOf(undefined)).to.equal(undefined);
  });
});
