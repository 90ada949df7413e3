/**
 * A rule-level diff between two versions of a rule set, for a clinician to read: header changes,
 * rules added and removed, and for each changed rule what changed, condition by condition.
 */
import type { Condition, Rule, RuleSet } from '../generated/ruleset.js';
import { routeText } from '../domain/route-order.js';
import { canonicalJson } from './content-hash.js';

export interface Change {
  what: string;
  from?: string;
  to?: string;
}

export interface RuleSummary {
  id: string;
  title: string;
  route: string;
}

export interface RuleSetDiff {
  id: string;
  from: string;
  to: string;
  header: Change[];
  added: RuleSummary[];
  removed: RuleSummary[];
  changed: Array<{ id: string; title: string; changes: Change[] }>;
  orderChanged: boolean;
}

const OPERATOR_WORDS: Record<string, string> = {
  equal: 'is',
  notEqual: 'is not',
  lessThan: '<',
  lessThanInclusive: '≤',
  greaterThan: '>',
  greaterThanInclusive: '≥',
  in: 'is one of',
  notIn: 'is not one of',
  contains: 'includes',
  doesNotContain: 'does not include',
};

const show = (value: unknown) => (Array.isArray(value) ? value.map((v) => String(v)).join(', ') : String(value));

/** One condition in words: `history.nonSurgicalCareWeeks < 6`. */
export function describeLeaf(leaf: Condition): string {
  return `${String(leaf.fact)} ${OPERATOR_WORDS[String(leaf.operator)] ?? String(leaf.operator)} ${show(leaf.value)}`;
}

/** Every node of a condition tree by its position (`all[1]/any[0]`), in words. */
export function conditionLines(condition: Condition, at = '', describe: (leaf: Condition) => string = describeLeaf): Map<string, string> {
  const lines = new Map<string, string>();
  for (const kind of ['all', 'any'] as const) {
    condition[kind]?.forEach((child, i) => {
      for (const [key, text] of conditionLines(child, `${at}${at ? '/' : ''}${kind}[${i}]`, describe)) lines.set(key, text);
    });
  }
  if (condition.not) for (const [key, text] of conditionLines(condition.not, `${at}${at ? '/' : ''}not`, describe)) lines.set(key, text);
  if (condition.fact !== undefined) lines.set(at || '(root)', describe(condition));
  return lines;
}

const summary = (words: DiffWords) => (rule: Rule): RuleSummary => ({ id: rule.id, title: rule.title, route: words.route(rule.route) });
const same = (a: unknown, b: unknown) => canonicalJson(a ?? null) === canonicalJson(b ?? null);

/** How the diff puts a test and a route in words: the command line's own by default; the pages give their clinical prose. */
export interface DiffWords {
  leaf: (leaf: Condition) => string;
  route: (route: Rule['route']) => string;
}
const CLI_WORDS: DiffWords = { leaf: describeLeaf, route: routeText };

function ruleChanges(before: Rule, after: Rule, words: DiffWords): Change[] {
  const changes: Change[] = [];
  for (const field of ['title', 'rationale', 'advice'] as const) {
    if (before[field] !== after[field]) changes.push({ what: field, from: before[field], to: after[field] });
  }
  if (!same(before.route, after.route)) changes.push({ what: 'route', from: words.route(before.route), to: words.route(after.route) });
  if ((before.reviewRequired ?? false) !== (after.reviewRequired ?? false)) {
    changes.push({ what: 'review flag', from: String(before.reviewRequired ?? false), to: String(after.reviewRequired ?? false) });
  }
  const citations = (rule: Rule) => rule.evidence.map((e) => e.citation + (e.url ? ` <${e.url}>` : ''));
  for (const citation of citations(before).filter((c) => !citations(after).includes(c))) changes.push({ what: 'evidence removed', from: citation });
  for (const citation of citations(after).filter((c) => !citations(before).includes(c))) changes.push({ what: 'evidence added', to: citation });
  const [was, now] = [conditionLines(before.conditions, '', words.leaf), conditionLines(after.conditions, '', words.leaf)];
  for (const key of new Set([...was.keys(), ...now.keys()])) {
    const [from, to] = [was.get(key), now.get(key)];
    if (from === to) continue;
    changes.push({ what: `condition ${key}`, ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) });
  }
  return changes;
}

function headerChanges(from: RuleSet, to: RuleSet): Change[] {
  const changes: Change[] = [];
  for (const field of ['title', 'description', 'status', 'effectiveFrom'] as const) {
    if (from[field] !== to[field]) changes.push({ what: field, from: from[field], to: to[field] });
  }
  // How decisions are made and what is proved of them: a change here matters as much as a rule's.
  const procedure = (rs: RuleSet) => rs.decisionProcedure ?? '1 (not declared)';
  if (procedure(from) !== procedure(to)) changes.push({ what: 'decision procedure', from: procedure(from), to: procedure(to) });
  const invariants = (rs: RuleSet) => (rs.invariants ?? []).join(', ') || 'none';
  if (invariants(from) !== invariants(to)) changes.push({ what: 'invariants', from: invariants(from), to: invariants(to) });
  const people = (list: ReadonlyArray<{ name: string; role: string }>) => list.map((p) => `${p.name} (${p.role})`).join('; ') || 'none';
  if (!same(from.authors, to.authors)) changes.push({ what: 'authors', from: people(from.authors), to: people(to.authors) });
  if (!same(from.approvals, to.approvals)) changes.push({ what: 'approvals', from: people(from.approvals), to: people(to.approvals) });
  const logged = new Set(from.changeLog.map((c) => canonicalJson(c)));
  for (const entry of to.changeLog.filter((c) => !logged.has(canonicalJson(c)))) changes.push({ what: 'change log added', to: `${entry.version} (${entry.date}): ${entry.summary}` });
  const defaultText = (rs: RuleSet) => `${routeText(rs.defaultRoute)}, review ${rs.defaultRoute.reviewRequired ? 'required' : 'not required'}`;
  if (!same(from.defaultRoute, to.defaultRoute)) changes.push({ what: 'default route', from: defaultText(from), to: defaultText(to) });
  return changes;
}

export function diffRuleSets(from: RuleSet, to: RuleSet, words: DiffWords = CLI_WORDS): RuleSetDiff {
  const before = new Map(from.rules.map((rule) => [rule.id, rule]));
  const after = new Map(to.rules.map((rule) => [rule.id, rule]));
  const kept = to.rules.filter((rule) => before.has(rule.id)).map((rule) => rule.id);
  return {
    id: to.id,
    from: from.version,
    to: to.version,
    header: headerChanges(from, to),
    added: to.rules.filter((rule) => !before.has(rule.id)).map(summary(words)),
    removed: from.rules.filter((rule) => !after.has(rule.id)).map(summary(words)),
    changed: to.rules
      .filter((rule) => before.has(rule.id))
      .map((rule) => ({ id: rule.id, title: rule.title, changes: ruleChanges(before.get(rule.id) as Rule, rule, words) }))
      .filter((entry) => entry.changes.length > 0),
    orderChanged: kept.join() !== from.rules.filter((rule) => after.has(rule.id)).map((rule) => rule.id).join(),
  };
}

const line = (change: Change) =>
  change.from !== undefined && change.to !== undefined
    ? `${change.what}: ${change.from}  →  ${change.to}`
    : change.from !== undefined
      ? `${change.what}: − ${change.from}`
      : `${change.what}: + ${change.to ?? ''}`;

export function formatDiff(diff: RuleSetDiff): string {
  const out = [`${diff.id} ${diff.from} → ${diff.to}`, ''];
  out.push(`Header: ${diff.header.length === 0 ? 'unchanged' : ''}`, ...diff.header.map((c) => `  ${line(c)}`), '');
  out.push(`Rules added: ${diff.added.length}`, ...diff.added.map((r) => `  + ${r.id} ${r.title} (${r.route})`), '');
  out.push(`Rules removed: ${diff.removed.length}`, ...diff.removed.map((r) => `  − ${r.id} ${r.title} (${r.route})`), '');
  out.push(`Rules changed: ${diff.changed.length}`);
  for (const rule of diff.changed) out.push(`  ${rule.id} ${rule.title}`, ...rule.changes.map((c) => `    ${line(c)}`));
  if (diff.orderChanged) out.push('', 'The order of the rules changed (it breaks ties between rules with the same urgency and pathway).');
  return out.join('\n');
}
