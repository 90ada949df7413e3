import { isRole, type Role } from './domain/roles.js';
import { VERSION_PATTERN } from './domain/version.js';

/**
 * The service's configuration: read from the environment once, validated, frozen. Every key is in
 * the README's configuration table; a bad value stops start-up with a message naming the setting.
 */
export interface Config {
  port: number;
  host: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  /** JSON lines, or one readable line per event; `auto`: readable on a terminal, JSON otherwise. */
  logFormat: 'auto' | 'json' | 'pretty';
  rulesDir: string;
  /** Where the embedded database (PGlite) keeps its files; unused when databaseUrl is set. */
  dataDir: string;
  /** A PostgreSQL server to use instead of the embedded database. */
  databaseUrl: string | undefined;
  /** The login migrations run with (the tables' owner), when DATABASE_URL's is the runtime role's. */
  databaseMigrationUrl: string | undefined;
  rulesetId: string;
  /** Pins the active version of `rulesetId` to another loaded version. */
  rulesetVersion: string | undefined;
  bodyLimitBytes: number;
  /** How often each instance checks the database for a newly activated rule-set version (the fallback to NOTIFY). */
  rulesetCheckMs: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** On SIGTERM, how long /readyz answers 503 before the listener closes (load balancers catch up). */
  shutdownDelayMs: number;
  shutdownGraceMs: number;
  /** Requests each address may make per window, before authentication (429 beyond). */
  rateLimitPerAddress: number;
  /** Requests each authenticated caller (token or identity) may make per window. */
  rateLimitPerCaller: number;
  rateLimitWindowMs: number;
  /** requests under /api/v1 worked on at once; more wait up to admissionWaitMs, then 503 */
  maxInFlight: number;
  maxQueued: number;
  admissionWaitMs: number;
  /** How many proxies in front of the service to trust for the client's address (X-Forwarded-For). */
  trustProxyHops: number;
  /** A web page session ends after this long without a request (SESSION_IDLE_MINUTES). */
  sessionIdleMs: number;
  /** A web page session ends this long after sign-in, however busy (SESSION_MAX_HOURS). */
  sessionMaxMs: number;
  /** OpenID Connect bearer tokens; undefined when not configured (command-line tokens only). */
  oidc: OidcConfig | undefined;
  /** A second listener serving only GET /metrics, unauthenticated, for a private network; undefined: none. */
  metrics: { host: string; port: number } | undefined;
  /** The audit key file (src/audit/audit-keys.ts); undefined: DATA_DIR/audit-key, made on first use. */
  auditKeyFile: string | undefined;
  /** Where the service appends signed checkpoints of the audit chain's head (src/audit/checkpoints.ts); undefined: none. */
  auditCheckpointDir: string | undefined;
  auditCheckpointMs: number;
}

/** The JWT signature algorithms OIDC_ALGORITHMS may list: asymmetric only, never `none` or a shared secret. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

export const CLAIMS_PROFILES = ['plain', 'cis2'] as const;
export type ClaimsProfile = (typeof CLAIMS_PROFILES)[number];

export interface OidcConfig {
  issuer: string;
  audience: string;
  jwksUrl?: string;
  jwksFile?: string;
  algorithms: readonly string[];
  /** dotted paths into the claims */
  roleClaim: string;
  practiceClaim: string;
  nameClaim: string;
  /** identity-provider role value → role of this service; without it, claim values must be role names */
  roleMap: Readonly<Record<string, Role>>;
  /**
   * How the role and practice are read: `plain` from roleClaim and practiceClaim; `cis2` from the
   * NHS CIS2 role profile the person selected (`nhsid_nrbac_roles`, `selected_roleid`: auth/cis2-role-profile.ts).
   */
  claimsProfile: ClaimsProfile;
  clockToleranceSeconds: number;
  /** sign-in on the web pages with the provider (authorization code flow with PKCE); undefined: the token form */
  signIn?: OidcSignInConfig;
}

export interface OidcSignInConfig {
  clientId: string;
  /** undefined: a public client (PKCE alone, no client authentication) */
  clientSecret?: string;
  /** this service's /sign-in/callback as the provider knows it */
  redirectUrl: string;
  scopes: string;
  /** what the button says: "Sign in with <providerName>" */
  providerName: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

function integer(env: Env, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, key: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(`${key} must be one of: ${allowed.join(', ')}`);
  return raw as T;
}

function matching(env: Env, key: string, fallback: string | undefined, pattern: RegExp, what: string): string | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!pattern.test(raw)) throw new ConfigError(`${key} must be ${what}`);
  return raw;
}

const CLAIM_PATH = /^[A-Za-z_][A-Za-z0-9_:-]*(\.[A-Za-z_][A-Za-z0-9_:-]*)*$/;

/** An https:// URL (http:// only on this machine), or a ConfigError naming the setting. */
function secureUrl(env: Env, key: string): URL {
  let url: URL;
  try {
    url = new URL(env[key] as string);
  } catch {
    throw new ConfigError(`${key} must be a URL`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new ConfigError(`${key} must be https:// (http:// only on this machine)`);
  return url;
}

function oidcSignInConfig(env: Env): OidcSignInConfig | undefined {
  const clientId = env.OIDC_CLIENT_ID || undefined;
  if (!clientId) {
    const stray = ['OIDC_CLIENT_SECRET', 'OIDC_REDIRECT_URL', 'OIDC_SCOPES', 'OIDC_PROVIDER_NAME'].filter((key) => env[key]);
    if (stray.length > 0) throw new ConfigError(`${stray.join(', ')} ${stray.length > 1 ? 'are' : 'is'} used only with OIDC_CLIENT_ID: set it too, or leave ${stray.length > 1 ? 'them' : 'it'} out`);
    return undefined;
  }
  if (!/^[\x21-\x7e]{1,255}$/.test(clientId)) throw new ConfigError('OIDC_CLIENT_ID must be 1 to 255 visible ASCII characters');
  if (!env.OIDC_REDIRECT_URL) throw new ConfigError('OIDC_REDIRECT_URL is needed with OIDC_CLIENT_ID: this service\'s /sign-in/callback address, as registered with the provider');
  const redirect = secureUrl(env, 'OIDC_REDIRECT_URL');
  if (redirect.pathname !== '/sign-in/callback' || redirect.search !== '' || redirect.hash !== '') throw new ConfigError('OIDC_REDIRECT_URL must be this service\'s address ending in /sign-in/callback, with no query');
  const scopes = (env.OIDC_SCOPES || 'openid profile').trim().split(/\s+/);
  if (!scopes.includes('openid') || scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) throw new ConfigError('OIDC_SCOPES must be scopes separated by spaces, openid among them');
  const providerName = (env.OIDC_PROVIDER_NAME || 'your organisation\'s account').trim();
  if (providerName.length > 60) throw new ConfigError('OIDC_PROVIDER_NAME must be at most 60 characters');
  return Object.freeze({ clientId, ...(env.OIDC_CLIENT_SECRET ? { clientSecret: env.OIDC_CLIENT_SECRET } : {}), redirectUrl: redirect.href, scopes: scopes.join(' '), providerName });
}

function oidcConfig(env: Env): OidcConfig | undefined {
  const keys = Object.keys(env).filter((key) => key.startsWith('OIDC_') && env[key]);
  if (keys.length === 0) return undefined;
  const signIn = oidcSignInConfig(env);
  const issuer = env.OIDC_ISSUER;
  // An ID token's audience is the client id; bearer tokens are often issued for it too.
  const audience = env.OIDC_AUDIENCE || signIn?.clientId;
  if (!issuer || !audience) throw new ConfigError('OIDC_ISSUER and OIDC_AUDIENCE are both needed once any OIDC_ setting is given');
  if (signIn) secureUrl(env, 'OIDC_ISSUER');
  const jwksUrl = env.OIDC_JWKS_URL || undefined;
  const jwksFile = env.OIDC_JWKS_FILE || undefined;
  if (Boolean(jwksUrl) === Boolean(jwksFile)) throw new ConfigError('give exactly one of OIDC_JWKS_URL and OIDC_JWKS_FILE');
  if (jwksUrl) secureUrl(env, 'OIDC_JWKS_URL');
  const algorithms = (env.OIDC_ALGORITHMS || 'RS256,ES256').split(',').map((a) => a.trim());
  const unsafe = algorithms.filter((a) => !(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
  if (unsafe.length > 0) throw new ConfigError(`OIDC_ALGORITHMS may list only ${ASYMMETRIC_ALGORITHMS.join(', ')} (not ${unsafe.join(', ')})`);
  const claimPath = 'a claim name, or a dotted path to a nested claim';
  const roleMap: Record<string, Role> = {};
  for (const pair of (env.OIDC_ROLE_MAP || '').split(',').filter((p) => p.trim() !== '')) {
    const parts = pair.split('=').map((p) => p.trim());
    const [from, to] = parts;
    // Strict: a typo here could quietly give someone another role.
    if (parts.length !== 2 || !from || !isRole(to)) throw new ConfigError('OIDC_ROLE_MAP must be pairs such as R8000=clinical-lead,R8013=triage-clinician,R8010=gp');
    if (Object.hasOwn(roleMap, from)) throw new ConfigError(`OIDC_ROLE_MAP maps ${from} twice`);
    roleMap[from] = to;
  }
  const claimsProfile = oneOf(env, 'OIDC_CLAIMS_PROFILE', 'plain', CLAIMS_PROFILES);
  if (claimsProfile === 'cis2') {
    // Said at start-up rather than ignored: under cis2 these claims are never read, and a deployment that set them expects them to be.
    const unused = ['OIDC_ROLE_CLAIM', 'OIDC_PRACTICE_CLAIM'].filter((key) => env[key]);
    if (unused.length > 0) throw new ConfigError(`${unused.join(' and ')} ${unused.length > 1 ? 'are' : 'is'} not used with OIDC_CLAIMS_PROFILE=cis2 (the role and practice come from the role profile the person selected): leave ${unused.length > 1 ? 'them' : 'it'} out`);
    if (Object.keys(roleMap).length === 0) throw new ConfigError('OIDC_CLAIMS_PROFILE=cis2 needs OIDC_ROLE_MAP: which CIS2 job-role codes are which role here, e.g. R8000=clinical-lead,R8013=triage-clinician,R8010=gp');
  }
  return Object.freeze({
    issuer,
    audience,
    ...(jwksUrl ? { jwksUrl } : { jwksFile }),
    algorithms,
    roleClaim: matching(env, 'OIDC_ROLE_CLAIM', 'role', CLAIM_PATH, claimPath) as string,
    practiceClaim: matching(env, 'OIDC_PRACTICE_CLAIM', 'practice', CLAIM_PATH, claimPath) as string,
    nameClaim: matching(env, 'OIDC_NAME_CLAIM', 'name', CLAIM_PATH, claimPath) as string,
    roleMap,
    claimsProfile,
    clockToleranceSeconds: integer(env, 'OIDC_CLOCK_TOLERANCE_S', 30, 0, 300),
    ...(signIn ? { signIn } : {}),
  });
}

const HOST_PATTERN = /^[A-Za-z0-9.:-]{1,253}$/;

function metricsListener(env: Env, port: number): Config['metrics'] {
  if (env.METRICS_PORT === undefined || env.METRICS_PORT === '') {
    if (env.METRICS_HOST) throw new ConfigError('METRICS_HOST is used only with METRICS_PORT: set METRICS_PORT too, or leave METRICS_HOST out');
    return undefined;
  }
  const metricsPort = integer(env, 'METRICS_PORT', 0, 0, 65535);
  if (metricsPort !== 0 && metricsPort === port) throw new ConfigError('METRICS_PORT must differ from PORT: the metrics listener is a second one');
  return Object.freeze({ host: matching(env, 'METRICS_HOST', '127.0.0.1', HOST_PATTERN, 'a host name or IP address') as string, port: metricsPort });
}

/** DATABASE_MIGRATION_URL: only beside DATABASE_URL (the embedded database has one login). */
function migrationUrl(env: Env): string | undefined {
  const url = matching(env, 'DATABASE_MIGRATION_URL', undefined, /^postgres(ql)?:\/\/\S+$/, 'a postgres:// or postgresql:// connection URL');
  if (url && !env.DATABASE_URL) throw new ConfigError('DATABASE_MIGRATION_URL is set without DATABASE_URL: it names the login that migrates a PostgreSQL server, beside the one DATABASE_URL names');
  return url;
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const port = integer(env, 'PORT', 3000, 0, 65535);
  return Object.freeze({
    port,
    host: matching(env, 'HOST', '127.0.0.1', HOST_PATTERN, 'a host name or IP address') as string,
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['error', 'warn', 'info', 'debug'] as const),
    logFormat: oneOf(env, 'LOG_FORMAT', 'auto', ['auto', 'json', 'pretty'] as const),
    rulesDir: env.RULES_DIR || 'rules',
    dataDir: env.DATA_DIR || 'data',
    databaseUrl: matching(env, 'DATABASE_URL', undefined, /^postgres(ql)?:\/\/\S+$/, 'a postgres:// or postgresql:// connection URL'),
    databaseMigrationUrl: migrationUrl(env),
    rulesetId: matching(env, 'RULESET_ID', 'msk-triage', /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'a rule-set id such as msk-triage') as string,
    rulesetVersion: matching(env, 'RULESET_VERSION', undefined, new RegExp(VERSION_PATTERN), 'a version such as 1.0.0'),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    rulesetCheckMs: integer(env, 'RULESET_CHECK_MS', 5_000, 100, 3_600_000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 10_000, 1000, 300_000),
    headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_MS', 5_000, 1000, 120_000),
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 120_000),
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_MS', 0, 0, 60_000),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 120_000),
    rateLimitPerAddress: integer(env, 'RATE_LIMIT_PER_ADDRESS', 3000, 1, 1_000_000),
    rateLimitPerCaller: integer(env, 'RATE_LIMIT_PER_CALLER', 600, 1, 1_000_000),
    rateLimitWindowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 60_000, 1000, 3_600_000),
    maxInFlight: integer(env, 'MAX_IN_FLIGHT', 8, 1, 10_000),
    maxQueued: integer(env, 'MAX_QUEUED', 64, 0, 100_000),
    admissionWaitMs: integer(env, 'ADMISSION_WAIT_MS', 250, 0, 60_000),
    trustProxyHops: integer(env, 'TRUST_PROXY_HOPS', 0, 0, 10),
    sessionIdleMs: integer(env, 'SESSION_IDLE_MINUTES', 30, 1, 24 * 60) * 60_000,
    sessionMaxMs: integer(env, 'SESSION_MAX_HOURS', 12, 1, 7 * 24) * 3_600_000,
    oidc: oidcConfig(env),
    metrics: metricsListener(env, port),
    auditKeyFile: env.AUDIT_KEY_FILE || undefined,
    auditCheckpointDir: env.AUDIT_CHECKPOINT_DIR || undefined,
    auditCheckpointMs: integer(env, 'AUDIT_CHECKPOINT_MS', 60_000, 1_000, 86_400_000),
  });
}
