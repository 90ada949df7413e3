/* Generated from schemas/ruleset.schema.json by src/tools/generate-types.ts. Do not edit: run npm run types:generate. */

/**
 * the root of a rule's conditions: all, any or not
 *
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "topCondition".
 */
export type TopCondition = All | Any | Not;
/**
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "condition".
 */
export type Condition = All | Any | Not | Leaf;

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
   * emergency = same day; urgent = within 2 weeks; soon = within 6 weeks; routine
   */
  urgency: 'emergency' | 'urgent' | 'soon' | 'routine';
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
/**
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "all".
 */
export interface All {
  /**
   * @minItems 1
   * @maxItems 50
   */
  all: [Condition, ...Condition[]];
}
/**
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "any".
 */
export interface Any {
  /**
   * @minItems 1
   * @maxItems 50
   */
  any: [Condition, ...Condition[]];
}
/**
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "not".
 */
export interface Not {
  not: Condition;
}
/**
 * This interface was referenced by `RuleSet`'s JSON-Schema
 * via the `definition` "leaf".
 */
export interface Leaf {
  /**
   * a referral field as a dotted path (redFlags.saddleAnaesthesia) or a derived fact (age)
   */
  fact: string;
  operator:
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
   */
  value: boolean | number | string | [boolean | number | string, ...(boolean | number | string)[]];
}
export interface Route {
  /**
   * where the patient goes
   */
  pathway: 'physio' | 'gp' | 'community' | 'secondary';
  /**
   * emergency = same day; urgent = within 2 weeks; soon = within 6 weeks; routine
   */
  urgency: 'emergency' | 'urgent' | 'soon' | 'routine';
  /**
   * finer destination named by the winning rule, in kebab-case
   */
  service: string;
}
