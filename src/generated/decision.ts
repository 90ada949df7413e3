/* Generated from schemas/decision.schema.json by src/tools/generate-types.ts. Do not edit: run npm run types:generate. */

/**
 * where the patient goes
 *
 * This interface was referenced by `Decision`'s JSON-Schema
 * via the `definition` "pathway".
 */
export type Pathway = 'physio' | 'gp' | 'community' | 'secondary';
/**
 * emergency = same day; very-urgent = within 48 hours (2 working days); urgent = within 2 weeks; soon = within 6 weeks; routine. Order: emergency > very-urgent > urgent > soon > routine
 *
 * This interface was referenced by `Decision`'s JSON-Schema
 * via the `definition` "urgency".
 */
export type Urgency = 'emergency' | 'very-urgent' | 'urgent' | 'soon' | 'routine';
/**
 * finer destination named by the winning rule, in kebab-case
 *
 * This interface was referenced by `Decision`'s JSON-Schema
 * via the `definition` "service".
 */
export type Service = string;
/**
 * one node of a rule's condition tree, with its truth value; a leaf shows the value the referral had
 *
 * This interface was referenced by `Decision`'s JSON-Schema
 * via the `definition` "conditionResult".
 */
export type ConditionResult =
  | {
      /**
       * @maxItems 50
       */
      all: ConditionResult[];
      result: boolean;
    }
  | {
      /**
       * @maxItems 50
       */
      any: ConditionResult[];
      result: boolean;
    }
  | {
      not: ConditionResult;
      result: boolean;
    }
  | {
      fact: string;
      operator: string;
      /**
       * the value the rule compares with
       */
      value: boolean | number | string | (boolean | number | string)[];
      /**
       * the value the referral had for this fact; null when the referral does not carry it
       */
      factValue: FactValue | null;
      result: boolean;
    };
/**
 * a fact's value: a boolean, number or string, or a list of them
 *
 * This interface was referenced by `Decision`'s JSON-Schema
 * via the `definition` "factValue".
 */
export type FactValue = boolean | number | string | (boolean | number | string)[];

/**
 * The routing decision the service answers for one referral, with its full explanation.
 */
export interface Decision {
  /**
   * `rule` when a fired rule decided the route, `default` when no rule fired and the rule set's default route applied
   */
  outcome: 'rule' | 'default';
  pathway: Pathway;
  urgency: Urgency;
  service: Service;
  /**
   * a triage clinician must look before the referral is actioned
   */
  reviewRequired: boolean;
  ruleset: RulesetRef;
  /**
   * the date (Europe/London) the referral was evaluated at; ages are computed at this date
   */
  evaluationDate: string;
  /**
   * id of the rule whose route was chosen; null when the default route applied
   */
  winningRule: string | null;
  /**
   * every rule that fired, winning rule first, then most urgent first
   *
   * @maxItems 500
   */
  firedRules: FiredRule[];
  /**
   * advice texts of the fired rules, winning rule first
   *
   * @maxItems 500
   */
  advice: string[];
  /**
   * how the decision was reached, step by step, in plain English
   *
   * @maxItems 20
   */
  explanation: string[];
}
/**
 * This interface was referenced by `Decision`'s JSON-Schema
 * via the `definition` "rulesetRef".
 */
export interface RulesetRef {
  id: string;
  version: string;
  /**
   * SHA-256 of the rule set's canonical JSON (RFC 8785)
   */
  sha256: string;
}
/**
 * This interface was referenced by `Decision`'s JSON-Schema
 * via the `definition` "firedRule".
 */
export interface FiredRule {
  id: string;
  title: string;
  route: Route;
  /**
   * the rule itself asks for a clinician's review when it decides
   */
  reviewRequired: boolean;
  /**
   * @maxItems 20
   */
  evidence: Evidence[];
  advice: string;
  conditions: ConditionResult;
}
/**
 * This interface was referenced by `Decision`'s JSON-Schema
 * via the `definition` "route".
 */
export interface Route {
  pathway: Pathway;
  urgency: Urgency;
  service: Service;
}
/**
 * This interface was referenced by `Decision`'s JSON-Schema
 * via the `definition` "evidence".
 */
export interface Evidence {
  citation: string;
  url?: string;
}
