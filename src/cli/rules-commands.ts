/** `msk-triage rules check`, `rules test` and `rules diff`: for clinical leads working on rule files. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RuleSet } from '../generated/ruleset.js';
import { routeText } from '../domain/route-order.js';
import { isSyntheticSelection, SYNTHETIC_SELECTIONS } from '../domain/synthetic-data.js';
import { syntheticReferralCount } from '../store/referral-store.js';
import type { CaseResult } from '../rules/rule-cases.js';
import { diffRuleSets, formatDiff } from '../rules/rule-set-diff.js';
import { lintRuleSet, type Finding } from '../rules/rule-set-lint.js';
import { formatReport, type SimulationItem } from '../rules/impact-simulation.js';
import { simulateImpact, storedReferralPages } from '../referrals/simulate-impact.js';
import { issuesFrom } from '../schemas/schema-issues.js';
import { validateReferral } from '../schemas/schema-registry.js';
import { cliSignatory, registryFor, withDatabase, type Command } from './context.js';
import { activateVersion, approveVersion, isScheduled } from '../rulesets/rule-set-activation.js';
import { ApiError } from '../domain/error-catalogue.js';
import { formatProblem, inspectVersion, RULESET_FILE, versionFolders, type VersionInspection } from '../rules/rule-set-loader.js';


function expectedText(result: CaseResult, inspection: VersionInspection): string {
  const testCase = inspection.cases?.cases.find((c) => c.id === result.id);
  const e = testCase?.expect;
  if (!e) return '(unknown)';
  return `${routeText(e)}, review ${e.reviewRequired ? 'required' : 'not required'}${e.rulesFired ? `; fires ${e.rulesFired.join(', ')}` : ''}`;
}

/** Coverage of one version by its cases: rules fired, routes reached. */
export function coverage(inspection: VersionInspection): { rules: [number, number]; routes: [number, number]; unfired: string[]; unreached: string[] } {
  const ruleSet = inspection.compiled?.document;
  const results = inspection.caseResults ?? [];
  if (!ruleSet) return { rules: [0, 0], routes: [0, 0], unfired: [], unreached: [] };
  const fired = new Set(results.flatMap((r) => r.decision?.firedRules.map((f) => f.id) ?? []));
  const routes = new Set([...ruleSet.rules.map((r) => routeText(r.route)), routeText(ruleSet.defaultRoute)]);
  const reached = new Set(results.filter((r) => r.decision).map((r) => routeText(r.decision as NonNullable<CaseResult['decision']>)));
  const unfired = ruleSet.rules.map((r) => r.id).filter((id) => !fired.has(id));
  const unreached = [...routes].filter((route) => !reached.has(route));
  return { rules: [ruleSet.rules.length - unfired.length, ruleSet.rules.length], routes: [routes.size - unreached.length, routes.size], unfired, unreached };
}

export async function rulesTest(command: Command, args: string[]): Promise<number> {
  const { config, io } = command;
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const folders = await versionFolders(positionals[0] ?? config.rulesDir);
  const inspections = await Promise.all(folders.map((dir) => inspectVersion(dir)));
  if (values.json) {
    io.out(JSON.stringify(inspections.map((i) => ({
      dir: i.dir, problems: i.problems, cases: i.caseResults?.map(({ decision: _d, ...rest }) => rest), coverage: coverage(i),
    })), null, 2));
  }
  let failed = 0;
  for (const inspection of inspections) {
    const results = inspection.caseResults ?? [];
    const failures = results.filter((r) => !r.passed);
    // Problems that are not a failing case (a rule no case fires, a declared invariant that fails)
    // fail the run too: a version the loader refuses never passes its test.
    const otherProblems = inspection.problems.filter((p) => p.caseId === undefined);
    failed += failures.length + otherProblems.length;
    if (values.json) continue;
    io.out(`${inspection.dir}: ${results.length} cases, ${results.length - failures.length} passed, ${failures.length} failed`);
    if (!inspection.caseResults) {
      for (const problem of inspection.problems) io.out(`  cannot run the cases: ${formatProblem(problem)}`);
      continue;
    }
    for (const problem of otherProblems) {
      io.out(`  REFUSED ${formatProblem(problem)}`);
      if (problem.example) io.out(`    counterexample: ${JSON.stringify(problem.example)}`);
    }
    for (const result of failures) {
      const d = result.decision;
      io.out(`  FAIL ${result.id}: ${result.description}`);
      io.out(`    expected ${expectedText(result, inspection)}`);
      io.out(`    actual   ${d ? `${routeText(d)}, review ${d.reviewRequired ? 'required' : 'not required'}; fired ${d.firedRules.map((f) => f.id).join(', ') || 'none'}` : 'no decision'}`);
      for (const failure of result.failures) io.out(`    - ${failure}`);
    }
    const c = coverage(inspection);
    io.out(`  coverage: rules fired by a case ${c.rules[0]}/${c.rules[1]}${c.unfired.length ? ` (never: ${c.unfired.join(', ')})` : ''}; routes reached ${c.routes[0]}/${c.routes[1]}${c.unreached.length ? ` (never: ${c.unreached.join('; ')})` : ''}`);
  }
  return failed > 0 ? 1 : 0;
}

export async function rulesDiff(command: Command, args: string[]): Promise<number> {
  const { config, io } = command;
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const [id, from, to] = positionals;
  if (!id || !from || !to) throw new Error('usage: msk-triage rules diff <ruleset> <from-version> <to-version>');
  const read = async (version: string) => JSON.parse(await readFile(path.join(config.rulesDir, id, version, RULESET_FILE), 'utf8')) as RuleSet;
  const diff = diffRuleSets(await read(from), await read(to));
  io.out(values.json ? JSON.stringify(diff, null, 2) : formatDiff(diff));
  return 0;
}

/** `msk-triage rules check [DIR] [--json]`: loader checks as errors, then the linter's findings. */
export async function rulesCheck(command: Command, args: string[]): Promise<number> {
  const { config, io } = command;
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
  const folders = await versionFolders(positionals[0] ?? config.rulesDir);
  const results: Array<{ dir: string; findings: Finding[] }> = [];
  for (const dir of folders) {
    const inspection = await inspectVersion(dir);
    const findings: Finding[] = inspection.problems.map((p) => ({
      severity: 'error', file: p.file, message: p.caseId ? `case ${p.caseId}: ${p.message}` : p.message,
      ...(p.ruleId ? { ruleId: p.ruleId } : {}), ...(p.path ? { path: p.path } : {}), ...(p.example ? { example: p.example } : {}),
    }));
    const { compiled, caseResults } = inspection;
    if (compiled && caseResults) {
      findings.push(...lintRuleSet({ file: path.join(dir, RULESET_FILE), ruleSet: compiled.document, compiled, caseResults }));
    }
    results.push({ dir, findings });
  }
  const errors = results.flatMap((r) => r.findings).filter((f) => f.severity === 'error').length;
  const warnings = results.flatMap((r) => r.findings).length - errors;
  if (values.json) io.out(JSON.stringify({ errors, warnings, results }, null, 2));
  else {
    for (const { dir, findings } of results) {
      io.out(`${dir}: ${findings.filter((f) => f.severity === 'error').length} errors, ${findings.filter((f) => f.severity === 'warning').length} warnings`);
      for (const f of findings) {
        io.out(`  ${f.severity.padEnd(7)} ${f.file}${f.ruleId ? `: rule ${f.ruleId}` : ''}${f.path ? ` ${f.path}` : ''}: ${f.message}`);
        if (f.example) io.out(`          example: ${JSON.stringify(f.example)}`);
      }
    }
    io.out(`${errors} errors, ${warnings} warnings`);
  }
  return errors > 0 ? 1 : 0;
}

/** `msk-triage rules simulate RULESET --from V --to V [--file F] [--date D] [--synthetic include|only] [--json]` */
export async function rulesSimulate(command: Command, args: string[]): Promise<number> {
  const { config, io } = command;
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { from: { type: 'string' }, to: { type: 'string' }, file: { type: 'string' }, date: { type: 'string' }, synthetic: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [ruleset] = positionals;
  const usage = 'usage: msk-triage rules simulate <ruleset> --to <version> [--from <version>] [--file referrals.json] [--date YYYY-MM-DD] [--synthetic include|only] [--json]';
  if (!ruleset || !values.to) throw new Error(usage);
  // The stored referrals are the real ones unless --synthetic asks for the generator's too, or alone.
  const synthetic = values.synthetic ?? 'exclude';
  if (!isSyntheticSelection(synthetic) || (values.synthetic !== undefined && values.file)) throw new Error(`${usage}\n  (--synthetic is one of ${SYNTHETIC_SELECTIONS.join(', ')}, for the stored referrals: not with --file)`);
  const selection = synthetic;
  const rulesetId = ruleset;
  const to = values.to;
  const started = Date.now();
  // The stored referrals are read a page at a time while the pages before are tallied, so the
  // database stays open for the whole simulation and never every referral is in memory at once.
  const result = await withDatabase(command, async (db) => {
    const registry = await registryFor(command, db);
    const leftOut = values.file || synthetic !== 'exclude' ? 0 : await syntheticReferralCount(db);
    if (leftOut > 0) io.err(`msk-triage: ${leftOut} synthetic referrals left out (--synthetic include simulates them too)`);
    const items = values.file ? await referralsFromFile(values.file) : storedReferralPages(db, { synthetic: selection });
    return simulateImpact({ registry, rulesDir: config.rulesDir, clock: io.clock }, {
      ruleset: rulesetId, from: values.from, to, items, withIds: true, ...(values.date ? { evaluationDate: values.date } : {}),
    });
  });
  io.out(values.json ? JSON.stringify(result, null, 2) : `${formatReport(result)}\n\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return 0;
}

/** A JSON file of referrals (a list, or { "referrals": [...] }); each is checked against the contract. */
async function referralsFromFile(file: string): Promise<SimulationItem[]> {
  const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
  const list = Array.isArray(parsed) ? parsed : (parsed as { referrals?: unknown[] }).referrals;
  if (!Array.isArray(list)) throw new Error(`${file} must hold a list of referrals, or { "referrals": [...] }`);
  return list.map((referral, index) => {
    if (!validateReferral(referral)) throw new Error(`${file}: referral ${index} breaks the contract: ${issuesFrom(validateReferral.errors).map((i) => `${i.path} ${i.message}`).join('; ')}`);
    return { id: `${path.basename(file)}#${index}`, referral };
  });
}

/** `msk-triage rules approve RULESET VERSION --name N --role R [--note T]` */
export async function rulesApprove(command: Command, args: string[]): Promise<number> {
  const { config, io } = command;
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' }, role: { type: 'string' }, note: { type: 'string' } } });
  const [rulesetId, version] = positionals;
  if (!rulesetId || !version || !values.name || !values.role) throw new Error('usage: msk-triage rules approve <ruleset> <version> --name <name> --role <role> [--note <text>]');
  return withDatabase(command, async (db) => {
    const registry = await registryFor(command, db);
    try {
      const approval = await approveVersion({ db, registry, rulesDir: config.rulesDir, clock: io.clock, ...(io.checkerSearchSize ? { checkerSearchSize: io.checkerSearchSize } : {}) }, { rulesetId, version, approver: cliSignatory(values.name as string, values.role as string), ...(values.note ? { note: values.note } : {}) });
      io.out(`approved ${rulesetId} ${version} (content hash ${approval.sha256}) by ${approval.approver}, ${approval.role}`);
      return 0;
    } catch (error) {
      if (error instanceof ApiError) {
        io.out(`approval refused; nothing was recorded for ${rulesetId} ${version}:`);
        for (const issue of error.issues.length > 0 ? error.issues : [{ message: error.message }]) io.out(`  ${issue.message}`);
        return 1;
      }
      throw error;
    }
  });
}

/**
 * `msk-triage rules activate RULESET VERSION --by N --reason R [--override-effective-from WHY]`: before
 * the version's effectiveFrom, schedules it for that day, unless the override says why it cannot wait.
 */
export async function rulesActivate(command: Command, args: string[]): Promise<number> {
  const { config, io } = command;
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { by: { type: 'string' }, reason: { type: 'string' }, 'override-effective-from': { type: 'string' } } });
  const [rulesetId, version] = positionals;
  const override = values['override-effective-from'];
  if (!rulesetId || !version || !values.by || !values.reason || override?.trim() === '') throw new Error('usage: msk-triage rules activate <ruleset> <version> --by <name> --reason <text> [--override-effective-from <why it cannot wait>]');
  return withDatabase(command, async (db) => {
    const registry = await registryFor(command, db);
    try {
      const result = await activateVersion(
        { db, registry, rulesDir: config.rulesDir, clock: io.clock, ...(io.checkerSearchSize ? { checkerSearchSize: io.checkerSearchSize } : {}) },
        { rulesetId, version, activatedBy: cliSignatory(values.by as string, 'operator'), reason: values.reason as string, ...(override === undefined ? {} : { overrideEffectiveFrom: override.trim() }) },
      );
      if (isScheduled(result)) {
        io.out(`scheduled ${rulesetId} ${result.version} to be activated on ${result.effectiveFrom} (its effectiveFrom), at the start of that day in Europe/London; every running service switches to it then`);
        io.out(`  (rules list shows it; rules cancel-schedule ${rulesetId} ${result.version} cancels it; --override-effective-from "<why>" activates it now instead)`);
        return 0;
      }
      io.out(`activated ${rulesetId} ${result.version} (was ${result.previousVersion ?? 'none'}); a running service switches to it when it next checks`);
      return 0;
    } catch (error) {
      if (error instanceof ApiError) {
        io.out(`activation refused; ${rulesetId} ${version} is not active:`);
        for (const issue of error.issues.length > 0 ? error.issues : [{ message: error.message }]) io.out(`  ${issue.message}`);
        return 1;
      }
      throw error;
    }
  });
}
