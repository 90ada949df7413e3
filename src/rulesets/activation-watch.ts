/**
 * Keeps a running instance on the rule-set versions the database says are active: on a PostgreSQL
 * NOTIFY from an activation (within a second), and by a periodic check as the fallback (and for an
 * activation made by the command line). A version is swapped in only if it hashes to what was
 * activated and passes its checks: at once when this instance loaded that very content, else after
 * its folder is read and checked again (in the checks' thread); otherwise it keeps its version and logs why.
 * Each check also carries out the scheduled activations whose day has come (scheduled-activation.ts)
 * and, given the scan the service started from, reads RULES_DIR again for new and changed drafts
 * (draft-reload.ts): every folder again when `msk-triage rules reload` asked for it.
 */
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Database } from '../store/database.js';
import { ACTIVATION_CHANNEL, RELOAD_CHANNEL, currentActivations, latestReloadRequest, pendingSchedules } from '../store/ruleset-store.js';
import { inspectVersion, type VersionInspector } from '../rules/rule-set-loader.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import type { FolderScan } from '../rules/rules-folder-scan.js';
import { reloadDrafts } from './draft-reload.js';
import { activateDueSchedules } from './scheduled-activation.js';

export interface WatchDeps {
  db: Database;
  registry: RuleSetRegistry;
  rulesDir: string;
  logger: Logger;
  intervalMs: number;
  /** the time now, for the scheduled activations (default: the system clock) */
  clock?: () => Date;
  /** the rules folder as the service read it at start-up: with it, each check reads the drafts again */
  scan?: FolderScan;
  /** checks a version folder (default: on this thread; the service: in its checks' worker thread) */
  inspect?: VersionInspector;
}

/** A running watch: stop it, or make the check its timer makes, now. */
export interface ActivationWatch {
  (): Promise<void>;
  checkNow: () => Promise<void>;
}

/** Brings the registry in line with the database once; returns the rule sets that switched. */
export async function syncActivations(deps: Omit<WatchDeps, 'intervalMs'>): Promise<string[]> {
  const switched: string[] = [];
  for (const [id, wanted] of await currentActivations(deps.db)) {
    const current = deps.registry.active(id);
    if (!current || (current.version === wanted.version && current.sha256 === wanted.sha256)) continue;
    // A version this instance has loaded with the very content activated passed its checks when it
    // was loaded: it switches at once. Any other is read and checked again first.
    const here = deps.registry.loaded(id, wanted.version);
    const inspection = here?.compiled.sha256 === wanted.sha256 ? { ...here, problems: [] } : await (deps.inspect ?? inspectVersion)(path.join(deps.rulesDir, id, wanted.version));
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

/** Starts watching; returns a function that stops it (and runs a check now, as `checkNow`). */
export async function watchActivations(deps: WatchDeps): Promise<ActivationWatch> {
  const clock = deps.clock ?? (() => new Date());
  const refusedSchedules = new Set<string>();
  let scan = deps.scan;
  let reloadsSeen = scan ? await latestReloadRequest(deps.db) : 0;
  const step = async (name: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (error) {
      deps.logger.warn('rule-set activation check failed', { event: 'ruleset.check-failed', step: name, errorName: (error as Error).name });
    }
  };
  const check = async () => {
    await step('schedules', () => activateDueSchedules({ db: deps.db, registry: deps.registry, clock, logger: deps.logger }, refusedSchedules));
    await step('activations', () => syncActivations(deps));
    if (!scan) return;
    await step('drafts', async () => {
      const requested = await latestReloadRequest(deps.db);
      const scheduled = await pendingSchedules(deps.db);
      const force = requested > reloadsSeen;
      scan = await reloadDrafts(deps, scan as FolderScan, { force, fixed: (id, version) => scheduled.some((s) => s.rulesetId === id && s.version === version) });
      if (force) {
        reloadsSeen = requested;
        deps.logger.info('rules folder read again on request', { event: 'ruleset.reloaded', request: requested, versions: scan.size, leftOut: deps.registry.leftOut().length });
      }
    });
  };
  let running = Promise.resolve();
  const sync = () => (running = running.then(check));
  const timer = setInterval(() => void sync(), deps.intervalMs);
  timer.unref();
  const unlisten = deps.db.listen ? await deps.db.listen(ACTIVATION_CHANNEL, () => void sync()) : undefined;
  const unlistenReload = deps.db.listen && scan ? await deps.db.listen(RELOAD_CHANNEL, () => void sync()) : undefined;
  const stop = async () => {
    clearInterval(timer);
    await unlisten?.();
    await unlistenReload?.();
    await running;
  };
  return Object.assign(stop, { checkNow: sync });
}
