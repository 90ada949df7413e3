/** What every command needs: the database and the rule sets, opened as the service opens them. */
import { createHash } from 'node:crypto';
import type { Actor } from '../auth/principal.js';
import type { Config } from '../config.js';
import type { Signatory } from '../rulesets/rule-set-activation.js';
import { formatProblem, loadValidRuleSets } from '../rules/rule-set-loader.js';
import { registryFromDatabase } from '../rulesets/rule-set-lifecycle.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrate } from '../store/migrations.js';

export async function withDatabase<T>(config: Config, work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db);
    return await work(db);
  } finally {
    await db.close();
  }
}

/**
 * The rule sets as the commands see them: every version that passes its checks (a broken draft a
 * clinical lead is still working on is left out, not fatal), active versions from the database.
 */
export async function registryFor(config: Config, db: Database): Promise<RuleSetRegistry> {
  const pins = config.rulesetVersion ? { [config.rulesetId]: config.rulesetVersion } : {};
  const { loaded, skipped } = await loadValidRuleSets(config.rulesDir);
  for (const problem of skipped.slice(0, 3)) console.error(`msk-triage: left out: ${formatProblem(problem)}`);
  if (skipped.length > 3) console.error(`msk-triage: … and ${skipped.length - 3} more problems (msk-triage rules check lists them)`);
  return registryFromDatabase(db, loaded, () => new Date(), pins);
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
