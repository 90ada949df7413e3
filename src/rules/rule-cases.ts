/**
 * Runs the test cases bundled with a rule-set version. A case is a referral (a merge patch on the
 * file's base referral), the date it is evaluated at, and what the decision must say.
 */
import type { Decision } from '../generated/decision.js';
import type { Referral } from '../generated/referral.js';
import type { Case, RuleCases } from '../generated/rule-cases.js';
import { issuesFrom } from '../schemas/schema-issues.js';
import { validateReferral } from '../schemas/schema-registry.js';
import type { CompiledRuleSet } from './compiled-rule-set.js';
import { applyMergePatch } from './merge-patch.js';

export interface CaseResult {
  id: string;
  description: string;
  passed: boolean;
  failures: string[];
  decision?: Decision;
}

export function caseReferral(file: RuleCases, testCase: Case): { referral?: Referral; problems: string[] } {
  let candidate: unknown;
  try {
    candidate = applyMergePatch(file.baseReferral, testCase.referral);
  } catch (error) {
    return { problems: [(error as Error).message] };
  }
  if (validateReferral(candidate)) return { referral: candidate, problems: [] };
  return {
    problems: issuesFrom(validateReferral.errors).map(
      (issue) => `its referral breaks the contract at ${issue.path}: ${issue.message}`,
    ),
  };
}

function compare(testCase: Case, decision: Decision): string[] {
  const expect = testCase.expect;
  const failures: string[] = [];
  const check = (field: string, expected: unknown, actual: unknown) => {
    if (expected !== undefined && expected !== actual) {
      failures.push(`${field}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    }
  };
  check('pathway', expect.pathway, decision.pathway);
  check('urgency', expect.urgency, decision.urgency);
  check('reviewRequired', expect.reviewRequired, decision.reviewRequired);
  check('service', expect.service, decision.service);
  check('outcome', expect.outcome, decision.outcome);
  check('winningRule', expect.winningRule, decision.winningRule ?? undefined);
  const fired = decision.firedRules.map((rule) => rule.id);
  if (expect.rulesFired) {
    const missing = expect.rulesFired.filter((id) => !fired.includes(id));
    const extra = fired.filter((id) => !expect.rulesFired?.includes(id));
    if (missing.length > 0) failures.push(`rules expected to fire did not: ${missing.join(', ')}`);
    if (extra.length > 0) failures.push(`rules fired that were not expected: ${extra.join(', ')}`);
  }
  const wrongly = (expect.rulesNotFired ?? []).filter((id) => fired.includes(id));
  if (wrongly.length > 0) failures.push(`rules fired that must not: ${wrongly.join(', ')}`);
  return failures;
}

export async function runCases(ruleSet: CompiledRuleSet, file: RuleCases): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const testCase of file.cases) {
    const base = { id: testCase.id, description: testCase.description };
    const { referral, problems } = caseReferral(file, testCase);
    if (!referral) {
      results.push({ ...base, passed: false, failures: problems });
      continue;
    }
    try {
      const decision = await ruleSet.evaluate(referral, testCase.evaluationDate ?? file.evaluationDate);
      const failures = compare(testCase, decision);
      // Kept as a copy: decisions kept for the life of the process, if they were the ones the
      // evaluator made, would teach V8 to make every later decision straight in the old generation
      // (allocation-site pretenuring), which halves the speed of bulk evaluation after a load.
      results.push({ ...base, passed: failures.length === 0, failures, decision: structuredClone(decision) });
    } catch (error) {
      results.push({ ...base, passed: false, failures: [`evaluation failed: ${(error as Error).message}`] });
    }
  }
  return results;
}
