/**
 * `msk-triage rules list`, `rules reload` and `rules cancel-schedule`: the lifecycle of the versions
 * as the database records it, the drafts a running service picks up, and activations scheduled for
 * a version's effectiveFrom.
 */
import { parseArgs } from 'node:util';
import { ApiError } from '../domain/error-catalogue.js';
import { formatProblem } from '../rules/rule-set-loader.js';
import { scanRulesFolder } from '../rules/rules-folder-scan.js';
import { requestReload } from '../rulesets/draft-reload.js';
import { ruleSetListing } from '../rulesets/rule-set-listing.js';
import { cancelSchedule } from '../rulesets/scheduled-activation.js';
import { cliSignatory, registryFor, withDatabase, type Command } from './context.js';

/** `msk-triage rules list [--json]`: every rule set, its versions and their status, its schedule, its drafts left out. */
export async function rulesList(command: Command, args: string[]): Promise<number> {
  const { io } = command;
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  return withDatabase(command, async (db) => {
    const listing = await ruleSetListing(await registryFor(command, db, { quiet: true }), db);
    if (values.json) {
      io.out(JSON.stringify({ rulesets: listing }, null, 2));
      return 0;
    }
    for (const ruleset of listing) {
      io.out(`${ruleset.id}: active ${ruleset.activeVersion}`);
      for (const v of ruleset.versions) {
        const schedule = ruleset.scheduled.find((s) => s.version === v.version);
        const when = schedule ? `  scheduled: activates on ${schedule.effectiveFrom} at the start of the day (Europe/London), by ${schedule.scheduledBy}: ${schedule.reason}` : '';
        io.out(`  ${v.version.padEnd(9)} ${v.status.padEnd(8)} effective from ${v.effectiveFrom}  ${v.sha256.slice(0, 12)}${when}`);
      }
      for (const entry of ruleset.leftOut) {
        io.out(`  ${entry.version.padEnd(9)} left out: fails its checks (${entry.problemCount} problem${entry.problemCount === 1 ? '' : 's'})`);
        for (const problem of entry.problems.slice(0, 3)) io.out(`            ${problem}`);
      }
    }
    return 0;
  });
}

/**
 * `msk-triage rules reload`: checks RULES_DIR as the service would, says what it found, and records a
 * request that every running service read the folder again (it does so on its own every few seconds).
 */
export async function rulesReload(command: Command, args: string[]): Promise<number> {
  const { config, io } = command;
  parseArgs({ args, options: {} });
  const scan = await scanRulesFolder(config.rulesDir);
  return withDatabase(command, async (db) => {
    for (const folder of scan.values()) {
      if (folder.loaded) io.out(`${folder.id} ${folder.version}: passes its checks (content hash ${folder.loaded.compiled.sha256.slice(0, 12)})`);
      else {
        io.out(`${folder.id} ${folder.version}: fails its checks; a running service leaves it out (a draft) or keeps the version it has (a released one):`);
        for (const problem of folder.problems.slice(0, 5)) io.out(`  ${formatProblem(problem)}`);
        if (folder.problems.length > 5) io.out(`  … and ${folder.problems.length - 5} more (msk-triage rules check lists them)`);
      }
    }
    const request = await requestReload(db, 'cli:operator', io.clock());
    io.out(`reload requested (#${request}): every running service reads ${config.rulesDir} again at its next check (at once with PostgreSQL, within a second on the embedded database); its /readyz lists the drafts it left out`);
    return 0;
  });
}

/** `msk-triage rules cancel-schedule RULESET VERSION --by N --reason R` */
export async function rulesCancelSchedule(command: Command, args: string[]): Promise<number> {
  const { io } = command;
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { by: { type: 'string' }, reason: { type: 'string' } } });
  const [rulesetId, version] = positionals;
  if (!rulesetId || !version || !values.by?.trim() || !values.reason?.trim()) throw new Error('usage: msk-triage rules cancel-schedule <ruleset> <version> --by <name> --reason <text>');
  return withDatabase(command, async (db) => {
    try {
      const cancelled = await cancelSchedule({ db, clock: io.clock }, { rulesetId, version, cancelledBy: cliSignatory(values.by as string, 'operator'), reason: (values.reason as string).trim() });
      io.out(`cancelled the activation of ${rulesetId} ${version} scheduled for ${cancelled.effectiveFrom}; the active version is unchanged`);
      return 0;
    } catch (error) {
      if (error instanceof ApiError) {
        io.out(`nothing cancelled: ${error.message}`);
        return 1;
      }
      throw error;
    }
  });
}
