/**
 * The service, started and stopped: open and migrate the database, load every rule-set version (a
 * broken draft is left out; any other failure stops start-up, naming the file and the problem), keep
 * in step with activations, schedules and drafts, listen, and drain on request. In one function, so that the tests start the real service in their own
 * process; only main.ts turns its refusals into exit codes and wires the signals.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { admissionFrom, createApp, type AppDeps } from './app.js';
import { oidcVerifier, providerKeys, type OidcVerifier } from './auth/oidc.js';
import { oidcSignIn, type OidcSignIn } from './auth/oidc-sign-in.js';
import type { Config } from './config.js';
import { metricsApp } from './http/metrics-router.js';
import { httpServer } from './http/server.js';
import { serviceMetrics } from './http/service-metrics.js';
import type { Logger } from './log/logger.js';
import { RuleSetLoadError, formatProblem } from './rules/rule-set-loader.js';
import type { RuleSetRegistry } from './rules/rule-set-registry.js';
import { scanRulesFolderRemembering } from './rules/agreement-record.js';
import type { FolderScan } from './rules/rules-folder-scan.js';
import { watchActivations } from './rulesets/activation-watch.js';
import { logLeftOut } from './rulesets/draft-reload.js';
import { startupRegistry } from './rulesets/rule-set-lifecycle.js';
import { IN_MEMORY, type Database } from './store/database.js';
import { databaseLocation } from './store/database-location.js';
import { openServiceDatabase } from './store/embedded-server.js';
import { prepareDatabase, RUNTIME_ROLE } from './store/runtime-role.js';
import { usableTokenCount } from './store/token-store.js';
import { inspectVersionInWorker } from './rules/version-check.js';
import { auditKeyRingFor, auditKeys, useAuditKeys } from './audit/audit-keys.js';
import { checkpointEvery } from './audit/checkpoints.js';
import { auditChainHead } from './store/audit-store.js';
import { compileAllSchemas } from './schemas/schema-registry.js';

/** Why the service did not start: the message for the operator, and the exit code it stands for. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(message: string, readonly exitCode: 1 | 2 = 1) {
    super(message);
  }
}

export interface ServiceOptions {
  logger: Logger;
  /** a line for the operator at the terminal (stderr): what to do next */
  notice(line: string): void;
  /** the database to use instead of opening the one the configuration names (tests); not closed on stop */
  db?: Database;
  /** the database the configuration names, already being opened (`openServiceDatabase`, by src/main.ts); closed on stop */
  opening?: Promise<{ db: Database; socketPath?: string }>;
  clock?: () => Date;
  /** passed on to the app (tests: the checker's search size, the rate limits) */
  app?: Partial<Pick<AppDeps, 'checkerSearchSize' | 'rateLimits' | 'admission'>>;
}

export interface RunningService {
  readonly server: Server;
  readonly port: number;
  readonly registry: RuleSetRegistry;
  readonly db: Database;
  /** where the commands beside the service reach its embedded database (none on PostgreSQL) */
  readonly socketPath?: string;
  /** the metrics listener's port, when METRICS_PORT is set */
  readonly metricsPort?: number;
  /**
   * Makes the check the activation watch makes every RULESET_CHECK_MS, now: activations made
   * elsewhere, scheduled activations whose day has come, new and changed drafts (tests, on their clock).
   */
  checkRuleSets(): Promise<void>;
  /**
   * Drains and stops: /readyz answers 503 at once; after the shutdown delay the listener closes and
   * requests in flight finish; after the grace any connection still open is closed; then the
   * activation watch stops and the database closes (if the service opened it).
   */
  stop(signal: string): Promise<void>;
}

async function openAndMigrate(config: Config, options: ServiceOptions): Promise<{ db: Database; owned: boolean; socketPath?: string }> {
  let db: Database | undefined = options.db;
  let socketPath: string | undefined;
  try {
    if (!db) ({ db, socketPath } = await (options.opening ?? openServiceDatabase(config)));
    const { applied, warning } = await prepareDatabase(db, config.databaseMigrationUrl);
    if (warning) options.logger.warn(warning, { event: 'startup.database-roles' });
    options.logger.info('database ready', { event: 'startup.database-ready', kind: db.kind, migrationsApplied: applied, role: RUNTIME_ROLE, sinceProcessStartMs: Math.round(performance.now()) });
    return { db, owned: !options.db, ...(socketPath ? { socketPath } : {}) };
  } catch (error) {
    if (db && !options.db) await db.close().catch(() => undefined);
    throw new StartupError(`the database could not be opened or migrated: ${(error as Error).message}`);
  }
}

/** What is wrong with RULES_DIR as a StartupError (after an error line), or the error itself if it is something else. */
function startupErrorOf(error: unknown, logger: Logger): unknown {
  if (!(error instanceof RuleSetLoadError)) return error;
  logger.error('rule sets failed to load', { event: 'startup.rulesets-invalid', problems: error.problems.length });
  return new StartupError(error.message);
}

/** Every version folder under RULES_DIR read and checked; it needs no database, so it runs while the database opens. */
async function scanRules(config: Config): Promise<{ scan?: FolderScan; error?: unknown }> {
  try {
    compileAllSchemas(); // all of them now, not on a first request: a broken schema stops start-up
    return { scan: await scanRulesFolderRemembering(config.rulesDir, config.dataDir === IN_MEMORY ? undefined : config.dataDir) };
  } catch (error) {
    return { error };
  }
}

/**
 * Every version under RULES_DIR: a broken draft is left out (an error line each, and /readyz says
 * so); a broken released or scheduled version stops start-up (rule-set-lifecycle.ts).
 */
async function loadRegistry(config: Config, db: Database, scan: FolderScan, clock: () => Date, logger: Logger): Promise<RuleSetRegistry> {
  let registry: RuleSetRegistry;
  try {
    const pins = config.rulesetVersion ? { [config.rulesetId]: config.rulesetVersion } : {};
    registry = await startupRegistry(db, config.rulesDir, scan, clock, pins);
  } catch (error) {
    throw startupErrorOf(error, logger);
  }
  for (const summary of registry.summaries()) {
    logger.info('rule set loaded', { event: 'startup.ruleset-loaded', rulesetId: summary.id, activeVersion: summary.activeVersion, versions: summary.versions.map((v) => v.version) });
  }
  for (const entry of registry.leftOut()) logLeftOut(logger, entry);
  if (!registry.active(config.rulesetId)) {
    const leftOut = registry.leftOut().filter((entry) => entry.id === config.rulesetId).flatMap((entry) => entry.problems.map((p) => `\n  left out: ${formatProblem(p)}`));
    throw new StartupError(`RULESET_ID ${config.rulesetId} names no loaded rule set${leftOut.join('')}`);
  }
  return registry;
}

export async function startService(config: Config, options: ServiceOptions): Promise<RunningService> {
  const { logger } = options;
  try {
    useAuditKeys(auditKeyRingFor({ auditKeyFile: config.auditKeyFile, dataDir: config.dataDir, inMemory: config.dataDir === IN_MEMORY }));
  } catch (error) {
    throw new StartupError(`the audit key could not be read: ${(error as Error).message}`);
  }
  const clock = options.clock ?? (() => new Date());
  // The database opens in a thread of its own (or on a server) while this thread reads the rules.
  const opening = openAndMigrate(config, options);
  opening.catch(() => undefined); // awaited below: not an unhandled rejection while the rules are read
  const scanned = await scanRules(config);
  const { db, owned, socketPath } = await opening;
  const closeDb = () => (owned ? db.close() : Promise.resolve());
  let registry: RuleSetRegistry;
  let oidc: OidcVerifier | undefined;
  let signIn: OidcSignIn | undefined;
  const { scan } = scanned;
  try {
    if (!scan) throw startupErrorOf(scanned.error, logger);
    registry = await loadRegistry(config, db, scan, clock, logger);
    try {
      const keys = config.oidc ? providerKeys(config.oidc) : undefined;
      oidc = config.oidc && keys ? oidcVerifier(config.oidc, keys) : undefined;
      signIn = config.oidc?.signIn && keys ? oidcSignIn({ ...config.oidc, signIn: config.oidc.signIn }, keys) : undefined;
    } catch (error) {
      throw new StartupError(`the OIDC keys could not be read from OIDC_JWKS_FILE: ${(error as Error).message}`);
    }
  } catch (error) {
    await closeDb();
    throw error;
  }
  // Without LISTEN (the embedded database), an activation made at the command line is seen by polling: every second at most.
  // Each check also reads RULES_DIR again for drafts, and carries out the scheduled activations due.
  const intervalMs = db.listen ? config.rulesetCheckMs : Math.min(config.rulesetCheckMs, 1_000);
  // A changed draft, or a version activated elsewhere, is checked in the checks' worker thread: the event loop stays free.
  const stopWatching = await watchActivations({ db, registry, rulesDir: config.rulesDir, logger, intervalMs, clock, scan, inspect: inspectVersionInWorker });

  const usableTokens = await usableTokenCount(db);
  logger.info('authentication', { event: 'startup.authentication', oidc: Boolean(oidc), oidcSignIn: Boolean(signIn), usableTokens });
  if (!oidc && !usableTokens) {
    options.notice('msk-triage: no one can call /api/v1 yet: issue a token with  npx msk-triage token create --role <gp|triage-clinician|clinical-lead> --name <name> [--practice <ODS code>]');
  }
  const readiness = { shuttingDown: false };
  const rateLimits = { perAddress: config.rateLimitPerAddress, perCaller: config.rateLimitPerCaller, windowMs: config.rateLimitWindowMs };
  const metrics = serviceMetrics({ db, registry, clock, processMetrics: true });
  const app = createApp({ config, registry, db, logger, readiness, rateLimits, clock, metrics, admission: admissionFrom(config), ...options.app, ...(oidc ? { oidc } : {}), ...(signIn ? { oidcSignIn: signIn } : {}) });
  const server = httpServer(app, config, logger);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await stopWatching();
    await closeDb();
    logger.error('server error', { event: 'startup.listen-failed', code: (error as NodeJS.ErrnoException).code });
    throw new StartupError(`could not listen on ${config.host}:${config.port}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const { port } = server.address() as AddressInfo;
  logger.info('listening', { event: 'startup.listening', host: config.host, port, pid: process.pid });
  let metricsServer: Server | undefined;
  if (config.metrics) {
    metricsServer = httpServer(metricsApp(metrics, logger), config, logger);
    try {
      await listen(metricsServer, config.metrics.port, config.metrics.host);
    } catch (error) {
      server.close();
      await stopWatching();
      await closeDb();
      logger.error('server error', { event: 'startup.listen-failed', code: (error as NodeJS.ErrnoException).code, listener: 'metrics' });
      throw new StartupError(`could not listen for metrics on ${config.metrics.host}:${config.metrics.port} (METRICS_HOST, METRICS_PORT): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const metricsPort = metricsServer ? (metricsServer.address() as AddressInfo).port : undefined;
  // The chain's head, signed, to a file outside the database (AUDIT_CHECKPOINT_DIR): what audit verify --checkpoints checks.
  const checkpoints = config.auditCheckpointDir
    ? checkpointEvery({
        dir: config.auditCheckpointDir, intervalMs: config.auditCheckpointMs, ring: auditKeys, clock, head: () => auditChainHead(db),
        onError: (error) => logger.error('audit checkpoint not written', { event: 'audit.checkpoint-failed', errorName: (error as Error).name, code: (error as NodeJS.ErrnoException).code }),
      })
    : undefined;
  await checkpoints?.now();
  logReady(logger, config, { port, registry, socketPath, metricsPort });

  let stopping: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> => {
    stopping ??= (async () => {
      readiness.shuttingDown = true;
      logger.info('shutting down', { event: 'shutdown.started', signal });
      await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      const force = setTimeout(() => {
        logger.warn('shutdown grace period over; closing open connections', { event: 'shutdown.forced' });
        server.closeAllConnections();
      }, config.shutdownGraceMs);
      force.unref();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      clearTimeout(force);
      if (metricsServer) await closeAtOnce(metricsServer);
      await stopWatching();
      await checkpoints?.stop();
      await closeDb();
      logger.info('stopped', { event: 'shutdown.finished' });
    })();
    return stopping;
  };
  return { server, port, registry, db, stop, checkRuleSets: stopWatching.checkNow, ...(socketPath ? { socketPath } : {}), ...(metricsPort === undefined ? {} : { metricsPort }) };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A scrape takes milliseconds: nothing to drain. */
function closeAtOnce(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  return closed;
}

/** The address a person opens: a listener on every address is reached on this machine's loopback. */
export function addressToOpen(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}/`;
}

/**
 * One line that says what is running: the address to open, the rule set it triages with, and the
 * database with where its data lives (never a password: database-location.ts).
 */
function logReady(logger: Logger, config: Config, running: { port: number; registry: RuleSetRegistry; socketPath: string | undefined; metricsPort: number | undefined }): void {
  const url = addressToOpen(config.host, running.port);
  const active = running.registry.active(config.rulesetId);
  const { text, ...location } = databaseLocation(config, running.socketPath);
  const metricsUrl = config.metrics && running.metricsPort !== undefined ? `${addressToOpen(config.metrics.host, running.metricsPort)}metrics` : undefined;
  const parts = [`open ${url}`, `rule set ${config.rulesetId} ${active?.version ?? '(none)'}`, `database ${text}`, ...(metricsUrl ? [`metrics at ${metricsUrl}`] : [])];
  logger.info(`ready: ${parts.join(' · ')}`, {
    event: 'startup.ready',
    url,
    rulesetId: config.rulesetId,
    rulesetVersion: active?.version,
    ...location,
    ...(metricsUrl ? { metricsUrl } : {}),
    pid: process.pid,
    // From the process's start: Node, its modules, the database and the rules.
    sinceProcessStartMs: Math.round(performance.now()),
  });
}
