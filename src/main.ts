/**
 * `npm start`: read the configuration, start the service, and stop it on SIGTERM or SIGINT. The only
 * module that sets the process's exit code: 2 for a bad setting, 1 for anything else that stops
 * start-up (the message says what), 0 after a clean stop.
 */
import { ConfigError, loadConfig, type Config } from './config.js';
import { openServiceDatabase } from './store/embedded-server.js';

const notice = (line: string) => process.stderr.write(`${line}\n`);

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  notice(`msk-triage: configuration error: ${error.message}`);
  process.exit(2);
}
// The database first: its thread opens it while this one loads the rest of the service (most of a
// restart's time is one or the other). startService waits for it and reports a failure.
const opening = openServiceDatabase(config);
opening.catch(() => undefined); // not an unhandled rejection before startService awaits it
const [{ createLogger, logFormatFor }, { startService, StartupError }] = await Promise.all([import('./log/logger.js'), import('./service.js')]);
const logger = createLogger({ level: config.logLevel, format: logFormatFor(config.logFormat, process.stdout.isTTY === true) });

try {
  const service = await startService(config, { logger, notice, opening });
  const stop = (signal: string) => void service.stop(signal).then(() => process.exit(0), () => process.exit(1));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  if (!(error instanceof StartupError)) throw error;
  notice(`msk-triage: ${error.message}`);
  process.exit(error.exitCode);
}
