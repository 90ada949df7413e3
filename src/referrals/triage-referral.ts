/**
 * Triage of one referral without storing it: check it against the contract, choose the rule-set
 * version, derive the facts and evaluate, and check the decision against its own schema before
 * anyone relies on it. A failure anywhere after validation is an EvaluationError: never a route.
 */
import type { Decision } from '../generated/decision.js';
import type { Referral } from '../generated/referral.js';
import { ApiError } from '../domain/error-catalogue.js';
import type { Logger } from '../log/logger.js';
import { ChannelDisagreement, EvaluationError, type CompiledRuleSet } from '../rules/compiled-rule-set.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import { issuesFrom } from '../schemas/schema-issues.js';
import { validateDecision, validateReferral } from '../schemas/schema-registry.js';
import { todayInLondon } from '../domain/calendar.js';

export interface TriageDeps {
  registry: RuleSetRegistry;
  rulesetId: string;
  clock: () => Date;
  /** where a disagreement of the two evaluators is reported, as an error (never with patient data) */
  logger?: Pick<Logger, 'error'>;
}

export function ruleSetFor(deps: TriageDeps, version: string | undefined): CompiledRuleSet {
  const ruleSet = version === undefined ? deps.registry.active(deps.rulesetId) : deps.registry.get(deps.rulesetId, version);
  if (ruleSet) return ruleSet;
  throw new ApiError(version === undefined ? 'NOT_READY' : 'RULESET_VERSION_NOT_FOUND');
}

export async function triageReferral(deps: TriageDeps, body: unknown, version?: string): Promise<Decision> {
  // A JSON request always has a body ({} when empty); this guards callers other than the router.
  if (body === undefined) throw new ApiError('REFERRAL_INVALID', [{ path: '/', message: 'is required: send the referral as a JSON object' }]);
  if (!validateReferral(body)) throw new ApiError('REFERRAL_INVALID', issuesFrom(validateReferral.errors));
  return evaluateReferral(deps, body, version);
}

/** Evaluates a referral already checked against the contract; any failure is an EvaluationError. */
export async function evaluateReferral(deps: TriageDeps, body: Referral, version?: string): Promise<Decision> {
  const ruleSet = ruleSetFor(deps, version);
  let decision: Decision;
  try {
    decision = await ruleSet.evaluate(body, todayInLondon(deps.clock()));
  } catch (error) {
    if (error instanceof ChannelDisagreement) {
      const { ruleId, path, field } = error.disagreement;
      deps.logger?.error('the two evaluators disagree', { event: 'evaluation.disagreement', rulesetId: ruleSet.id, rulesetVersion: ruleSet.version, ruleId, conditionPath: path || '/', field });
    }
    if (error instanceof EvaluationError) throw error;
    throw new EvaluationError(`rule set ${ruleSet.id} ${ruleSet.version} could not be evaluated`, { cause: error });
  }
  if (!validateDecision(decision)) {
    throw new EvaluationError(`rule set ${ruleSet.id} ${ruleSet.version} produced a decision that breaks its schema`);
  }
  return decision;
}
