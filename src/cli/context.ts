/** What every command needs: the database and the rule sets, opened as the service opens them. */
import type { Config } from '../config.js';
import { formatProblem, loadValidRuleSets } from '../rules/rule-set-loader.js';
import { registryFromDatabase } from '../rules/rule-set-lifecycle.js';
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
