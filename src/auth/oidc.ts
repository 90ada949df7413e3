/**
 * OpenID Connect / JWT bearer tokens, for deployments behind an identity provider (as NHS CIS2
 * would be). jose verifies the signature against the provider's keys (a JWKS from a URL, cached and
 * refreshed by jose, or from a file), the issuer, the audience, expiry and not-before, and allows
 * only the configured asymmetric algorithms: never `none`, never a shared secret. The role and the
 * practice come from configurable claims, or (OIDC_CLAIMS_PROFILE=cis2) from the NHS CIS2 role
 * profile the person selected.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { OidcConfig } from '../config.js';
import { isRole, type Role } from '../domain/roles.js';
import { selectedRoleProfile, type RoleProfileCheck } from './cis2-role-profile.js';
import { ODS_CODE, type Principal } from './principal.js';

export type OidcCheck = { ok: true; principal: Principal } | { ok: false; reason: string };

/** The reasons that say the person is known to the provider but has no role here (the pages say so, rather than "try again"). */
export const NO_ROLE_REASONS: ReadonlySet<string> = new Set(['no-role', 'gp-without-practice', 'no-role-profiles', 'role-profile-not-selected', 'selected-role-profile-missing', 'role-profiles-malformed']);

function claimAt(payload: JWTPayload, dotted: string): unknown {
  let value: unknown = payload;
  for (const key of dotted.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The one role the claim gives (a string, or a list holding exactly one known role). */
function roleFrom(claim: unknown, roleMap: OidcConfig['roleMap']): Role | undefined {
  const values = (Array.isArray(claim) ? claim : [claim]).filter((v): v is string => typeof v === 'string');
  const mapped = Object.keys(roleMap).length > 0 ? values.map((v) => (Object.hasOwn(roleMap, v) ? roleMap[v] : undefined)) : values;
  const roles = new Set(mapped.filter(isRole));
  return roles.size === 1 ? [...roles][0] : undefined;
}

/** The role and a GP's practice from the configured claims (OIDC_CLAIMS_PROFILE=plain). */
function plainRole(payload: JWTPayload, config: Pick<OidcConfig, 'roleClaim' | 'roleMap' | 'practiceClaim'>): RoleProfileCheck {
  const role = roleFrom(claimAt(payload, config.roleClaim), config.roleMap);
  if (!role) return { ok: false, reason: 'no-role' };
  if (role !== 'gp') return { ok: true, role };
  const practice = claimAt(payload, config.practiceClaim);
  if (typeof practice !== 'string' || !ODS_CODE.test(practice)) return { ok: false, reason: 'gp-without-practice' };
  return { ok: true, role, practice };
}

/**
 * The person the provider's claims name: the role (from the role claim, mapped, or from the NHS CIS2
 * role profile the person selected), a GP's practice, the name; the id a pseudonym of issuer and
 * subject. One mapping for bearer tokens and for sign-in on the pages, so that one person is one
 * person on both.
 */
export function principalFromClaims(payload: JWTPayload, config: Pick<OidcConfig, 'roleClaim' | 'roleMap' | 'practiceClaim' | 'nameClaim' | 'claimsProfile'>): OidcCheck {
  if (typeof payload.sub !== 'string' || payload.sub.trim() === '' || payload.sub.length > 255) return { ok: false, reason: 'bad-subject' };
  const found = config.claimsProfile === 'cis2' ? selectedRoleProfile(payload, config.roleMap) : plainRole(payload, config);
  if (!found.ok) return found;
  const { role, practice } = found;
  const name = claimAt(payload, config.nameClaim);
  // Pseudonymous: the same person always has the same id here, which says nothing of who they are.
  const id = `oidc:${createHash('sha256').update(`${payload.iss ?? ''}\n${payload.sub}`).digest('hex').slice(0, 32)}`;
  return {
    ok: true,
    principal: {
      id,
      role,
      ...(role === 'gp' && practice ? { practice } : {}),
      name: typeof name === 'string' && name.trim() !== '' ? name.trim().slice(0, 200) : id,
      via: 'oidc',
    },
  };
}

export interface OidcVerifier {
  verify(token: string): Promise<OidcCheck>;
}

/** The provider's signing keys: its JWKS from the URL (fetched when first needed, cached, refreshed on an unknown key id), or from the file. */
export function providerKeys(config: Pick<OidcConfig, 'jwksUrl' | 'jwksFile'>): JWTVerifyGetKey {
  return config.jwksUrl
    ? createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 })
    : createLocalJWKSet(JSON.parse(readFileSync(config.jwksFile as string, 'utf8')) as Parameters<typeof createLocalJWKSet>[0]);
}

export function oidcVerifier(config: OidcConfig, keys: JWTVerifyGetKey = providerKeys(config)): OidcVerifier {
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: config.issuer,
          audience: config.audience,
          algorithms: [...config.algorithms],
          clockTolerance: config.clockToleranceSeconds,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (error) {
        if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
        if (error instanceof errors.JOSEError) return { ok: false, reason: error.code.replace(/^ERR_/, '').toLowerCase() };
        throw error;
      }
      return principalFromClaims(payload, config);
    },
  };
}
