/* Generated from schemas/ruleset.schema.json by src/tools/generate-types.ts. Do not edit: run npm run types:generate. */

/**
 * the root of a rule's conditions: all, any or not (json-rules-engine's rule format)
 */
export type TopCondition = Condition;
/**
 * one condition in json-rules-engine's own format: all / any / not of other conditions, or a fact compared with a value
 *
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "topCondition".
 */
export type Condition = {
  all?: Condition[];
  any?: Condition[];
  not?: Condition;
  fact?: string;
  operator?: Operator;
  value?: ConditionValue;
};
/**
 * one condition in json-rules-engine's own format: all / any / not of other conditions, or a fact compared with a value
 *
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "condition".
 */
export type Condition1 = {
  all?: Condition[];
  any?: Condition[];
  not?: Condition;
  fact?: string;
  operator?: Operator;
  value?: ConditionValue;
};
/**
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "operator".
 */
export type Operator =
  | 'equal'
  | 'notEqual'
  | 'lessThan'
  | 'lessThanInclusive'
  | 'greaterThan'
  | 'greaterThanInclusive'
  | 'in'
  | 'notIn'
  | 'contains'
  | 'doesNotContain';
/**
 * the value to compare with: a boolean, number or string, or a list of them for in / notIn
 *
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "conditionValue".
 */
export type ConditionValue =
  boolean | number | string | [boolean | number | string, ...(boolean | number | string)[]];

/**
 * One version of a triage rule set, as clinical leads write it: governance header, default route and rules whose conditions use json-rules-engine's own format.
 */
export interface RuleSet {
  /**
   * path of this schema, for editors
   */
  $schema?: string;
  /**
   * rule-set id; also the name of its folder under rules/
   */
  id: string;
  /**
   * semantic version MAJOR.MINOR.PATCH; also the name of its folder
   */
  version: string;
  status: 'draft' | 'active' | 'retired';
  /**
   * the date from which this version may be used
   */
  effectiveFrom: string;
  title: string;
  description: string;
  /**
   * @minItems 1
   * @maxItems 20
   */
  authors: [Person, ...Person[]];
  /**
   * @maxItems 20
   */
  approvals: Approval[];
  /**
   * @minItems 1
   * @maxItems 200
   */
  changeLog: [Change, ...Change[]];
  /**
   * how one decision comes out of the fired rules: "1" (msk-policy-v1: review only when the winning urgency's rules name different pathways, or the winning rule asks) or "2" (msk-policy-v2: also when they name different services, or any of them asks for review). Absent means "1", so that versions written before it keep deciding as they did
   */
  decisionProcedure?: '1' | '2';
  /**
   * policy invariants this version declares; the checker proves each one over the whole referral contract before the version may load or be activated
   *
   * @maxItems 10
   */
  invariants?: 'red-flag-safety-net'[];
  defaultRoute: DefaultRoute;
  /**
   * @minItems 1
   * @maxItems 500
   */
  rules: [Rule, ...Rule[]];
}
/**
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "person".
 */
export interface Person {
  name: string;
  role: string;
  /**
   * the author as a person of this service (msk-triage token people lists them): the two-person rule compares this identity first, then the name
   */
  personId?: string;
}
/**
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "approval".
 */
export interface Approval {
  name: string;
  role: string;
  date: string;
  note?: string;
}
/**
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "change".
 */
export interface Change {
  version: string;
  date: string;
  summary: string;
}
/**
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "defaultRoute".
 */
export interface DefaultRoute {
  /**
   * where the patient goes
   */
  pathway: 'physio' | 'gp' | 'community' | 'secondary';
  /**
   * emergency = same day; very-urgent = within 48 hours (2 working days); urgent = within 2 weeks; soon = within 6 weeks; routine. Order: emergency > very-urgent > urgent > soon > routine
   */
  urgency: 'emergency' | 'very-urgent' | 'urgent' | 'soon' | 'routine';
  /**
   * finer destination named by the winning rule, in kebab-case
   */
  service: string;
  reviewRequired: boolean;
  advice: string;
}
/**
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "rule".
 */
export interface Rule {
  /**
   * stable rule id, never reused for another meaning
   */
  id: string;
  title: string;
  rationale: string;
  /**
   * clinical sources of the rule; the checker warns when empty
   *
   * @maxItems 20
   */
  evidence: Evidence[];
  conditions: TopCondition;
  route: Route;
  advice: string;
  /**
   * when true, a decision won by this rule always needs a clinician's review
   */
  reviewRequired?: boolean;
}
export interface Evidence {
  citation: string;
  url?: string;
}
export interface Route {
  /**
   * where the patient goes
   */
  pathway: 'physio' | 'gp' | 'community' | 'secondary';
  /**
   * emergency = same day; very-urgent = within 48 hours (2 working days); urgent = within 2 weeks; soon = within 6 weeks; routine. Order: emergency > very-urgent > urgent > soon > routine
   */
  urgency: 'emergency' | 'very-urgent' | 'urgent' | 'soon' | 'routine';
  /**
   * finer destination named by the winning rule, in kebab-case
   */
  service: string;
}
