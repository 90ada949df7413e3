/**
 * Replay: re-evaluate a stored referral with the rule-set version and evaluation date its rules
 * decision recorded, and report whether the same decision comes out. Recorded as an audit event.
 */
import { randomUUID } from 'node:crypto';
import { appendAuditEvents } from '../audit/audit-trail.js';
import { ApiError } from '../domain/error-catalogue.js';
import type { Actor } from '../auth/principal.js';
import { canonicalJson } from '../rules/content-hash.js';
import type { RuleSetRegistry } from '../rules/rule-set-registry.js';
import type { Database } from '../store/database.js';
import { decisionsOf, findReferral } from '../store/referral-store.js';

export interface ReplayDeps {
  db: Database;
  registry: RuleSetRegistry;
  clock: () => Date;
  actor: Actor;
}

export interface ReplayResult {
  referralId: string;
  decisionId: string | null;
  ruleset: { id: string; version: string; sha256: string } | null;
  evaluationDate: string | null;
  /** matched: the same decision again; differs: another decision; unavailable: it cannot be replayed here */
  result: 'matched' | 'differs' | 'unavailable';
  reason?: string;
  differences?: string[];
}

/** `bulk`: one of many (replay of every referral): the compiled evaluator alone decides again. */
export async function replayReferral(deps: ReplayDeps, referralId: string, options: { record?: boolean; bulk?: boolean } = {}): Promise<ReplayResult> {
  const referral = await findReferral(deps.db, referralId);
  if (!referral) throw new ApiError('REFERRAL_NOT_FOUND');
  const decided = (await decisionsOf(deps.db, referralId)).find((d) => d.source === 'rules');
  const base = { referralId, decisionId: decided?.id ?? null, ruleset: decided?.ruleset ?? null, evaluationDate: decided?.evaluationDate ?? null };
  let result: ReplayResult;
  const ruleSet = decided?.ruleset ? deps.registry.get(decided.ruleset.id, decided.ruleset.version) : undefined;
  if (!decided?.decision || !decided.ruleset || !decided.evaluationDate) {
    result = { ...base, result: 'unavailable', reason: 'the referral has no rules decision (its evaluation failed)' };
  } else if (!ruleSet) {
    result = { ...base, result: 'unavailable', reason: `rule set ${decided.ruleset.id} ${decided.ruleset.version} is not loaded` };
  } else if (ruleSet.sha256 !== decided.ruleset.sha256) {
    result = { ...base, result: 'unavailable', reason: `the loaded ${decided.ruleset.id} ${decided.ruleset.version} has another content hash than the one that decided` };
  } else {
    const again = options.bulk ? ruleSet.evaluateCompiled(referral.referral, decided.evaluationDate) : await ruleSet.evaluate(referral.referral, decided.evaluationDate);
    const stored = decided.decision as unknown as Record<string, unknown>;
    const fresh = again as unknown as Record<string, unknown>;
    const differences = [...new Set([...Object.keys(stored), ...Object.keys(fresh)])].filter((key) => canonicalJson(stored[key] ?? null) !== canonicalJson(fresh[key] ?? null));
    result = differences.length === 0 ? { ...base, result: 'matched' } : { ...base, result: 'differs', differences };
  }
  if (options.record !== false) {
    await deps.db.transaction((tx) =>
      appendAuditEvents(tx, [{
        id: randomUUID(), referralId, type: 'referral.replayed', actor: deps.actor.id, actorRole: deps.actor.role, occurredAt: deps.clock(), ruleset: result.ruleset,
        details: { decisionId: result.decisionId, result: result.result },
      }]),
    );
  }
  return result;
}
