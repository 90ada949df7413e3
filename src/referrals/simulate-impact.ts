/**
 * The use case behind `msk-triage rules simulate` and POST /api/v1/rulesets/{id}/versions/{v}/simulate:
 * read the referrals (stored, or given), and compare two versions of a rule set on them. Stored
 * referrals are the real ones unless the synthetic ones are asked for too (`--synthetic`, `?synthetic=`).
 */
import { isVersion } from '../domain/version.js';
import { ApiError, type Issue } from '../domain/error-catalogue.js';
import { syntheticSelectionOf, type SyntheticSelection } from '../domain/synthetic-data.js';
import { report, simulateInWorkers, type SimulationItem, type SimulationReport } from '../rules/impact-simulation.js';
import { simulatePages, type ReferralPage } from '../rules/impact-simulation-pages.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import type { Queryable } from '../store/database.js';
import { referralsJsonPage } from '../store/referral-store.js';
import { todayInLondon } from '../domain/calendar.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { RULESET_FILE, formatProblem, inspectVersion, type VersionInspector } from '../rules/rule-set-loader.js';
import type { CompiledRuleSet } from '../rules/compiled-rule-set.js';
import { RELOAD_HINT, notLoadedYet } from '../rulesets/rule-set-activation.js';

/**
 * Referrals a page: few enough that the database orders a page's JSON in memory (its work_mem, 4 MB,
 * holds about 3,500 referrals), rather than spilling it to disk as 25,000 did (a fifth slower).
 */
const PAGE = 2_500;

/** Every stored referral of those asked for (real ones by default), oldest first, a page at a time, as the JSON text of each page. */
export async function* storedReferralPages(db: Queryable, options: { synthetic?: SyntheticSelection; page?: number } = {}): AsyncIterable<ReferralPage> {
  const { synthetic = 'exclude', page = PAGE } = options;
  let after: { receivedAt: string; id: string } | undefined;
  for (;;) {
    const { count, json, last } = await referralsJsonPage(db, page, synthetic, after);
    if (count > 0) yield json;
    if (!last || count < page) return;
    after = last;
  }
}

/** The stored referrals a simulation request asks for: `?synthetic=` (real ones only when absent). */
export function simulationSelection(query: Record<string, unknown>): SyntheticSelection {
  const issues: Issue[] = [];
  const synthetic = syntheticSelectionOf(query.synthetic, issues);
  if (issues.length > 0) throw new ApiError('QUERY_INVALID', issues);
  return synthetic;
}

export interface SimulationDeps {
  registry: RuleSetRegistry;
  rulesDir: string;
  clock: () => Date;
  /** checks each version folder (default: on this thread; the service: in its checks' worker thread) */
  inspect?: VersionInspector;
}

export async function simulateImpact(
  deps: SimulationDeps,
  /** `items` given (a file's), or the stored ones page by page (storedReferralPages): read and tallied overlapped */
  options: { ruleset: string; from?: string; to: string; items: readonly SimulationItem[] | AsyncIterable<ReferralPage>; evaluationDate?: string; withIds: boolean },
): Promise<SimulationReport> {
  if (!deps.registry.has(options.ruleset)) throw new ApiError('RULESET_NOT_FOUND');
  const from = options.from ?? deps.registry.active(options.ruleset)?.version;
  // A version is a version number, never a path: nothing outside the rules folder is ever read.
  for (const version of [from, options.to]) if (version !== undefined && !isVersion(version)) throw new ApiError('RULESET_VERSION_NOT_FOUND');
  for (const version of [from, options.to]) {
    if (version === undefined || !existsSync(path.join(deps.rulesDir, options.ruleset, version, RULESET_FILE))) throw new ApiError('RULESET_VERSION_NOT_FOUND');
  }
  const compiled = new Map<string, CompiledRuleSet>();
  for (const version of new Set([from as string, options.to])) {
    const inspection = await (deps.inspect ?? inspectVersion)(path.join(deps.rulesDir, options.ruleset, version));
    const problems = inspection.problems.map((p) => ({ path: p.path ?? '/', message: formatProblem(p) }));
    if (!inspection.compiled) throw new ApiError('RULESET_VERSION_INVALID', problems);
    // Only what this service has loaded, and so serves to ?version=: a draft written or changed since
    // is simulated once the service has read it (within seconds), one that fails its checks never.
    const here = deps.registry.loaded(options.ruleset, version);
    if (!here && problems.length > 0) throw new ApiError('RULESET_VERSION_INVALID', problems);
    if (!here) throw new ApiError('RULESET_VERSION_NOT_FOUND', [{ path: '/', message: notLoadedYet(inspection.dir) }]);
    if (!deps.registry.isReleased(options.ruleset, version) && here.compiled.sha256 !== inspection.compiled.sha256) {
      throw new ApiError('RULESET_VERSION_INVALID', [{ path: '/', message: `${inspection.dir} changed since this service loaded it (content hash ${here.compiled.sha256}, now ${inspection.compiled.sha256}): ${RELOAD_HINT}; look at the new content, then try again` }]);
    }
    compiled.set(version, inspection.compiled);
  }
  const request = { rulesDir: deps.rulesDir, ruleset: options.ruleset, from: from as string, to: options.to, evaluationDate: options.evaluationDate ?? todayInLondon(deps.clock()) };
  const versions = { from: compiled.get(request.from) as CompiledRuleSet, to: compiled.get(request.to) as CompiledRuleSet };
  const tally = Array.isArray(options.items) ? await simulateInWorkers(request, options.items as readonly SimulationItem[], versions) : await simulatePages(request, options.items as AsyncIterable<ReferralPage>, versions);
  return report(request, tally, { withIds: options.withIds });
}
