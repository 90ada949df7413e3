/**
 * Loads every rule-set version under rules/<ruleset-id>/<version>/: validates ruleset.json against
 * its schema, checks every condition against the fact catalogue, compiles it, runs its bundled
 * cases.json (every rule must be fired by one of them), and proves the invariants it declares over
 * the whole referral contract. Any problem in any version stops the load with every problem listed,
 * each naming the file and the rule or case.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { RuleCases } from '../generated/rule-cases.js';
import type { RuleSet } from '../generated/ruleset.js';
import { issuesFrom } from '../schemas/schema-issues.js';
import { validateRuleCases, validateRuleSet } from '../schemas/schema-registry.js';
import type { Referral } from '../generated/referral.js';
import { todayInLondon } from '../domain/calendar.js';
import { SYNTHETIC_REFERENCE_DATE, syntheticReferrals } from '../schemas/synthetic-referrals.js';
import { ChannelDisagreement, CompiledRuleSet, EvaluationError } from './compiled-rule-set.js';
import { contentHash } from './content-hash.js';
import { proveInvariants } from './invariant-proof.js';
import { runCases, type CaseResult } from './rule-cases.js';
import { checkRuleFacts } from './rule-facts-check.js';

export const RULESET_FILE = 'ruleset.json';
export const CASES_FILE = 'cases.json';

export interface LoadProblem {
  file: string;
  ruleId?: string;
  caseId?: string;
  path?: string;
  message: string;
  /** a referral that shows the problem: an invariant's counterexample */
  example?: Referral;
}

export function formatProblem(problem: LoadProblem): string {
  const where = [
    problem.ruleId ? `rule ${problem.ruleId}` : undefined,
    problem.caseId ? `case ${problem.caseId}` : undefined,
    problem.path || undefined,
  ].filter(Boolean);
  return `${problem.file}: ${where.length > 0 ? where.join(' ') + ': ' : ''}${problem.message}`;
}

export class RuleSetLoadError extends Error {
  override readonly name = 'RuleSetLoadError';
  constructor(readonly problems: readonly LoadProblem[]) {
    super(`rule sets failed to load:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`);
  }
}

export interface LoadedVersion {
  compiled: CompiledRuleSet;
  cases: RuleCases;
  caseResults: CaseResult[];
  /** the version's folder, relative to the working directory */
  dir: string;
}

async function readJson(file: string, display: string, problems: LoadProblem[]): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    problems.push({ file: display, message: 'is missing or cannot be read' });
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    problems.push({ file: display, message: `is not valid JSON: ${(error as Error).message}` });
    return undefined;
  }
}

const ruleIdAt = (document: unknown, pointer: string): string | undefined => {
  const match = /^\/rules\/(\d+)/.exec(pointer);
  if (!match) return undefined;
  const rules = (document as { rules?: { id?: unknown }[] }).rules;
  const id = rules?.[Number(match[1])]?.id;
  return typeof id === 'string' ? id : undefined;
};

/** Everything known about one version folder: its problems and, as far as it got, its parts. */
export interface VersionInspection {
  dir: string;
  problems: LoadProblem[];
  compiled?: CompiledRuleSet;
  cases?: RuleCases;
  caseResults?: CaseResult[];
}

/** Checks one version folder as far as it can go: schema, facts, compile, and its bundled cases. */
export async function inspectVersion(dir: string): Promise<VersionInspection> {
  const problems: LoadProblem[] = [];
  const loaded = await loadVersionParts(dir, problems);
  return { dir, problems, ...loaded };
}

/** What inspects a version folder: inspectVersion on this thread, or inspectVersionInWorker (version-check.ts). */
export type VersionInspector = (dir: string) => Promise<VersionInspection>;

/** The loaded version an inspection found, when it found no problem. */
export function loadedOf(inspection: VersionInspection): LoadedVersion | undefined {
  const { compiled, cases, caseResults, dir } = inspection;
  return inspection.problems.length === 0 && compiled && cases && caseResults ? { compiled, cases, caseResults, dir } : undefined;
}

/** Loads one version folder; problems are appended, and undefined is returned when it cannot load. */
export async function loadVersion(dir: string, problems: LoadProblem[], inspect: VersionInspector = inspectVersion): Promise<LoadedVersion | undefined> {
  const inspection = await inspect(dir);
  problems.push(...inspection.problems);
  return loadedOf(inspection);
}

async function loadVersionParts(dir: string, problems: LoadProblem[]): Promise<Partial<LoadedVersion>> {
  const display = (file: string) => path.relative(process.cwd(), path.join(dir, file)) || file;
  const rulesetFile = display(RULESET_FILE);
  const casesFile = display(CASES_FILE);

  const document = await readJson(path.join(dir, RULESET_FILE), rulesetFile, problems);
  const casesDocument = await readJson(path.join(dir, CASES_FILE), casesFile, problems);
  if (document === undefined || casesDocument === undefined) return {};

  if (!validateRuleSet(document)) {
    for (const issue of issuesFrom(validateRuleSet.errors)) {
      problems.push({ file: rulesetFile, ruleId: ruleIdAt(document, issue.path), path: issue.path, message: issue.message });
    }
    return {};
  }
  const ruleSet: RuleSet = document;
  const [folderVersion, folderId] = [path.basename(dir), path.basename(path.dirname(dir))];
  if (ruleSet.id !== folderId || ruleSet.version !== folderVersion) {
    problems.push({
      file: rulesetFile,
      message: `declares ${ruleSet.id} ${ruleSet.version} but lives in the folder for ${folderId} ${folderVersion}`,
    });
  }
  if (!ruleSet.changeLog.some((change) => change.version === ruleSet.version)) {
    problems.push({ file: rulesetFile, path: '/changeLog', message: `has no entry for version ${ruleSet.version}: say what changed and why` });
  }
  for (const problem of checkRuleFacts(ruleSet.rules)) {
    problems.push({ file: rulesetFile, ruleId: problem.ruleId, path: problem.path, message: problem.message });
  }
  if (!validateRuleCases(casesDocument)) {
    for (const issue of issuesFrom(validateRuleCases.errors)) problems.push({ file: casesFile, path: issue.path, message: issue.message });
    return {};
  }
  const cases: RuleCases = casesDocument;
  if (cases.ruleset !== ruleSet.id || cases.version !== ruleSet.version) {
    problems.push({ file: casesFile, message: `is for ${cases.ruleset} ${cases.version}, not ${ruleSet.id} ${ruleSet.version}` });
  }
  const caseIds = new Set<string>();
  for (const testCase of cases.cases) {
    if (caseIds.has(testCase.id)) problems.push({ file: casesFile, caseId: testCase.id, message: `case id ${testCase.id} is used twice` });
    caseIds.add(testCase.id);
  }
  if (problems.length > 0) return { cases };

  const compiled = new CompiledRuleSet(Object.freeze(ruleSet));
  const { caseResults, problems: found } = await verifiedOnce(compiled, cases, { rulesetFile, casesFile });
  problems.push(...found);
  return { compiled, cases, caseResults, dir };
}

/**
 * What the bundled cases, the channels' agreement and the invariant proof say of a version: pure
 * functions of the rule set's content, its cases, the code and today's date (the proof's date, and the
 * date-of-birth check of the cases' referrals), so checked once a process for each (a service that
 * re-reads an unchanged folder, an activation that re-checks what was loaded, a test suite that loads
 * the same shipped versions hundreds of times) and answered from memory after. The last
 * REMEMBERED_VERIFICATIONS are kept: a draft edited all day does not grow the process.
 */
const verifications = new Map<string, Promise<{ caseResults: CaseResult[]; problems: LoadProblem[] }>>();
/** The verifications kept above that passed, settled, by the same key: what a restart may trust (agreement-record.ts). */
const passedVerifications = new Map<string, CaseResult[]>();
const REMEMBERED_VERIFICATIONS = 32;

function remember(key: string, verification: Promise<{ caseResults: CaseResult[]; problems: LoadProblem[] }>): void {
  verifications.set(key, verification);
  if (verifications.size > REMEMBERED_VERIFICATIONS) {
    const oldest = verifications.keys().next().value ?? key;
    verifications.delete(oldest);
    passedVerifications.delete(oldest);
  }
  verification.then(
    ({ caseResults, problems }) => {
      if (problems.length === 0 && verifications.get(key) === verification) passedVerifications.set(key, caseResults);
    },
    () => verifications.delete(key), // a failure to check is not remembered
  );
}

function verifiedOnce(compiled: CompiledRuleSet, cases: RuleCases, files: { rulesetFile: string; casesFile: string }): Promise<{ caseResults: CaseResult[]; problems: LoadProblem[] }> {
  const today = todayInLondon();
  const key = verificationKey(compiled.sha256, contentHash(cases), today, files);
  let verification = verifications.get(key);
  if (verification) {
    verifications.delete(key); // the most recently used is the last to go
    verifications.set(key, verification);
  } else {
    verification = verify(compiled, cases, files, today);
    remember(key, verification);
  }
  return verification;
}

const verificationKey = (sha256: string, casesSha256: string, today: string, files: { rulesetFile: string; casesFile: string }) =>
  [sha256, casesSha256, today, files.rulesetFile, files.casesFile].join('\0');

/**
 * Verifications that passed in an earlier run of this same code (agreement-record.ts), by key: a
 * version with the same content, cases, files and day is answered from them without running its
 * cases and proof again. Only passes are ever recorded; a version that fails is checked every time.
 */
export function trustVerifications(passed: Iterable<readonly [string, CaseResult[]]>): void {
  for (const [key, caseResults] of passed) {
    if (!verifications.has(key)) remember(key, Promise.resolve({ caseResults, problems: [] }));
  }
}

/** The verifications this process holds that passed (the last REMEMBERED_VERIFICATIONS at most), by key. */
export function passedVerificationEntries(): Array<[string, CaseResult[]]> {
  return [...passedVerifications];
}

async function verify(compiled: CompiledRuleSet, cases: RuleCases, { rulesetFile, casesFile }: { rulesetFile: string; casesFile: string }, today: string): Promise<{ caseResults: CaseResult[]; problems: LoadProblem[] }> {
  const problems: LoadProblem[] = [];
  const caseResults = await runCases(compiled, cases);
  for (const result of caseResults.filter((r) => !r.passed)) {
    for (const failure of result.failures) problems.push({ file: casesFile, caseId: result.id, message: failure });
  }
  const firedByCases = new Set(caseResults.flatMap((result) => result.decision?.firedRules.map((rule) => rule.id) ?? []));
  for (const rule of compiled.document.rules.filter((r) => !firedByCases.has(r.id))) {
    problems.push({ file: casesFile, ruleId: rule.id, message: 'no bundled case fires this rule: add a case that fires it, and one that just misses it' });
  }
  problems.push(...(await channelProblems(compiled, rulesetFile)));
  for (const failure of await proveInvariants(compiled, today)) {
    problems.push({ file: rulesetFile, path: '/invariants', message: failure.message, example: failure.referral });
  }
  return { caseResults, problems };
}

/** How many generated referrals both evaluators must agree on, beyond the bundled cases, at every load. */
export const AGREEMENT_SAMPLE = 2000;

/**
 * The sample a load checks: always AGREEMENT_SAMPLE, but in the test suite (NODE_ENV=test), whose
 * tests of mechanisms load hundreds of copies of the rule sets, MSK_TEST_AGREEMENT_SAMPLE may make
 * it smaller there, as the linter's search size is; the agreement's own tests ask for the full size.
 */
export function agreementSampleSize(): number {
  const asked = Number(process.env.MSK_TEST_AGREEMENT_SAMPLE);
  return process.env.NODE_ENV === 'test' && Number.isInteger(asked) && asked > 0 ? Math.min(asked, AGREEMENT_SAMPLE) : AGREEMENT_SAMPLE;
}
const AGREEMENT_SEED = 1;

/** Agreement is a property of a version's content: checked once per content hash in a process. */
const agreedContent = new Set<string>();

/** Content hashes whose agreement was recorded by an earlier run of this same code (agreement-record.ts). */
export function trustAgreement(sha256s: Iterable<string>): void {
  for (const sha256 of sha256s) agreedContent.add(sha256);
}

/** The content hashes on which the channels have agreed in this process, or were trusted to. */
export function agreedContentHashes(): string[] {
  return [...agreedContent];
}

/** The two channels on a seeded sample of generated referrals (never real data): the first difference, if any. */
async function channelProblems(compiled: CompiledRuleSet, file: string): Promise<LoadProblem[]> {
  if (agreedContent.has(compiled.sha256)) return [];
  const problems = await agreementProblems(compiled, file);
  if (problems.length === 0) agreedContent.add(compiled.sha256);
  return problems;
}

/** The check itself, uncached: exported for its tests. */
export async function agreementProblems(compiled: CompiledRuleSet, file: string, sample = agreementSampleSize()): Promise<LoadProblem[]> {
  for (const [index, referral] of syntheticReferrals(sample, AGREEMENT_SEED).entries()) {
    try {
      await compiled.bothChannels(referral, SYNTHETIC_REFERENCE_DATE);
    } catch (error) {
      const which = `generated referral ${index + 1} of ${sample} (seed ${AGREEMENT_SEED}, at ${SYNTHETIC_REFERENCE_DATE})`;
      if (error instanceof ChannelDisagreement) {
        const { ruleId, path: at, field } = error.disagreement;
        return [{ file, ruleId, path: `/conditions${at}`, message: `json-rules-engine and the compiled evaluator disagree on ${which}, at this condition (${field})` }];
      }
      if (error instanceof EvaluationError) return [{ file, message: `cannot evaluate ${which}: ${error.cause instanceof Error ? error.cause.message : error.message}` }];
      throw error;
    }
  }
  return [];
}

async function subfolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

/** The version folders under a rules folder (`<ruleset-id>/<version>/`), or the folder itself if it is one. */
export async function versionFolders(dir: string): Promise<string[]> {
  const entries = await readdir(dir).catch(() => undefined);
  if (!entries) throw new RuleSetLoadError([{ file: dir, message: 'is not a readable folder of rule sets' }]);
  if (entries.includes(RULESET_FILE)) return [dir];
  const folders: string[] = [];
  for (const id of await subfolders(dir)) {
    for (const version of await subfolders(path.join(dir, id))) folders.push(path.join(dir, id, version));
  }
  return folders;
}

/** Loads the versions under `rulesDir` that pass every check, leaving out (and listing) the others. */
export async function loadValidRuleSets(rulesDir: string): Promise<{ loaded: LoadedVersion[]; skipped: LoadProblem[] }> {
  const skipped: LoadProblem[] = [];
  const loaded: LoadedVersion[] = [];
  for (const dir of await versionFolders(rulesDir)) {
    const result = await loadVersion(dir, skipped);
    if (result) loaded.push(result);
  }
  return { loaded, skipped };
}

/** Loads every version of every rule set under `rulesDir`; throws RuleSetLoadError on any problem. */
export async function loadRuleSets(rulesDir: string): Promise<LoadedVersion[]> {
  const problems: LoadProblem[] = [];
  const loaded: LoadedVersion[] = [];
  for (const dir of await versionFolders(rulesDir)) {
    const result = await loadVersion(dir, problems);
    if (result) loaded.push(result);
  }
  if (loaded.length === 0 && problems.length === 0) {
    problems.push({ file: rulesDir, message: 'holds no rule-set version (expected <ruleset-id>/<version>/ruleset.json)' });
  }
  if (problems.length > 0) throw new RuleSetLoadError(problems);
  return loaded;
}
