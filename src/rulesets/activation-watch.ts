/**
 * Keeps a running instance on the rule-set versions the database says are active: on a PostgreSQL
 * NOTIFY from an activation (within a second), and by a periodic check as the fallback (and for an
 * activation made by the command line). A version is swapped in only if its folder still passes its
 * checks and hashes to what was activated; otherwise the instance keeps its version and logs why.
 */
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Database } from '../store/database.js';
import { ACTIVATION_CHANNEL, currentActivations } from '../store/ruleset-store.js';
import { inspectVersion } from '../rules/rule-set-loader.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';

export interface WatchDeps {
  db: Database;
  registry: RuleSetRegistry;
  rulesDir: string;
  logger: Logger;
  intervalMs: number;
}

/** Brings the registry in line with the database once; returns the rule sets that switched. */
export async function syncActivations(deps: Omit<WatchDeps, 'intervalMs'>): Promise<string[]> {
  const switched: string[] = [];
  for (const [id, wanted] of await currentActivations(deps.db)) {
    const current = deps.registry.active(id);
    if (!current || (current.version === wanted.version && current.sha256 === wanted.sha256)) continue;
    const inspection = await inspectVersion(path.join(deps.rulesDir, id, wanted.version));
    const { compiled, cases, caseResults } = inspection;
    if (!compiled || !cases || !caseResults || inspection.problems.length > 0 || compiled.sha256 !== wanted.sha256) {
      deps.logger.error('activated rule-set version cannot be loaded here; keeping the current one', {
        event: 'ruleset.switch-refused', rulesetId: id, version: wanted.version, currentVersion: current.version, problems: inspection.problems.length,
      });
      continue;
    }
    deps.registry.installAndActivate({ compiled, cases, caseResults, dir: inspection.dir });
    deps.logger.info('switched to the activated rule-set version', { event: 'ruleset.switched', rulesetId: id, version: wanted.version, previousVersion: current.version });
    switched.push(id);
  }
  return switched;
}

/** Starts watching; returns a function that stops it. */
export async function watchActivations(deps: WatchDeps): Promise<() => Promise<void>> {
  let running = Promise.resolve<unknown>(undefined);
  const sync = () => {
    running = running.then(() => syncActivations(deps)).catch((error: unknown) => {
      deps.logger.warn('rule-set activation check failed', { event: 'ruleset.check-failed', errorName: (error as Error).name });
    });
    return running;
  };
  const timer = setInterval(() => void sync(), deps.intervalMs);
  timer.unref();
  const unlisten = deps.db.listen ? await deps.db.listen(ACTIVATION_CHANNEL, () => void sync()) : undefined;
  return async () => {
    clearInterval(timer);
    await unlisten?.();
    await running;
  };
}
