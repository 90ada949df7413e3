/**
 * The service's configuration: read from the environment once, validated, frozen. Every key is in
 * the README's configuration table; a bad value stops start-up with a message naming the setting.
 */
export interface Config {
  port: number;
  host: string;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
  rulesDir: string;
  /** Where the embedded database (PGlite) keeps its files; unused when databaseUrl is set. */
  dataDir: string;
  /** A PostgreSQL server to use instead of the embedded database. */
  databaseUrl: string | undefined;
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
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

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

export function loadConfig(env: Env = process.env): Readonly<Config> {
  return Object.freeze({
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: matching(env, 'HOST', '127.0.0.1', /^[A-Za-z0-9.:-]{1,253}$/, 'a host name or IP address') as string,
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['error', 'warn', 'info', 'debug'] as const),
    rulesDir: env.RULES_DIR || 'rules',
    dataDir: env.DATA_DIR || 'data',
    databaseUrl: matching(env, 'DATABASE_URL', undefined, /^postgres(ql)?:\/\/\S+$/, 'a postgres:// or postgresql:// connection URL'),
    rulesetId: matching(env, 'RULESET_ID', 'msk-triage', /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'a rule-set id such as msk-triage') as string,
    rulesetVersion: matching(env, 'RULESET_VERSION', undefined, /^\d+\.\d+\.\d+$/, 'a version such as 1.0.0'),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    rulesetCheckMs: integer(env, 'RULESET_CHECK_MS', 5_000, 100, 3_600_000),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 10_000, 1000, 300_000),
    headersTimeoutMs: integer(env, 'HEADERS_TIMEOUT_MS', 5_000, 1000, 120_000),
    keepAliveTimeoutMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 120_000),
    shutdownDelayMs: integer(env, 'SHUTDOWN_DELAY_MS', 0, 0, 60_000),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 120_000),
  });
}
