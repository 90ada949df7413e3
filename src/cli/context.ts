/**
 * What every command needs: where it writes, the database and the rule sets, opened as the service
 * opens them. The command line runs in-process in the tests: `main(argv, io)` takes its output, its
 * environment and its database from `io`, and returns the exit code; only bin.js touches `process`.
 */
import { createHash } from 'node:crypto';
import type { Actor } from '../auth/principal.js';
import type { Config, Env } from '../config.js';
import type { Signatory } from '../rulesets/rule-set-activation.js';
import { formatProblem } from '../rules/rule-set-loader.js';
import { scanRulesFolderRemembering } from '../rules/agreement-record.js';
import { registryFromDatabase } from '../rulesets/rule-set-lifecycle.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import { IN_MEMORY, type Database } from '../store/database.js';
import { openDatabase } from '../store/embedded-server.js';
import { prepareDatabase } from '../store/runtime-role.js';

export interface CommandIo {
  /** the environment the configuration is read from */
  readonly env: Env;
  /** one line of the command's output (stdout) */
  readonly out: (line: string) => void;
  /** one line of its messages (stderr) */
  readonly err: (line: string) => void;
  /** the time now: when a token is made, an approval signed, a version activated */
  readonly clock: () => Date;
  /** opens the database the configuration names; the command closes it when done */
  readonly openDatabase: (config: Config) => Promise<Database>;
  /** how many generated referrals the checker searches on approve and activate (default: its full size) */
  readonly checkerSearchSize?: number;
}

/** The command line as an operator runs it: this process's environment, stdout and stderr, a real clock. */
export function processIo(): CommandIo {
  return {
    env: process.env,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    clock: () => new Date(),
    openDatabase: (config) => openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }),
  };
}

/** A command's context: its configuration and its io. */
export interface Command {
  config: Config;
  io: CommandIo;
}

export async function withDatabase<T>({ config, io }: Command, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await io.openDatabase(config);
  try {
    await prepareDatabase(db, config.databaseMigrationUrl);
    return await work(db);
  } finally {
    await db.close();
  }
}

/**
 * The rule sets as the commands see them: every version that passes its checks (a broken draft a
 * clinical lead is still working on is left out, not fatal, and kept as left out with its problems),
 * active versions from the database. `quiet`: the command shows what was left out itself.
 */
export async function registryFor({ config, io }: Command, db: Database, options: { quiet?: boolean } = {}): Promise<RuleSetRegistry> {
  const pins = config.rulesetVersion ? { [config.rulesetId]: config.rulesetVersion } : {};
  const folders = [...(await scanRulesFolderRemembering(config.rulesDir, config.dataDir === IN_MEMORY ? undefined : config.dataDir)).values()];
  const skipped = folders.flatMap((folder) => folder.problems);
  if (!options.quiet) {
    for (const problem of skipped.slice(0, 3)) io.err(`msk-triage: left out: ${formatProblem(problem)}`);
    if (skipped.length > 3) io.err(`msk-triage: … and ${skipped.length - 3} more problems (msk-triage rules check lists them)`);
  }
  const registry = await registryFromDatabase(db, folders.flatMap((folder) => (folder.loaded ? [folder.loaded] : [])), io.clock, pins);
  for (const folder of folders) {
    if (!folder.loaded && !registry.isReleased(folder.id, folder.version)) registry.leaveOut({ id: folder.id, version: folder.version, dir: folder.dir, problems: folder.problems });
  }
  return registry;
}

/**
 * The command line is run by the service's operators, on its machine, with its database: they are
 * trusted as `operator`. A person who signs (approves, activates) is named with --name/--by; their
 * audit id is a pseudonym of that name, so that two people signing differ and neither is spelled out.
 */
export function cliSignatory(name: string, role: string): Signatory {
  return { name, role, id: `cli:${createHash('sha256').update(name.trim().toLowerCase()).digest('hex').slice(0, 16)}`, actorRole: 'operator' };
}

export const CLI_ACTOR: Actor = { id: 'cli:operator', role: 'operator' };

/** Who stores synthetic referrals (migration 006 knows the ones stored before it by this id). */
export const SYNTHETIC_DATA_GENERATOR: Actor = { id: 'cli:synthetic-data-generator', role: 'operator' };
