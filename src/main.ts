/**
 * Start-up and shutdown: read the configuration, load every rule-set version (any failure stops
 * start-up, naming the file and the problem), listen, and drain on SIGTERM.
 */
import type { Server } from 'node:http';
import { createApp } from './app.js';
import { httpServer } from './http/server.js';
import { oidcVerifier, type OidcVerifier } from './auth/oidc.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log/logger.js';
import { RuleSetLoadError, loadRuleSets } from './rules/rule-set-loader.js';
import { registryFromDatabase } from './rulesets/rule-set-lifecycle.js';
import { watchActivations } from './rulesets/activation-watch.js';
import type { RuleSetRegistry } from './rules/rule-set-registry.js';
import { openDatabase, type Database } from './store/database.js';
import { migrate } from './store/migrations.js';
import { usableTokenCount } from './store/token-store.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`msk-triage: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel });

  let db: Database;
  try {
    db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    const applied = await migrate(db);
    logger.info('database ready', { event: 'startup.database-ready', kind: db.kind, migrationsApplied: applied });
  } catch (error) {
    process.stderr.write(`msk-triage: the database could not be opened or migrated: ${(error as Error).message}\n`);
    process.exit(1);
  }

  let registry: RuleSetRegistry;
  try {
    const pins = config.rulesetVersion ? { [config.rulesetId]: config.rulesetVersion } : {};
    registry = await registryFromDatabase(db, await loadRuleSets(config.rulesDir), () => new Date(), pins);
  } catch (error) {
    if (error instanceof RuleSetLoadError) {
      process.stderr.write(`msk-triage: ${error.message}\n`);
      logger.error('rule sets failed to load', { event: 'startup.rulesets-invalid', problems: error.problems.length });
      process.exit(1);
    }
    throw error;
  }
  for (const summary of registry.summaries()) {
    logger.info('rule set loaded', {
      event: 'startup.ruleset-loaded',
      rulesetId: summary.id,
      activeVersion: summary.activeVersion,
      versions: summary.versions.map((v) => v.version),
    });
  }
  if (!registry.active(config.rulesetId)) {
    process.stderr.write(`msk-triage: RULESET_ID ${config.rulesetId} names no loaded rule set\n`);
    process.exit(1);
  }

  const stopWatching = await watchActivations({ db, registry, rulesDir: config.rulesDir, logger, intervalMs: config.rulesetCheckMs });

  const readiness = { shuttingDown: false };
  let oidc: OidcVerifier | undefined;
  try {
    oidc = config.oidc ? oidcVerifier(config.oidc) : undefined;
  } catch (error) {
    process.stderr.write(`msk-triage: the OIDC keys could not be read from OIDC_JWKS_FILE: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const usableTokens = await usableTokenCount(db);
  logger.info('authentication', { event: 'startup.authentication', oidc: Boolean(oidc), usableTokens });
  if (!oidc && !usableTokens) {
    process.stderr.write('msk-triage: no one can call /api/v1 yet: issue a token with  npx msk-triage token create --role <gp|triage-clinician|clinical-lead> --name <name> [--practice <ODS code>]\n');
  }
  const rateLimits = { perAddress: config.rateLimitPerAddress, perCaller: config.rateLimitPerCaller, windowMs: config.rateLimitWindowMs };
  const app = createApp({ config, registry, db, logger, readiness, rateLimits, ...(oidc ? { oidc } : {}) });
  const server: Server = httpServer(app, config);
  server.listen(config.port, config.host);
  server.on('listening', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info('listening', { event: 'startup.listening', host: config.host, port, pid: process.pid });
  });
  server.on('error', (error: NodeJS.ErrnoException) => {
    logger.error('server error', { event: 'startup.listen-failed', code: error.code });
    process.exit(1);
  });

  // SIGTERM: /readyz answers 503 at once; after SHUTDOWN_DELAY_MS the listener closes, requests in
  // flight finish, and after SHUTDOWN_GRACE_MS more any connection still open is closed.
  const shutdown = (signal: string) => {
    if (readiness.shuttingDown) return;
    readiness.shuttingDown = true;
    logger.info('shutting down', { event: 'shutdown.started', signal });
    setTimeout(() => {
      const force = setTimeout(() => {
        logger.warn('shutdown grace period over; closing open connections', { event: 'shutdown.forced' });
        server.closeAllConnections();
      }, config.shutdownGraceMs);
      force.unref();
      server.close(() => {
        void stopWatching().then(() => db.close()).finally(() => {
          logger.info('stopped', { event: 'shutdown.finished' });
          process.exit(0);
        });
      });
      server.closeIdleConnections();
    }, config.shutdownDelayMs);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

await main();
