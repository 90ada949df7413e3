/**
 * What `GET /api/v1/rulesets` and `msk-triage rules list` show: each rule set with its versions and
 * their lifecycle status (the registry's), the activations scheduled for later (the database's),
 * and the drafts left out because they fail their checks, with what is wrong.
 */
import { formatProblem } from '../rules/rule-set-loader.js';
import type { RuleSetRegistry, RuleSetSummary } from '../rules/rule-set-registry.js';
import type { Queryable } from '../store/database.js';
import { PROBLEMS_SHOWN } from './draft-reload.js';
import { scheduledActivations, type ScheduleView } from './scheduled-activation.js';

export interface LeftOutView {
  version: string;
  /** each problem as `file: where: what`, the first PROBLEMS_SHOWN of them */
  problems: string[];
  problemCount: number;
}

export interface RuleSetListing extends RuleSetSummary {
  /** activations to be made at the start of their effectiveFrom (Europe/London), soonest first */
  scheduled: Array<Omit<ScheduleView, 'rulesetId'>>;
  leftOut: LeftOutView[];
}

export function leftOutViews(registry: RuleSetRegistry, rulesetId?: string): Array<LeftOutView & { id: string }> {
  return registry.leftOut().filter((entry) => rulesetId === undefined || entry.id === rulesetId).map((entry) => ({
    id: entry.id, version: entry.version, problems: entry.problems.slice(0, PROBLEMS_SHOWN).map(formatProblem), problemCount: entry.problems.length,
  }));
}

export async function ruleSetListing(registry: RuleSetRegistry, db: Queryable): Promise<RuleSetListing[]> {
  const scheduled = await scheduledActivations(db);
  return registry.summaries().map((summary) => ({
    ...summary,
    scheduled: scheduled.filter((s) => s.rulesetId === summary.id).map(({ rulesetId: _id, ...rest }) => rest),
    leftOut: leftOutViews(registry, summary.id).map(({ id: _id, ...rest }) => rest),
  }));
}
