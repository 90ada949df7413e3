/**
 * Activations made for later: a version activated before its effectiveFrom (without an override) is
 * scheduled, and switches on by itself at the start of that day in Europe/London, on whichever
 * instance first sees the day come; the others follow it as they follow any activation. A schedule
 * may be cancelled until then. Each step is recorded, as an audit event too, and a schedule is
 * carried out, or cancelled, once: under one lock, taken before the audit chain's.
 */
import { randomUUID } from 'node:crypto';
import { appendAuditEvents } from '../audit/audit-trail.js';
import { todayInLondon } from '../domain/calendar.js';
import { ApiError } from '../domain/error-catalogue.js';
import { isVersion } from '../domain/version.js';
import type { Logger } from '../log/logger.js';
import { ratchetFailures } from '../rules/invariant-proof.js';
import type { LoadedVersion } from '../rules/rule-set-loader.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import type { Database, Queryable } from '../store/database.js';
import {
  currentActivations, insertActivation, insertSchedule, insertScheduleCancellation, lockSchedules, notifyActivation, pendingSchedules, releasedVersions,
  type Schedule,
} from '../store/ruleset-store.js';
import type { Signatory } from './rule-set-activation.js';

/** A schedule as the API and the command line show it. */
export interface ScheduleView {
  scheduleId: string;
  rulesetId: string;
  version: string;
  sha256: string;
  effectiveFrom: string;
  scheduledBy: string;
  scheduledAt: string;
  reason: string;
}

export const scheduleView = (s: Schedule): ScheduleView => ({
  scheduleId: s.id, rulesetId: s.rulesetId, version: s.version, sha256: s.sha256, effectiveFrom: s.effectiveFrom,
  scheduledBy: s.scheduledBy, scheduledAt: s.scheduledAt.toISOString(), reason: s.reason,
});

/** Schedules not yet carried out or cancelled, soonest first. */
export async function scheduledActivations(db: Queryable, rulesetId?: string): Promise<ScheduleView[]> {
  return (await pendingSchedules(db, rulesetId)).map(scheduleView);
}

/** Records a schedule for a version that passed every check of an activation; one pending schedule per rule set. */
export async function scheduleActivation(
  deps: { db: Database; registry: RuleSetRegistry; clock: () => Date },
  input: { loaded: LoadedVersion; scheduledBy: Signatory; reason: string },
): Promise<ScheduleView> {
  const { compiled } = input.loaded;
  const schedule: Schedule = {
    id: randomUUID(), rulesetId: compiled.id, version: compiled.version, sha256: compiled.sha256, effectiveFrom: compiled.document.effectiveFrom,
    scheduledBy: input.scheduledBy.name, scheduledById: input.scheduledBy.id, scheduledByRole: input.scheduledBy.actorRole, reason: input.reason, scheduledAt: deps.clock(),
  };
  await deps.db.transaction(async (tx) => {
    await lockSchedules(tx);
    const [pending] = await pendingSchedules(tx, compiled.id);
    if (pending) {
      throw new ApiError('ACTIVATION_REFUSED', [{
        path: '/',
        message: `${pending.rulesetId} ${pending.version} is already scheduled to be activated on ${pending.effectiveFrom} (by ${pending.scheduledBy}): cancel that schedule first; one rule set has one schedule at a time`,
      }]);
    }
    await insertSchedule(tx, schedule);
    await appendAuditEvents(tx, [{
      id: randomUUID(), referralId: null, type: 'ruleset.activation-scheduled', actor: schedule.scheduledById, actorRole: schedule.scheduledByRole, occurredAt: schedule.scheduledAt,
      ruleset: { id: schedule.rulesetId, version: schedule.version, sha256: schedule.sha256 },
      details: { scheduleId: schedule.id, effectiveFrom: schedule.effectiveFrom, activeVersion: deps.registry.active(compiled.id)?.version ?? null },
    }]);
  });
  return scheduleView(schedule);
}

export interface CancellationView {
  scheduleId: string;
  rulesetId: string;
  version: string;
  effectiveFrom: string;
  cancelledBy: string;
  cancelledAt: string;
  reason: string;
}

/**
 * Inside an activation's transaction, or on its own: cancels the pending schedule of that version,
 * if there is one, with an audit event. Takes the schedules' lock (call it before the audit chain's).
 */
export async function cancelPendingSchedule(tx: Queryable, input: { rulesetId: string; version: string; cancelledBy: Signatory; reason: string; at: Date }): Promise<CancellationView | undefined> {
  await lockSchedules(tx);
  const pending = (await pendingSchedules(tx, input.rulesetId)).find((s) => s.version === input.version);
  if (!pending) return undefined;
  await insertScheduleCancellation(tx, { scheduleId: pending.id, cancelledBy: input.cancelledBy.name, cancelledById: input.cancelledBy.id, reason: input.reason, cancelledAt: input.at });
  await appendAuditEvents(tx, [{
    id: randomUUID(), referralId: null, type: 'ruleset.schedule-cancelled', actor: input.cancelledBy.id, actorRole: input.cancelledBy.actorRole, occurredAt: input.at,
    ruleset: { id: pending.rulesetId, version: pending.version, sha256: pending.sha256 }, details: { scheduleId: pending.id, effectiveFrom: pending.effectiveFrom },
  }]);
  return {
    scheduleId: pending.id, rulesetId: pending.rulesetId, version: pending.version, effectiveFrom: pending.effectiveFrom,
    cancelledBy: input.cancelledBy.name, cancelledAt: input.at.toISOString(), reason: input.reason,
  };
}

/** Cancels a version's scheduled activation: `409 NOT_SCHEDULED` when it has none. */
export async function cancelSchedule(
  deps: { db: Database; clock: () => Date },
  input: { rulesetId: string; version: string; cancelledBy: Signatory; reason: string },
): Promise<CancellationView> {
  if (!/^[a-z][a-z0-9-]{0,63}$/.test(input.rulesetId) || !isVersion(input.version)) throw new ApiError('RULESET_VERSION_NOT_FOUND');
  const cancelled = await deps.db.transaction((tx) => cancelPendingSchedule(tx, { ...input, at: deps.clock() }));
  if (!cancelled) throw new ApiError('NOT_SCHEDULED');
  return cancelled;
}

export interface DueScheduleDeps {
  db: Database;
  registry: RuleSetRegistry;
  clock: () => Date;
  logger: Logger;
}

/**
 * Carries out every schedule whose day has come (its effectiveFrom is today or earlier in London),
 * if this instance has that exact content loaded and it still satisfies the ratchet; a schedule this
 * instance cannot carry out is logged once and left for another instance (or a cancellation).
 * `refused` remembers, across calls, the schedules already logged. Returns the versions activated.
 */
export async function activateDueSchedules(deps: DueScheduleDeps, refused: Set<string> = new Set()): Promise<string[]> {
  const now = deps.clock();
  const today = todayInLondon(now);
  const activated: string[] = [];
  for (const schedule of await pendingSchedules(deps.db)) {
    if (schedule.effectiveFrom > today) continue;
    const loaded = deps.registry.loaded(schedule.rulesetId, schedule.version);
    const problems = !loaded || loaded.compiled.sha256 !== schedule.sha256
      ? [`this instance has not loaded ${schedule.version} with content hash ${schedule.sha256}`]
      : await ratchetFailures(loaded.compiled, deps.registry.releasedAndActive(schedule.rulesetId), today);
    if (!loaded || problems.length > 0) {
      if (!refused.has(schedule.id)) {
        deps.logger.error('scheduled rule-set activation cannot be carried out here', {
          event: 'ruleset.schedule-refused', rulesetId: schedule.rulesetId, version: schedule.version, scheduleId: schedule.id, problems,
        });
      }
      refused.add(schedule.id);
      continue;
    }
    const done = await deps.db.transaction(async (tx) => {
      await lockSchedules(tx);
      if (!(await pendingSchedules(tx, schedule.rulesetId)).some((s) => s.id === schedule.id)) return undefined; // carried out or cancelled meanwhile
      const previousVersion = (await currentActivations(tx)).get(schedule.rulesetId)?.version ?? null;
      const rollback = (await releasedVersions(tx)).some((r) => r.rulesetId === schedule.rulesetId && r.version === schedule.version);
      await insertActivation(tx, {
        id: randomUUID(), rulesetId: schedule.rulesetId, version: schedule.version, sha256: schedule.sha256, activatedBy: schedule.scheduledBy,
        activatedById: schedule.scheduledById, reason: schedule.reason, activatedAt: now, scheduleId: schedule.id,
      });
      await appendAuditEvents(tx, [{
        id: randomUUID(), referralId: null, type: 'ruleset.activated', actor: schedule.scheduledById, actorRole: schedule.scheduledByRole, occurredAt: now,
        ruleset: { id: schedule.rulesetId, version: schedule.version, sha256: schedule.sha256 },
        details: { previousVersion, rollback, scheduleId: schedule.id, effectiveFrom: schedule.effectiveFrom },
      }]);
      await notifyActivation(tx, { rulesetId: schedule.rulesetId, version: schedule.version });
      return { previousVersion };
    });
    if (!done) continue;
    deps.registry.installAndActivate(loaded);
    deps.logger.info('switched to the scheduled rule-set version on its effectiveFrom', {
      event: 'ruleset.switched', rulesetId: schedule.rulesetId, version: schedule.version, previousVersion: done.previousVersion, scheduleId: schedule.id,
    });
    activated.push(`${schedule.rulesetId} ${schedule.version}`);
  }
  return activated;
}
