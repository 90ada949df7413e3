/**
 * Rules in the words a clinician uses: "the patient is aged 16 or over", "the body site is the lumbar
 * spine", "there is saddle anaesthesia", never `complaint.bodySite is lumbar-spine`. Used for a rule
 * on a clinical lead's pages (a sentence when the rule is simple enough to read as one, else an
 * outline) and for a fired rule on every decision page (each test, whether it held, and what it saw).
 *
 * Each fact the shipped rules use has its words here; a fact without them (a rule set may use any
 * fact of the catalogue) falls back to its catalogue description, quoted, so nothing is ever hidden.
 * test/unit/rule-prose.test.ts fails if a shipped rule leaves a fact in its dotted name.
 */
import { FACTS_BY_NAME } from '../rules/fact-catalogue.js';
import type { DiffWords } from '../rules/rule-set-diff.js';
import { inSentence, PATHWAY_TEXT, serviceText, URGENCY_TEXT } from './decision-text.js';
import type { Pathway, Urgency } from '../domain/route-order.js';

/** A statement and its negation, so that `not` reads as English ("there is no history of cancer"). */
interface Both {
  yes: string;
  no: string;
}

/** True-or-false facts: what it means when the answer is yes, and when it is no. */
const FINDINGS: Readonly<Record<string, Both>> = {
  spinal: { yes: 'the problem is in the spine', no: 'the problem is not in the spine' },
  'redFlags.saddleAnaesthesia': { yes: 'there is saddle anaesthesia', no: 'there is no saddle anaesthesia' },
  'redFlags.bladderOrBowelDysfunction': { yes: 'there is new bladder or bowel dysfunction', no: 'there is no new bladder or bowel dysfunction' },
  'redFlags.bilateralLegSymptoms': { yes: 'there are new neurological symptoms in both legs', no: 'there are no new neurological symptoms in both legs' },
  'redFlags.progressiveNeurologicalDeficit': { yes: 'there is a progressive neurological deficit', no: 'there is no progressive neurological deficit' },
  'redFlags.historyOfCancer': { yes: 'there is a history of cancer', no: 'there is no history of cancer' },
  'redFlags.unexplainedWeightLoss': { yes: 'there is unexplained weight loss', no: 'there is no unexplained weight loss' },
  'redFlags.nightPain': { yes: 'there is non-mechanical pain at night', no: 'there is no non-mechanical pain at night' },
  'redFlags.feverOrSystemicallyUnwell': { yes: 'the patient has a fever or is systemically unwell', no: 'the patient has no fever and is not systemically unwell' },
  'redFlags.immunosuppressed': { yes: 'the patient is immunosuppressed', no: 'the patient is not immunosuppressed' },
  'redFlags.intravenousDrugUse': { yes: 'there is intravenous drug use', no: 'there is no intravenous drug use' },
  'redFlags.suspectedFracture': { yes: 'a fracture is suspected', no: 'no fracture is suspected' },
  'redFlags.hotSwollenJoint': { yes: 'there is a hot, swollen, tender joint', no: 'there is no hot, swollen, tender joint' },
  'redFlags.unreducedDislocation': { yes: 'there is an unreduced dislocation', no: 'there is no unreduced dislocation' },
  'redFlags.unexplainedMass': { yes: 'there is an unexplained lump or swelling', no: 'there is no unexplained lump or swelling' },
  'redFlags.giantCellArteritisSymptoms': { yes: 'there are symptoms of giant cell arteritis', no: 'there are no symptoms of giant cell arteritis' },
  'redFlags.sexualDysfunction': { yes: 'there is new sexual dysfunction', no: 'there is no new sexual dysfunction' },
  'findings.cannotAbductArm': { yes: 'the patient cannot raise the arm above 90°', no: 'the patient can raise the arm above 90°' },
  'findings.lockedKnee': { yes: 'the knee is locked', no: 'the knee is not locked' },
  'findings.thenarWasting': { yes: 'there is thenar wasting', no: 'there is no thenar wasting' },
  'findings.constantNumbness': { yes: 'there is constant numbness in the median nerve distribution', no: 'there is no constant numbness in the median nerve distribution' },
  'findings.unableToWeightBear': { yes: 'the patient is unable to weight-bear', no: 'the patient is able to weight-bear' },
  'findings.suspectedAchillesRupture': { yes: 'an Achilles tendon rupture is suspected', no: 'no Achilles tendon rupture is suspected' },
  'findings.recentReducedDislocation': { yes: 'the shoulder dislocated in the last 6 weeks and is now reduced', no: 'there is no recent, reduced shoulder dislocation' },
  'inflammatory.smallJointsHandsFeet': { yes: 'small joints of the hands or feet are swollen', no: 'no small joints of the hands or feet are swollen' },
  'startBack.legPain': { yes: 'the patient has leg pain', no: 'the patient has no leg pain' },
  'history.previousInjection': { yes: 'an injection has already been tried', no: 'no injection has been tried' },
  'history.wantsSurgicalOpinion': { yes: 'the patient would consider surgery and wants an opinion', no: 'the patient does not want a surgical opinion' },
};

/** Facts with a choice of values: the subject, its verbs, and the words for each value. */
interface Choice {
  subject: string;
  is: string;
  isNot: string;
  values: Readonly<Record<string, string>>;
}

const CHOICES: Readonly<Record<string, Choice>> = {
  'complaint.bodySite': {
    subject: 'the body site',
    is: 'is',
    isNot: 'is not',
    values: {
      'lumbar-spine': 'the lumbar spine', 'thoracic-spine': 'the thoracic spine', 'cervical-spine': 'the cervical spine', shoulder: 'the shoulder', elbow: 'the elbow',
      'wrist-hand': 'the wrist or hand', hip: 'the hip', knee: 'the knee', 'ankle-foot': 'the ankle or foot', 'multiple-joints': 'multiple joints',
    },
  },
  'complaint.onset': { subject: 'the current episode', is: 'began', isNot: 'did not begin', values: { injury: 'with an injury', sudden: 'suddenly', gradual: 'gradually' } },
  'complaint.side': { subject: 'the side affected', is: 'is', isNot: 'is not', values: { left: 'the left', right: 'the right', bilateral: 'both sides', 'not-applicable': 'not applicable' } },
  'patient.sex': { subject: "the patient's recorded sex", is: 'is', isNot: 'is not', values: { female: 'female', male: 'male', other: 'other', unknown: 'not known' } },
  'inflammatory.hlaB27': { subject: 'the HLA-B27 test', is: 'is', isNot: 'is not', values: { positive: 'positive', negative: 'negative', 'not-tested': 'not done' } },
  startBackRisk: { subject: 'the STarT Back risk', is: 'is', isNot: 'is not', values: { low: 'low', medium: 'medium', high: 'high', 'not-assessed': 'not assessed' } },
  'history.impactOnLife': { subject: 'the impact on quality of life, work and sleep', is: 'is', isNot: 'is not', values: { none: 'none', mild: 'mild', moderate: 'moderate', substantial: 'substantial' } },
  'startBack.bothersomeness': {
    subject: 'how bothersome the back pain has been',
    is: 'is',
    isNot: 'is not',
    values: { 'not-at-all': 'not at all', slightly: 'slightly', moderately: 'moderately', 'very-much': 'very much', extremely: 'extremely' },
  },
};

/** Facts that are numbers: the subject and its verb, and the unit; an age reads "aged 50 or over", "under 16". */
interface Amount {
  subject: string;
  verb: string;
  unit?: string;
  age?: boolean;
}

const AMOUNTS: Readonly<Record<string, Amount>> = {
  age: { subject: 'the patient', verb: 'is', age: true },
  ageAtOnset: { subject: 'the patient’s age when the problem began', verb: 'was', age: true },
  'complaint.durationWeeks': { subject: 'the current episode', verb: 'has lasted', unit: 'weeks' },
  'complaint.painScore': { subject: 'the pain score', verb: 'is', unit: 'out of 10' },
  'inflammatory.swollenJointCount': { subject: 'the number of swollen joints', verb: 'is' },
  'inflammatory.morningStiffnessMinutes': { subject: 'early-morning stiffness', verb: 'lasts', unit: 'minutes' },
  'history.nonSurgicalCareWeeks': { subject: 'non-surgical care tried so far', verb: 'has lasted', unit: 'weeks' },
  axialSpaFeatureCount: { subject: 'the number of features of axial spondyloarthritis', verb: 'is' },
  startBackTotal: { subject: 'the STarT Back total score', verb: 'is', unit: 'out of 9' },
  startBackPsychosocial: { subject: 'the STarT Back psychosocial score', verb: 'is', unit: 'out of 5' },
};

/** A comparison, and the one that is its negation, so that `not` flips it rather than saying "not". */
const FLIPPED: Readonly<Record<string, string>> = {
  greaterThanInclusive: 'lessThan',
  lessThan: 'greaterThanInclusive',
  greaterThan: 'lessThanInclusive',
  lessThanInclusive: 'greaterThan',
  equal: 'notEqual',
  notEqual: 'equal',
  in: 'notIn',
  notIn: 'in',
  contains: 'doesNotContain',
  doesNotContain: 'contains',
};

const listed = (items: readonly string[], joiner: 'and' | 'or'): string =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${joiner} ${items.at(-1) as string}`;

const numberText = (value: unknown): string => (typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(1) : String(value));

function amountText(amount: Amount, operator: string, value: unknown): string | undefined {
  const n = numberText(value);
  const unit = amount.unit ? ` ${amount.unit}` : '';
  const { subject, verb } = amount;
  const words: Record<string, string> = amount.age
    ? { greaterThanInclusive: `${verb} aged ${n} or over`, greaterThan: `${verb} over ${n}`, lessThan: `${verb} under ${n}`, lessThanInclusive: `${verb} aged ${n} or under`, equal: `${verb} aged ${n}`, notEqual: `${verb} not aged ${n}` }
    : { greaterThanInclusive: `${verb} ${n}${unit} or more`, greaterThan: `${verb} more than ${n}${unit}`, lessThan: `${verb} less than ${n}${unit}`, lessThanInclusive: `${verb} ${n}${unit} or less`, equal: `${verb} ${n}${unit}`, notEqual: `${verb} not ${n}${unit}` };
  return words[operator] === undefined ? undefined : `${subject} ${words[operator]}`;
}

function choiceText(choice: Choice, operator: string, value: unknown): string | undefined {
  const word = (v: unknown) => choice.values[String(v)] ?? String(v);
  const values = Array.isArray(value) ? value.map(word) : [word(value)];
  if (operator === 'equal' || operator === 'in') return `${choice.subject} ${choice.is} ${listed(values, 'or')}`;
  if (operator === 'notEqual' || operator === 'notIn') return `${choice.subject} ${choice.isNot} ${listed(values, 'or')}`;
  return undefined;
}

const description = (fact: string): string => FACTS_BY_NAME.get(fact)?.description || fact;

/** One test of a rule in words: what must hold, or (negated) what must not. */
export function leafText(leaf: { fact: string; operator: string; value: unknown }, negated = false): string {
  const operator = negated ? (FLIPPED[leaf.operator] ?? leaf.operator) : leaf.operator;
  const finding = FINDINGS[leaf.fact];
  if (finding && typeof leaf.value === 'boolean' && (operator === 'equal' || operator === 'notEqual')) {
    return (operator === 'equal') === leaf.value ? finding.yes : finding.no;
  }
  const amount = AMOUNTS[leaf.fact];
  const choice = CHOICES[leaf.fact];
  const known = (amount && amountText(amount, operator, leaf.value)) ?? (choice && choiceText(choice, operator, leaf.value));
  if (known) return known;
  // A fact without words of its own: its catalogue description, quoted, and the test as plainly as it can be put.
  const value = typeof leaf.value === 'boolean' ? (leaf.value ? 'yes' : 'no') : Array.isArray(leaf.value) ? listed(leaf.value.map(String), 'or') : String(leaf.value);
  const test: Record<string, string> = {
    equal: 'is', notEqual: 'is not', in: 'is', notIn: 'is not', greaterThanInclusive: 'is at least', greaterThan: 'is more than', lessThan: 'is less than', lessThanInclusive: 'is at most',
    contains: 'includes', doesNotContain: 'does not include',
  };
  return `“${description(leaf.fact)}” ${test[operator] ?? operator} ${value}`;
}

/** What a referral gave for a fact, in words: "yes", "63", "the lumbar spine", "not given". */
export function seenText(fact: string, value: unknown): string {
  if (value === undefined || value === null) return 'not given';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : listed(value.map((v) => seenText(fact, v)), 'and');
  if (typeof value === 'string') return CHOICES[fact]?.values[value] ?? value.replaceAll('-', ' ');
  if (typeof value !== 'number') return JSON.stringify(value);
  const unit = AMOUNTS[fact]?.unit;
  return `${numberText(value)}${unit && !unit.startsWith('out of') ? ` ${unit}` : ''}`;
}

type Leaf = { fact: string; operator: string; value: unknown };
export type RuleCondition = { all?: RuleCondition[]; any?: RuleCondition[]; not?: RuleCondition } & Partial<Leaf>;
/** A fired rule's condition, as json-rules-engine reports it: each node with whether it held, each test with the value it saw. */
export type ResultCondition = RuleCondition & { result?: boolean; factValue?: unknown; all?: ResultCondition[]; any?: ResultCondition[]; not?: ResultCondition };

const isLeaf = (node: RuleCondition): node is Leaf => node.fact !== undefined;

/** A test, or the negation of one: read as one statement. */
function statement(node: RuleCondition): string | undefined {
  if (isLeaf(node)) return leafText(node);
  if (node.not && isLeaf(node.not)) return leafText(node.not, true);
  return undefined;
}

export interface OutlineLine {
  depth: number;
  text: string;
}

/** A condition tree as an outline: "All of these:", "Any of these:", "None of these:", and each test in words. */
export function outline(node: RuleCondition, depth = 0): OutlineLine[] {
  const single = statement(node);
  if (single !== undefined) return [{ depth, text: single }];
  if (node.all) return [{ depth, text: 'All of these:' }, ...node.all.flatMap((child) => outline(child, depth + 1))];
  if (node.any) return [{ depth, text: 'Any of these:' }, ...node.any.flatMap((child) => outline(child, depth + 1))];
  const inner = node.not as RuleCondition;
  if (inner.any) return [{ depth, text: 'None of these:' }, ...inner.any.flatMap((child) => outline(child, depth + 1))];
  if (inner.all) return [{ depth, text: 'Not all of these:' }, ...inner.all.flatMap((child) => outline(child, depth + 1))];
  return [{ depth, text: 'Not this:' }, ...outline(inner, depth + 1)];
}

const AS_IF: Readonly<Record<string, string>> = {
  'All of these:': 'If all of these are true:',
  'Any of these:': 'If any of these is true:',
  'None of these:': 'If none of these is true:',
  'Not all of these:': 'If not all of these are true:',
  'Not this:': 'If this is not true:',
};

/** A rule's conditions as an outline that starts "If all of these are true:", for a rule too nested to read as one sentence. */
export function ruleOutline(node: RuleCondition): OutlineLine[] {
  const [first, ...rest] = outline(node);
  if (!first) return [];
  return [{ ...first, text: AS_IF[first.text] ?? `If ${first.text}` }, ...rest];
}

/**
 * The rule as one sentence when it reads as one: "If A, B and C", "If A or B". A rule with groups
 * inside groups has no sentence that is not ambiguous (an "or" inside an "and"), so it is read as its
 * outline instead: undefined here.
 */
export function conditionSentence(node: RuleCondition): string | undefined {
  const single = statement(node);
  if (single !== undefined) return `If ${single}`;
  const [children, joiner] = node.all ? [node.all, 'and' as const] : node.any ? [node.any, 'or' as const] : [undefined, 'and' as const];
  const parts = children?.map(statement);
  if (!parts || parts.length === 0 || parts.some((p) => p === undefined)) return undefined;
  return `If ${listed(parts as string[], joiner)}`;
}

/** Compare two versions in the version page's words (rule-set-diff.ts keeps the command line's own). */
export const DIFF_IN_PROSE: DiffWords = { leaf: (leaf) => leafText(leaf as Leaf), route: (route) => routeSentence(route) };

/** A route in words: "Physiotherapy, routine, physiotherapy psychologically informed". */
export function routeSentence(route: { pathway: Pathway; urgency: Urgency; service: string }, reviewRequired = false): string {
  const service = serviceText(route.service);
  return `${PATHWAY_TEXT[route.pathway]}, ${inSentence(URGENCY_TEXT[route.urgency])}${service ? `, ${inSentence(service)}` : ''}${reviewRequired ? ', with a clinician’s review' : ''}`;
}

export interface HeldLine extends OutlineLine {
  held: boolean;
  /** a group's line says of itself whether it held ("None of these was true:"); a test's is marked True or Not true */
  group: boolean;
  /** what this referral gave for the test's fact, when that is more than its yes or no */
  seen?: string;
}

function testLine(leaf: Leaf & { factValue?: unknown }, held: boolean, depth: number, negated: boolean): HeldLine {
  const seen = typeof leaf.factValue === 'boolean' ? undefined : seenText(leaf.fact, leaf.factValue);
  return { depth, held, group: false, text: leafText(leaf, negated), ...(seen === undefined ? {} : { seen }) };
}

const groupLine = (depth: number, held: boolean, text: string): HeldLine => ({ depth, held, group: true, text });

/** A fired rule's condition as an outline that says, of each part, whether it held, and of each test what this referral gave. */
export function heldLines(node: ResultCondition, depth = 0): HeldLine[] {
  const held = node.result === true;
  if (isLeaf(node)) return [testLine(node, held, depth, false)];
  const inner = node.not;
  if (inner && isLeaf(inner)) return [testLine(inner, held, depth, true)];
  const children = (nodes: ResultCondition[]) => nodes.flatMap((child) => heldLines(child, depth + 1));
  if (node.all) return [groupLine(depth, held, held ? 'All of these were true:' : 'Not all of these were true:'), ...children(node.all)];
  if (node.any) return [groupLine(depth, held, held ? 'At least one of these was true:' : 'None of these was true:'), ...children(node.any)];
  const group = inner as ResultCondition;
  // Under a "not", each part is still read as itself, marked with whether that part was true.
  if (group.any) return [groupLine(depth, held, held ? 'None of these was true:' : 'At least one of these was true:'), ...children(group.any)];
  if (group.all) return [groupLine(depth, held, held ? 'Not all of these were true:' : 'All of these were true:'), ...children(group.all)];
  return [groupLine(depth, held, held ? 'This was not true:' : 'This was true:'), ...heldLines(group, depth + 1)];
}

interface FiredRule {
  id: string;
  title: string;
  advice: string;
  reviewRequired?: boolean;
  route: { pathway: Pathway; urgency: Urgency; service: string };
  evidence: ReadonlyArray<{ citation: string }>;
  conditions?: unknown;
}

/**
 * Each rule that fired, as every decision page shows it (fired-rules.njk): its title, whether it is
 * the one that decides, its route and advice in words, what it tested and what this referral gave,
 * and its evidence.
 */
export function firedRuleRows(rules: readonly FiredRule[] | undefined, winningRule: string | null | undefined) {
  return (rules ?? []).map((rule) => ({
    id: rule.id,
    title: rule.title,
    advice: rule.advice,
    evidence: rule.evidence,
    decides: rule.id === winningRule,
    routeText: routeSentence(rule.route, rule.reviewRequired ?? false),
    lines: rule.conditions ? heldLines(rule.conditions as ResultCondition) : [],
  }));
}
