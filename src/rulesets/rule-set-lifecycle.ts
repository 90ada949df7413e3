/**
 * Rule-set lifecycle against the database, where it is recorded. A version that was ever activated
 * is released: its files may never change again (a change is a new version), and start-up refuses one
 * whose content hash no longer matches what was activated. The active version of each rule set is its
 * latest activation; on the first start, the version whose file says `active` is recorded as the
 * first activation.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { appendAuditEvents } from '../audit/audit-trail.js';
import type { Database } from '../store/database.js';
import { currentActivations, insertActivation, pendingSchedules, releasedVersions } from '../store/ruleset-store.js';
import { RULESET_FILE, RuleSetLoadError, type LoadProblem, type LoadedVersion } from '../rules/rule-set-loader.js';
import { todayInLondon } from '../domain/calendar.js';
import { ratchetFailures } from '../rules/invariant-proof.js';
import { RuleSetRegistry, type LeftOutVersion } from '../rules/rule-set-registry.js';
import type { CompiledRuleSet } from '../rules/compiled-rule-set.js';
import type { FolderScan } from '../rules/rules-folder-scan.js';

export const STARTUP_ACTOR = 'msk-triage start-up';

/** Refuses edited released versions; returns each rule set's active version (recording first activations). */
export async function reconcileWithDatabase(db: Database, loaded: readonly LoadedVersion[], clock: () => Date): Promise<Record<string, string>> {
  const problems: LoadProblem[] = [];
  for (const released of await releasedVersions(db)) {
    const version = loaded.find((v) => v.compiled.id === released.rulesetId && v.compiled.version === released.version);
    if (version && version.compiled.sha256 !== released.sha256) {
      problems.push({
        file: path.join(version.dir, RULESET_FILE),
        message: `version ${released.version} was released (activated ${released.activatedAt.toISOString().slice(0, 10)}) with content hash ${released.sha256}, but the file now hashes to ${version.compiled.sha256}. A released version is never edited: undo the change and make a new version`,
      });
    }
  }
  const current = await currentActivations(db);
  const active: Record<string, string> = {};
  for (const id of new Set(loaded.map((v) => v.compiled.id))) {
    const recorded = current.get(id);
    if (recorded) {
      if (loaded.some((v) => v.compiled.id === id && v.compiled.version === recorded.version)) active[id] = recorded.version;
      else problems.push({ file: `rules/${id}`, message: `the active version ${recorded.version} (recorded in the database) is not in the rules folder` });
      continue;
    }
    const marked = loaded.filter((v) => v.compiled.id === id && v.compiled.document.status === 'active');
    if (marked.length !== 1) continue; // the registry reports it
    const first = marked[0] as LoadedVersion;
    await db.transaction(async (tx) => {
      const at = clock();
      const reason = `first start: ${path.join(first.dir, RULESET_FILE)} says status active, and no activation was recorded`;
      await insertActivation(tx, { id: randomUUID(), rulesetId: id, version: first.compiled.version, sha256: first.compiled.sha256, activatedBy: STARTUP_ACTOR, activatedById: null, reason, activatedAt: at });
      await appendAuditEvents(tx, [{
        id: randomUUID(), referralId: null, type: 'ruleset.activated', actor: STARTUP_ACTOR, actorRole: 'system', occurredAt: at,
        ruleset: { id, version: first.compiled.version, sha256: first.compiled.sha256 }, details: { previousVersion: null, first: true },
      }]);
    });
    active[id] = first.compiled.version;
  }
  if (problems.length > 0) throw new RuleSetLoadError(problems);
  return active;
}

/**
 * The registry as the service starts it: active versions from the database (or `pins`), lifecycle
 * from the activations. A pinned version must satisfy every invariant that the recorded active
 * version or any released version declares, as an activation must.
 */
export async function registryFromDatabase(db: Database, all: readonly LoadedVersion[], clock: () => Date, pins: Readonly<Record<string, string>> = {}): Promise<RuleSetRegistry> {
  // A new rule set whose versions are all drafts (none activated, none pinned) is work in progress:
  // left out and said so, like a broken draft, never a reason not to start or to run a command.
  const recorded = await currentActivations(db);
  const draftsOnly = (id: string) => !recorded.has(id) && pins[id] === undefined && all.every((v) => v.compiled.id !== id || v.compiled.document.status === 'draft');
  const loaded = all.filter((v) => !draftsOnly(v.compiled.id));
  const active = await reconcileWithDatabase(db, loaded, clock);
  const registry = new RuleSetRegistry(loaded, { ...active, ...pins });
  for (const version of all.filter((v) => draftsOnly(v.compiled.id))) {
    const { id, version: number } = version.compiled;
    registry.leaveOut({ id, version: number, dir: version.dir, problems: [{ file: path.join(version.dir, RULESET_FILE), message: `rule set ${id} has no active version: a new rule set is loaded at start-up, with one version whose file says status active` }] });
  }
  for (const { rulesetId, version } of await releasedVersions(db)) registry.markReleased(rulesetId, [version]);
  // The recorded active version is released, so the pinned one is checked against it and all before it.
  const problems: LoadProblem[] = [];
  for (const [id, version] of Object.entries(pins)) {
    const pinned = registry.get(id, version) as CompiledRuleSet;
    for (const message of await ratchetFailures(pinned, registry.releasedAndActive(id), todayInLondon(clock()))) problems.push({ file: `RULESET_VERSION=${version}`, message });
  }
  if (problems.length > 0) throw new RuleSetLoadError(problems);
  return registry;
}

/**
 * The registry a service starts with, from a scan of the rules folder. A version that fails its
 * checks stops start-up when it is released (activated at some time, by the database), scheduled to
 * be, pinned, or, on a first start, declared active or retired by its own file; so does a scheduled
 * version whose content changed since it was scheduled. A draft that fails is left out, with its
 * problems, and the service starts without it.
 */
export async function startupRegistry(db: Database, rulesDir: string, scan: FolderScan, clock: () => Date, pins: Readonly<Record<string, string>> = {}): Promise<RuleSetRegistry> {
  const released = await releasedVersions(db);
  const recorded = await currentActivations(db);
  const scheduled = await pendingSchedules(db);
  const fatal: LoadProblem[] = [];
  const leftOut: LeftOutVersion[] = [];
  const loaded: LoadedVersion[] = [];
  for (const folder of scan.values()) {
    if (folder.loaded) {
      loaded.push(folder.loaded);
      continue;
    }
    const wasReleased = released.some((r) => r.rulesetId === folder.id && r.version === folder.version);
    const isScheduled = scheduled.some((s) => s.rulesetId === folder.id && s.version === folder.version);
    const declaredReleased = !recorded.has(folder.id) && folder.declaredStatus !== undefined && folder.declaredStatus !== 'draft';
    if (wasReleased || isScheduled || declaredReleased || pins[folder.id] === folder.version) fatal.push(...folder.problems);
    else leftOut.push({ id: folder.id, version: folder.version, dir: folder.dir, problems: folder.problems });
  }
  for (const schedule of scheduled) {
    const folder = [...scan.values()].find((f) => f.id === schedule.rulesetId && f.version === schedule.version);
    const file = path.join(rulesDir, schedule.rulesetId, schedule.version, RULESET_FILE);
    if (!folder) fatal.push({ file, message: `version ${schedule.version} is scheduled to be activated on ${schedule.effectiveFrom}, but its folder is missing: put it back, or cancel the schedule (msk-triage rules cancel-schedule)` });
    else if (folder.loaded && folder.loaded.compiled.sha256 !== schedule.sha256) {
      fatal.push({ file, message: `version ${schedule.version} is scheduled to be activated on ${schedule.effectiveFrom} with content hash ${schedule.sha256}, but the file now hashes to ${folder.loaded.compiled.sha256}: undo the change, or cancel the schedule (msk-triage rules cancel-schedule) and make a new version` });
    }
  }
  if (fatal.length > 0) throw new RuleSetLoadError(fatal);
  if (scan.size === 0) throw new RuleSetLoadError([{ file: rulesDir, message: 'holds no rule-set version (expected <ruleset-id>/<version>/ruleset.json)' }]);
  const registry = await registryFromDatabase(db, loaded, clock, pins);
  for (const entry of leftOut) registry.leaveOut(entry);
  return registry;
}
