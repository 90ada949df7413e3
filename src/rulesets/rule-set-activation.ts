/**
 * Approving and activating a rule-set version. Activation re-reads the version from its folder and
 * refuses on any check or case error, without an approval by a clinical lead who is not one of its
 * authors (a previously released version may be activated again without one: that is a rollback),
 * or if a released version's file has changed. It is recorded with who, when and why, as an audit
 * event, and then swaps the active version in memory in one step. A refused activation changes
 * nothing: the last good version stays active. Only a version this service has loaded (and so serves
 * to `?version=`) is approved or activated; one activated before its effectiveFrom is scheduled for
 * that day (scheduled-activation.ts), unless an override says why it cannot wait.
 *
 * The two-person rule compares people, not tokens: a signatory's id is their person's (two tokens of
 * one person are one id), and an author is known by the `personId` the file gives, and otherwise by
 * name, compared as names are (person-name.ts: "Dr. Alice Author", spaced, cased or with a Cyrillic
 * look-alike letter, is Alice Author). An author's own approval is refused when it is given, and so
 * is a second approval of the same content by the same person.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { appendAuditEvents, vouchedApprovalIds } from '../audit/audit-trail.js';
import { ApiError, type Issue } from '../domain/error-catalogue.js';
import { isVersion } from '../domain/version.js';
import type { Database } from '../store/database.js';
import { approvalsOf, insertActivation, insertApproval, lockApprovals, notifyActivation, releasedVersions, type Approval } from '../store/ruleset-store.js';
import { sameName } from '../domain/person-name.js';
import type { RuleSet } from '../generated/ruleset.js';
import { formatProblem, type LoadedVersion } from '../rules/rule-set-loader.js';
import { todayInLondon } from '../domain/calendar.js';
import { checkVersionInWorker, loadedFromCheck } from '../rules/version-check.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import { cancelPendingSchedule, scheduleActivation, type ScheduleView } from './scheduled-activation.js';

export interface ActivationDeps {
  db: Database;
  registry: RuleSetRegistry;
  rulesDir: string;
  clock: () => Date;
  /** how many generated referrals the checker searches for gaps and shadowing (default: its full 4,000) */
  checkerSearchSize?: number;
}

const CLINICAL_LEAD = /clinical[\s-]*lead/i;

async function checkedVersion(deps: ActivationDeps, rulesetId: string, version: string): Promise<{ loaded?: LoadedVersion; issues: Issue[] }> {
  if (!/^[a-z][a-z0-9-]{0,63}$/.test(rulesetId) || !isVersion(version)) throw new ApiError('RULESET_VERSION_NOT_FOUND');
  // In a worker thread: the cases, the agreement, the proofs and the search take seconds of CPU.
  // The active version's invariants bind whatever comes after it, a rollback included.
  const check = await checkVersionInWorker({
    dir: path.join(deps.rulesDir, rulesetId, version),
    predecessors: deps.registry.releasedAndActive(rulesetId).map((compiled) => compiled.document),
    evaluationDate: todayInLondon(deps.clock()),
    ...(deps.checkerSearchSize ? { searchSize: deps.checkerSearchSize } : {}),
  });
  const issues: Issue[] = check.problems.map((p) => ({ path: p.path ?? '/', message: formatProblem(p) }));
  const loaded = loadedFromCheck(check);
  if (!loaded) {
    if (issues.some((i) => i.message.includes('is missing or cannot be read'))) throw new ApiError('RULESET_VERSION_NOT_FOUND');
    return { issues };
  }
  // Only what this service has loaded, and so serves to ?version=, is approved or activated.
  const here = deps.registry.loaded(rulesetId, version);
  if (!here) throw new ApiError('RULESET_VERSION_NOT_FOUND', [{ path: '/', message: notLoadedYet(loaded.dir) }]);
  if (!deps.registry.isReleased(rulesetId, version) && here.compiled.sha256 !== loaded.compiled.sha256) {
    issues.push({ path: '/', message: `${loaded.dir} changed since this service loaded it (content hash ${here.compiled.sha256}, now ${loaded.compiled.sha256}): ${RELOAD_HINT}; look at the new content, then try again` });
  }
  for (const f of check.findings.filter((finding) => finding.severity === 'error')) issues.push({ path: f.path ?? '/', message: `${f.file}${f.ruleId ? `: rule ${f.ruleId}` : ''}: ${f.message}` });
  for (const message of check.ratchet) issues.push({ path: '/invariants', message });
  return { loaded, issues };
}

/** How a running service comes to load a draft: what a refusal of one it has not loaded says. */
export const RELOAD_HINT = 'a running service loads a new or changed draft folder within seconds (every RULESET_CHECK_MS, at most 1 s on the embedded database), or at once after `msk-triage rules reload`';

/** Why a version whose folder passes its checks is refused: the service has not read it yet. */
export const notLoadedYet = (dir: string): string => `${dir} is not loaded by this service yet: ${RELOAD_HINT}; try again then`;

/** Who signs an approval or an activation: the name they sign with, their identity, and their role. */
export interface Signatory {
  name: string;
  /** the pseudonymous id of an authenticated caller, or `cli:<user>` at the command line */
  id: string;
  /** the role the service knows them by: clinical-lead, or operator at the command line */
  actorRole: 'clinical-lead' | 'operator';
  /** the role they sign as ("clinical lead") */
  role: string;
}

/**
 * One person, whichever way they are named: ids of a person (`person:<uuid>`), and the `token:<uuid>`
 * ids recorded before people were (each such token became the person with its id: migration 010).
 */
const personKey = (id: string) => id.replace(/^token:/, 'person:');
export const samePerson = (a: string | null, b: string | null): boolean => a !== null && b !== null && personKey(a) === personKey(b);

/** The version's authors this signatory is: by the person id the file gives, or by name. */
export function authorsAmong(document: Pick<RuleSet, 'authors'>, signatory: { id: string | null; name: string }): string[] {
  return document.authors
    .filter((author) => (author.personId !== undefined && samePerson(`person:${author.personId}`, signatory.id)) || sameName(author.name, signatory.name))
    .map((author) => author.name);
}

export async function approveVersion(
  deps: ActivationDeps,
  input: { rulesetId: string; version: string; approver: Signatory; note?: string },
): Promise<Approval> {
  // Refused when given, not only at activation: an author cannot approve their own version. Asked
  // of the loaded version first, before seconds of checks, and of the content read again after them.
  const refuseAnAuthor = (document: Pick<RuleSet, 'authors'>) => {
    const asAuthor = authorsAmong(document, input.approver);
    if (asAuthor.length > 0) throw new ApiError('APPROVAL_REFUSED', [{ path: '/authors', message: `you are one of this version's authors (${asAuthor.join(', ')}): its approval must come from a second clinical lead` }]);
  };
  const here = deps.registry.loaded(input.rulesetId, input.version);
  if (here) refuseAnAuthor(here.compiled.document);
  const { loaded, issues } = await checkedVersion(deps, input.rulesetId, input.version);
  if (!loaded || issues.length > 0) throw new ApiError('ACTIVATION_REFUSED', issues);
  refuseAnAuthor(loaded.compiled.document);
  const approval: Approval = {
    id: randomUUID(), rulesetId: input.rulesetId, version: input.version, sha256: loaded.compiled.sha256,
    approver: input.approver.name, approverId: input.approver.id, role: input.approver.role, note: input.note ?? null, approvedAt: deps.clock(),
  };
  await deps.db.transaction(async (tx) => {
    await lockApprovals(tx, input.rulesetId, input.version);
    const earlier = (await approvalsOf(tx, input.rulesetId, input.version)).find((a) => a.sha256 === approval.sha256 && samePerson(a.approverId, input.approver.id));
    if (earlier) {
      throw new ApiError('APPROVAL_REFUSED', [{ path: '/approvals', message: `you approved this exact content already (${earlier.approvedAt.toISOString()}), with this or another of your tokens: a second approval must come from another clinical lead` }]);
    }
    await insertApproval(tx, approval);
    await appendAuditEvents(tx, [{
      id: randomUUID(), referralId: null, type: 'ruleset.approved', actor: input.approver.id, actorRole: input.approver.actorRole, occurredAt: approval.approvedAt,
      ruleset: { id: input.rulesetId, version: input.version, sha256: approval.sha256 }, details: { approvalId: approval.id, role: input.approver.role },
    }]);
  });
  return approval;
}

export interface ActivationResult {
  rulesetId: string;
  version: string;
  sha256: string;
  previousVersion: string | null;
  activatedBy: string;
  activatedAt: string;
}

/** Whether an activation was scheduled for the version's effectiveFrom rather than made now. */
export const isScheduled = (result: ActivationResult | ScheduleView): result is ScheduleView => 'scheduleId' in result;

/**
 * Activates the version now, or, when its effectiveFrom is a later day (in London) and no
 * `overrideEffectiveFrom` says why it cannot wait, schedules it for the start of that day, after the
 * same checks. Activating it now cancels a schedule it had.
 */
export async function activateVersion(
  deps: ActivationDeps,
  input: { rulesetId: string; version: string; activatedBy: Signatory; reason: string; overrideEffectiveFrom?: string },
): Promise<ActivationResult | ScheduleView> {
  const { loaded, issues } = await checkedVersion(deps, input.rulesetId, input.version);
  if (!loaded) throw new ApiError('ACTIVATION_REFUSED', issues);
  const { compiled } = loaded;
  const released = (await releasedVersions(deps.db)).filter((r) => r.rulesetId === input.rulesetId);
  const earlier = released.find((r) => r.version === input.version);
  if (earlier && earlier.sha256 !== compiled.sha256) {
    issues.push({ path: '/', message: `version ${input.version} was released with content hash ${earlier.sha256}; its file now hashes to ${compiled.sha256}. A released version is never edited: make a new version` });
  }
  if (!earlier) {
    // Two people: an approval recorded for this exact content by a clinical lead who is neither one
    // of its authors nor the one activating it, by identity and by name. Sign-offs listed in the file are not proof of anything.
    const activator = input.activatedBy;
    const authors = compiled.document.authors.map((a) => a.name);
    const recorded = (await approvalsOf(deps.db, input.rulesetId, input.version)).filter((a) => a.sha256 === compiled.sha256);
    // Only an approval its signed audit event vouches for: not one inserted behind the service's back.
    const vouched = await vouchedApprovalIds(deps.db, input.rulesetId, input.version, recorded);
    const valid = recorded.filter((a) => vouched.has(a.id) &&
      CLINICAL_LEAD.test(a.role) && authorsAmong(compiled.document, { id: a.approverId, name: a.approver }).length === 0 && !samePerson(a.approverId, activator.id) && !sameName(a.approver, activator.name));
    if (valid.length === 0) {
      const unvouched = recorded.filter((a) => !vouched.has(a.id)).length;
      const why = unvouched === 0 ? '' : `; ${unvouched} recorded approval(s) of it have no signed ruleset.approved event this process can verify (msk-triage audit verify names them; every instance and command needs the same AUDIT_KEY_FILE)`;
      issues.push({ path: '/approvals', message: `needs an approval, recorded for this exact content (hash ${compiled.sha256}), by a clinical lead who is not one of its authors (${authors.join(', ')}) and not the one activating it${why}` });
    }
  }
  if (issues.length > 0) throw new ApiError('ACTIVATION_REFUSED', issues);

  const { effectiveFrom } = compiled.document;
  const early = effectiveFrom > todayInLondon(deps.clock());
  if (early && input.overrideEffectiveFrom === undefined) return scheduleActivation(deps, { loaded, scheduledBy: input.activatedBy, reason: input.reason });

  const previousVersion = deps.registry.active(input.rulesetId)?.version ?? null;
  const at = deps.clock();
  await deps.db.transaction(async (tx) => {
    // The schedules' lock before the audit chain's, as everywhere.
    await cancelPendingSchedule(tx, { rulesetId: input.rulesetId, version: input.version, cancelledBy: input.activatedBy, reason: `activated at once by ${input.activatedBy.name}`, at });
    await insertActivation(tx, {
      id: randomUUID(), rulesetId: input.rulesetId, version: input.version, sha256: compiled.sha256, activatedBy: input.activatedBy.name, activatedById: input.activatedBy.id, reason: input.reason, activatedAt: at,
      effectiveFromOverride: early ? input.overrideEffectiveFrom : null,
    });
    await appendAuditEvents(tx, [{
      id: randomUUID(), referralId: null, type: 'ruleset.activated', actor: input.activatedBy.id, actorRole: input.activatedBy.actorRole, occurredAt: at,
      ruleset: { id: input.rulesetId, version: input.version, sha256: compiled.sha256 },
      details: { previousVersion, rollback: Boolean(earlier), ...(early ? { effectiveFrom, beforeEffectiveFrom: true } : {}) },
    }]);
    // Delivered at commit to every instance listening (activation-watch.ts).
    await notifyActivation(tx, { rulesetId: input.rulesetId, version: input.version });
  });
  deps.registry.installAndActivate(loaded);
  return { rulesetId: input.rulesetId, version: input.version, sha256: compiled.sha256, previousVersion, activatedBy: input.activatedBy.name, activatedAt: at.toISOString() };
}
