/**
 * Drafts come and go while the service runs: each scan of RULES_DIR loads a new or changed draft
 * folder that passes its checks (so that `?version=` triages with it), leaves out one that fails
 * (with an error log line naming the file and the problem, and /readyz saying so), and drops one
 * whose folder is gone. A released, active or scheduled version never changes in a running service:
 * a change to its files is logged, and refused at the next start.
 */
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { RULESET_FILE, formatProblem, type VersionInspector } from '../rules/rule-set-loader.js';
import type { LeftOutVersion, RuleSetRegistry } from '../rules/rule-set-registry.js';
import { scanRulesFolder, type FolderScan, type ScannedFolder } from '../rules/rules-folder-scan.js';
import type { Database } from '../store/database.js';
import { insertReloadRequest } from '../store/ruleset-store.js';

export interface DraftReloadDeps {
  registry: RuleSetRegistry;
  rulesDir: string;
  logger: Logger;
  /** checks a changed folder (default: on this thread) */
  inspect?: VersionInspector;
}

/** How many of a left-out draft's problems a log line or /readyz lists. */
export const PROBLEMS_SHOWN = 20;

/** One log line for a draft left out: the version, the file, and what is wrong (never a counterexample referral). */
export function logLeftOut(logger: Logger, entry: LeftOutVersion): void {
  logger.error(`rule-set draft left out: ${entry.problems[0] ? formatProblem(entry.problems[0]) : entry.dir}`, {
    event: 'ruleset.draft-left-out', rulesetId: entry.id, version: entry.version, file: entry.problems[0]?.file ?? entry.dir,
    problemCount: entry.problems.length, problems: entry.problems.slice(0, PROBLEMS_SHOWN).map(formatProblem),
  });
}

const leftOutOf = (folder: ScannedFolder): LeftOutVersion => ({ id: folder.id, version: folder.version, dir: folder.dir, problems: folder.problems });

/**
 * Scans RULES_DIR again (only folders whose files changed, or every one when `force`), and brings
 * the registry's drafts in line; `fixed(id, version)` names the versions never to touch (scheduled
 * ones; released and active ones are known to the registry). Returns the new scan.
 */
export async function reloadDrafts(deps: DraftReloadDeps, previous: FolderScan, options: { force?: boolean; fixed?: (id: string, version: string) => boolean } = {}): Promise<FolderScan> {
  const { registry, logger } = deps;
  const scan = await scanRulesFolder(deps.rulesDir, previous, { force: options.force ?? false, ...(deps.inspect ? { inspect: deps.inspect } : {}) });
  const fixed = (id: string, version: string) => registry.isReleased(id, version) || registry.active(id)?.version === version || (options.fixed?.(id, version) ?? false);
  for (const folder of scan.values()) {
    const before = previous.get(folder.dir);
    if (before === folder) continue; // unchanged since the last scan
    const { id, version } = folder;
    if (fixed(id, version)) {
      if (before && before.fingerprint !== folder.fingerprint) {
        logger.error('a released or scheduled rule-set version changed on disk: this instance keeps the version it loaded, and the next start refuses the file', {
          event: 'ruleset.released-file-changed', rulesetId: id, version, file: path.join(folder.dir, RULESET_FILE),
        });
      }
      continue;
    }
    if (!folder.loaded) {
      registry.leaveOut(leftOutOf(folder));
      logLeftOut(logger, leftOutOf(folder));
    } else if (!registry.has(id)) {
      const entry = { ...leftOutOf(folder), problems: [{ file: folder.dir, message: `rule set ${id} has no active version in this service: a new rule set is loaded at start-up, with one version whose file says status active` }] };
      registry.leaveOut(entry);
      logLeftOut(logger, entry);
    } else {
      const replaced = registry.loaded(id, version);
      registry.installDraft(folder.loaded);
      logger.info('rule-set draft loaded', { event: 'ruleset.draft-loaded', rulesetId: id, version, sha256: folder.loaded.compiled.sha256, replaced: Boolean(replaced) });
    }
  }
  for (const [dir, before] of previous) {
    if (scan.has(dir) || fixed(before.id, before.version)) continue;
    registry.removeDraft(before.id, before.version);
    logger.info('rule-set draft folder removed', { event: 'ruleset.draft-removed', rulesetId: before.id, version: before.version });
  }
  return scan;
}

/**
 * Asks every running instance to read RULES_DIR again, every folder, at its next check (at once on
 * PostgreSQL, by NOTIFY): what `msk-triage rules reload` does, since a command cannot reach into the
 * service's process. Returns the request's number.
 */
export async function requestReload(db: Database, requestedBy: string, at: Date): Promise<number> {
  return db.transaction((tx) => insertReloadRequest(tx, { requestedBy, requestedAt: at }));
}
