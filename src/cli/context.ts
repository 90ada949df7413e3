/** What every command needs: the database and the rule sets, opened as the service opens them. */
import type { Config } from '../config.js';
import { loadRuleSets } from '../rules/rule-set-loader.js';
import { RuleSetRegistry } from '../rules/rule-set-registry.js';
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

export async function registryFor(config: Config): Promise<RuleSetRegistry> {
  const pins = config.rulesetVersion ? { [config.rulesetId]: config.rulesetVersion } : {};
  return new RuleSetRegistry(await loadRuleSets(config.rulesDir), pins);
}
