/**
 * The loaded rule-set versions and which one of each rule set is active. Exactly one version per
 * rule set carries status `active`, unless the configuration pins another loaded version. Drafts
 * come and go while the service runs (src/rulesets/draft-reload.ts); those that fail their checks
 * are kept as left out, with their problems.
 */
import type { CompiledRuleSet } from './compiled-rule-set.js';
import { RuleSetLoadError, type LoadProblem, type LoadedVersion } from './rule-set-loader.js';

export interface VersionSummary {
  version: string;
  status: string;
  effectiveFrom: string;
  title: string;
  sha256: string;
  active: boolean;
}

export interface RuleSetSummary {
  id: string;
  activeVersion: string;
  versions: VersionSummary[];
}

/** A draft folder the service left out because it fails its checks: what is wrong, file by file. */
export interface LeftOutVersion {
  id: string;
  version: string;
  dir: string;
  problems: readonly LoadProblem[];
}

export class RuleSetRegistry {
  private readonly versions = new Map<string, Map<string, LoadedVersion>>();
  private readonly activeVersions = new Map<string, string>();
  /** Versions ever activated, by rule set, when the database says so; their status is derived from it. */
  private readonly released = new Map<string, Set<string>>();
  /** Draft folders that fail their checks, by `id version`: not loaded, and said so (/readyz). */
  private readonly leftOutVersions = new Map<string, LeftOutVersion>();

  /** `pins` maps a rule-set id to the loaded version to use as active instead of the file status. */
  constructor(loaded: readonly LoadedVersion[], pins: Readonly<Record<string, string>> = {}) {
    for (const version of loaded) {
      const byVersion = this.versions.get(version.compiled.id) ?? new Map<string, LoadedVersion>();
      byVersion.set(version.compiled.version, version);
      this.versions.set(version.compiled.id, byVersion);
    }
    const problems: LoadProblem[] = [];
    for (const [id, byVersion] of this.versions) {
      const pinned = pins[id];
      if (pinned !== undefined) {
        if (byVersion.has(pinned)) this.activeVersions.set(id, pinned);
        else problems.push({ file: id, message: `the pinned version ${pinned} is not loaded` });
        continue;
      }
      const active = [...byVersion.values()].filter((v) => v.compiled.document.status === 'active');
      if (active.length === 1) this.activeVersions.set(id, active[0]?.compiled.version as string);
      else {
        problems.push({
          file: `rules/${id}`,
          message: `exactly one version must have status active; found ${active.length === 0 ? 'none' : active.map((v) => v.compiled.version).join(', ')}`,
        });
      }
    }
    for (const id of Object.keys(pins)) {
      if (!this.versions.has(id)) problems.push({ file: id, message: `the pinned rule set ${id} is not loaded` });
    }
    if (problems.length > 0) throw new RuleSetLoadError(problems);
  }

  /** Records that these versions were released (activated at some time), for their lifecycle status. */
  markReleased(id: string, versions: Iterable<string>): void {
    const set = this.released.get(id) ?? new Set<string>();
    for (const version of versions) set.add(version);
    this.released.set(id, set);
  }

  /**
   * Adds or replaces a loaded version and makes it active, in one synchronous step: a request that
   * already holds the previous compiled rule set finishes on it; the next one gets the new one.
   */
  installAndActivate(version: LoadedVersion): void {
    const { id, version: number } = version.compiled;
    const byVersion = this.versions.get(id) ?? new Map<string, LoadedVersion>();
    byVersion.set(number, version);
    this.versions.set(id, byVersion);
    this.activeVersions.set(id, number);
    this.markReleased(id, [number]);
    this.leftOutVersions.delete(`${id} ${number}`);
  }

  /**
   * Adds or replaces a draft (a version never activated here, and not active): from the next request
   * on, `?version=` evaluates with it. Released and active versions never change in place.
   */
  installDraft(version: LoadedVersion): void {
    const { id, version: number } = version.compiled;
    if (this.isReleased(id, number) || this.activeVersions.get(id) === number) throw new Error(`${id} ${number} is released: it is never replaced`);
    const byVersion = this.versions.get(id);
    if (!byVersion) throw new Error(`${id} has no active version`);
    byVersion.set(number, version);
    this.leftOutVersions.delete(`${id} ${number}`);
  }

  /** Takes a draft out: its folder was removed. */
  removeDraft(id: string, version: string): void {
    if (this.isReleased(id, version) || this.activeVersions.get(id) === version) throw new Error(`${id} ${version} is released: it is never removed`);
    this.versions.get(id)?.delete(version);
    this.leftOutVersions.delete(`${id} ${version}`);
  }

  /** Leaves a draft out, with what is wrong with it (taking it out if it was loaded before). */
  leaveOut(entry: LeftOutVersion): void {
    if (this.isReleased(entry.id, entry.version) || this.activeVersions.get(entry.id) === entry.version) throw new Error(`${entry.id} ${entry.version} is released: it is never left out`);
    this.versions.get(entry.id)?.delete(entry.version);
    this.leftOutVersions.set(`${entry.id} ${entry.version}`, entry);
  }

  /** Whether the version was ever activated (as far as this registry knows). */
  isReleased(id: string, version: string): boolean {
    return this.released.get(id)?.has(version) ?? false;
  }

  /** The draft folders left out, in folder order. */
  leftOut(): LeftOutVersion[] {
    return [...this.leftOutVersions.values()].sort((a, b) => a.dir.localeCompare(b.dir));
  }

  leftOutVersion(id: string, version: string): LeftOutVersion | undefined {
    return this.leftOutVersions.get(`${id} ${version}`);
  }

  /** The lifecycle status: from the activations when known (active, retired, draft), else the file's. */
  status(id: string, version: string): string {
    const released = this.released.get(id);
    if (!released) return this.versions.get(id)?.get(version)?.compiled.document.status ?? 'unknown';
    if (this.activeVersions.get(id) === version) return 'active';
    return released.has(version) ? 'retired' : 'draft';
  }

  /** The active version and every loaded version ever activated: what a successor must live up to. */
  releasedAndActive(id: string): CompiledRuleSet[] {
    const byVersion = this.versions.get(id);
    if (!byVersion) return [];
    const released = this.released.get(id) ?? new Set<string>();
    const active = this.activeVersions.get(id);
    return [...byVersion.values()].filter((v) => released.has(v.compiled.version) || v.compiled.version === active).map((v) => v.compiled);
  }

  active(id: string): CompiledRuleSet | undefined {
    const version = this.activeVersions.get(id);
    return version === undefined ? undefined : this.get(id, version);
  }

  get(id: string, version: string): CompiledRuleSet | undefined {
    return this.versions.get(id)?.get(version)?.compiled;
  }

  loaded(id: string, version: string): LoadedVersion | undefined {
    return this.versions.get(id)?.get(version);
  }

  has(id: string): boolean {
    return this.versions.has(id);
  }

  summaries(): RuleSetSummary[] {
    return [...this.versions.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, byVersion]) => ({
      id,
      activeVersion: this.activeVersions.get(id) as string,
      versions: [...byVersion.values()].map(({ compiled }) => ({
        version: compiled.version,
        status: this.status(id, compiled.version),
        effectiveFrom: compiled.document.effectiveFrom,
        title: compiled.document.title,
        sha256: compiled.sha256,
        active: this.activeVersions.get(id) === compiled.version,
      })),
    }));
  }
}
