/**
 * Every check an approval or an activation runs on a version folder, as a plain value that can
 * cross threads: what the loader checks (schema, facts, its cases, the two channels' agreement, the
 * invariants it declares), the linter's findings (its search of 4,000 generated referrals), and the
 * invariants of the versions before it that it still owes (the ratchet). Together they take seconds
 * of CPU, so the service runs them in a worker thread (version-check-thread.ts), one at a time, and
 * rebuilds on its own thread only the cheap part: the compiled rule set, from the checked document.
 */
import path from 'node:path';
import { todayInLondon, type IsoDate } from '../domain/calendar.js';
import type { RuleCases } from '../generated/rule-cases.js';
import type { RuleSet } from '../generated/ruleset.js';
import { CompiledRuleSet } from './compiled-rule-set.js';
import { ratchetFailures } from './invariant-proof.js';
import type { CaseResult } from './rule-cases.js';
import { RULESET_FILE, agreedContentHashes, inspectVersion, trustAgreement, type LoadProblem, type LoadedVersion, type VersionInspection } from './rule-set-loader.js';
import { lintRuleSet, type Finding } from './rule-set-lint.js';
import { WorkerQueue } from './worker-queue.js';

export interface VersionCheckRequest {
  dir: string;
  /** how many generated referrals the checker searches (default: its full 4,000) */
  searchSize?: number;
  /** false for what the loader checks alone, without the linter (default true) */
  lint?: boolean;
  /** the documents of the versions whose invariants bind this one: the active one and every one released */
  predecessors: readonly RuleSet[];
  evaluationDate: IsoDate;
  /** content hashes on which this code has already seen the two channels agree: not checked again */
  agreed?: readonly string[];
}

export interface VersionCheck {
  dir: string;
  /** what the loader refuses */
  problems: LoadProblem[];
  /** the linter's findings, errors and warnings */
  findings: Finding[];
  /** the predecessors' invariants this version fails, one message each */
  ratchet: string[];
  /** as far as the version got: its document and content hash once it compiled, its cases and their results once they ran */
  document?: RuleSet;
  sha256?: string;
  cases?: RuleCases;
  caseResults?: CaseResult[];
}

/** Runs every check, on the thread it is called on. */
export async function checkVersion(request: VersionCheckRequest): Promise<VersionCheck> {
  if (request.agreed) trustAgreement(request.agreed);
  const { dir, problems, compiled, cases, caseResults } = await inspectVersion(request.dir);
  if (!compiled || !cases || !caseResults) return { dir, problems, findings: [], ratchet: [], ...(cases ? { cases } : {}) };
  const findings = request.lint === false ? [] : lintRuleSet({ file: path.join(dir, RULESET_FILE), ruleSet: compiled.document, compiled, caseResults, ...(request.searchSize ? { searchSize: request.searchSize } : {}) });
  const ratchet = await ratchetFailures(compiled, request.predecessors.map((document) => new CompiledRuleSet(document)), request.evaluationDate);
  return { dir, problems, findings, ratchet, document: compiled.document, sha256: compiled.sha256, cases, caseResults };
}

const checks = new WorkerQueue<VersionCheckRequest, VersionCheck>('rule-set check', new URL('./version-check-worker.js', import.meta.url));

/** Runs every check in the checks' worker thread, after the checks asked for before it. */
export function checkVersionInWorker(request: VersionCheckRequest): Promise<VersionCheck> {
  return checks.run(request);
}

/** The loaded version a check describes, compiled again here; undefined when it did not get as far as its cases. */
export function loadedFromCheck(check: VersionCheck): LoadedVersion | undefined {
  const { document, sha256, cases, caseResults, dir } = check;
  if (!document || !cases || !caseResults) return undefined;
  const compiled = new CompiledRuleSet(Object.freeze(document));
  // The same document hashes the same on any thread; a difference would mean it changed in between.
  if (compiled.sha256 !== sha256) throw new Error(`rule set ${compiled.id} ${compiled.version}: the checked document hashes to ${sha256 ?? '?'} but to ${compiled.sha256} here`);
  return { compiled, cases, caseResults, dir };
}

/**
 * What the loader checks of a version folder (no linter, no ratchet), in the checks' worker thread:
 * the same answer as inspectVersion, without holding this thread for the cases, the channels'
 * agreement and the proofs. What a running service uses for drafts, activations and simulations.
 */
export async function inspectVersionInWorker(dir: string): Promise<VersionInspection> {
  const check = await checkVersionInWorker({ dir, lint: false, predecessors: [], evaluationDate: todayInLondon(), agreed: agreedContentHashes() });
  const loaded = loadedFromCheck(check);
  return { ...(loaded ?? (check.cases ? { cases: check.cases } : {})), dir: check.dir, problems: check.problems };
}
