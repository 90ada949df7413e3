/**
 * The New referral form, made from the referral contract itself (schemas/referral.schema.json): one
 * fieldset per group of the contract, in its order, each field as its type asks (a yes/no question
 * for a true-or-false item, radios for a choice, a number, text, boxes to tick for a list). Only the
 * words a person reads are written here; which fields exist, which are required and what each may
 * hold come from the schema, so the form never drifts from the contract.
 *
 * Read back, an unanswered question is left out, never taken as "no": the contract's validation then
 * names it (a red flag is required; an optional examination finding left out means not found).
 */
import type { Issue } from '../domain/error-catalogue.js';
import type { Referral } from '../generated/referral.js';
import { dayText } from './decision-text.js';
import { issuesFrom } from '../schemas/schema-issues.js';
import { schemaDocument, validateReferral } from '../schemas/schema-registry.js';

export type FieldKind = 'yes-no' | 'choice' | 'whole-number' | 'number' | 'text' | 'textarea' | 'checkboxes';

export interface FormField {
  /** the form's field name: the dotted path, `redFlags.saddleAnaesthesia` */
  name: string;
  /** its JSON Pointer in the referral, as the contract's issues name it */
  pointer: string;
  /** the HTML id of its (first) input, for the error summary's links */
  id: string;
  label: string;
  hint?: string;
  kind: FieldKind;
  options: Array<{ value: string; text: string }>;
  required: boolean;
}

export interface FormGroup {
  key: string;
  pointer: string;
  heading: string;
  hint?: string;
  required: boolean;
  fields: FormField[];
}

interface SchemaNode {
  type?: string;
  enum?: string[];
  items?: { enum?: string[] };
  description?: string;
  maxLength?: number;
  required?: string[];
  properties?: Record<string, SchemaNode>;
}

const HEADINGS: Record<string, { heading: string; hint?: string }> = {
  patient: { heading: 'Patient' },
  referrer: { heading: 'Referrer' },
  complaint: { heading: 'The problem' },
  redFlags: { heading: 'Red flags', hint: 'Answer every question: an unanswered red flag is never taken as no.' },
  findings: { heading: 'Examination findings', hint: 'Optional. A finding not answered is taken as not found.' },
  inflammatory: { heading: 'Inflammatory features', hint: 'Optional.' },
  startBack: { heading: 'Keele STarT Back questions: for lower back pain only', hint: 'For a lower back (lumbar spine) referral, answer every question, thinking about the last 2 weeks. Leave them for any other body site.' },
  history: { heading: 'History' },
  other: { heading: 'Other details', hint: 'Optional.' },
};

/** Words a person reads, where the contract's own description is not a question or a label. */
const LABELS: Record<string, string> = {
  externalReference: "Your system's reference for this referral",
  'patient.nhsNumber': 'NHS number',
  'patient.dateOfBirth': 'Date of birth',
  'patient.sex': 'Sex',
  'referrer.odsCode': 'Practice ODS code',
  'referrer.clinicianName': 'Referring clinician',
  'complaint.bodySite': 'Main site of the problem',
  'complaint.side': 'Side of the body affected',
  'complaint.durationWeeks': 'How many weeks has the current episode lasted?',
  'complaint.onset': 'How did the current episode begin?',
  'complaint.painScore': 'Pain score, 0 to 10, at its worst in the last week',
  'inflammatory.swollenJointCount': 'Number of clinically swollen joints',
  'inflammatory.morningStiffnessMinutes': 'Early-morning stiffness, in minutes',
  'inflammatory.axialSpaFeatures': 'Features of axial spondyloarthritis',
  'inflammatory.hlaB27': 'HLA-B27 test result',
  'startBack.bothersomeness': 'How bothersome has the back pain been in the last 2 weeks?',
  // Items the contract added in 1.1, whose descriptions say so for developers: the question alone here.
  'redFlags.sexualDysfunction': 'New sexual dysfunction, such as new erectile or ejaculatory dysfunction or loss of genital sensation',
  'findings.suspectedAchillesRupture': 'Suspected Achilles tendon rupture: a positive calf-squeeze (Simmonds) test or a palpable gap',
  'findings.recentReducedDislocation': 'A shoulder dislocation in the last 6 weeks, now reduced',
  'history.nonSurgicalCareWeeks': 'Weeks of physiotherapy, exercise therapy or other non-surgical care already tried',
  'history.impactOnLife': 'Impact on quality of life, work and sleep',
  bmi: 'Body mass index (BMI)',
  smoker: 'Does the patient smoke?',
  notes: 'Notes',
};

const HINTS: Record<string, string> = {
  'patient.nhsNumber': '10 digits, for example 943 476 5919',
  'patient.dateOfBirth': 'As year-month-day, for example 1958-03-14',
  bmi: 'Recorded only: the rules never route on it.',
  smoker: 'Recorded only: the rules never route on it.',
  notes: 'Never read by the rules.',
};

const OPTION_TEXT: Record<string, string> = {
  'wrist-hand': 'Wrist or hand',
  'ankle-foot': 'Ankle or foot',
  unknown: 'Not known',
  'not-applicable': 'Not applicable',
  'very-much': 'Very much',
  'not-at-all': 'Not at all',
  'improves-with-nsaids-within-48h': 'Improves with NSAIDs within 48 hours',
  'first-degree-relative-with-spa': 'First-degree relative with spondyloarthritis',
  'arthritis-enthesitis-or-psoriasis': 'Arthritis, enthesitis or psoriasis (older wording)',
  'onset-before-35': 'Onset before the age of 35',
};

const sentence = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
const optionText = (value: string): string => OPTION_TEXT[value] ?? sentence(value.replaceAll('-', ' '));

function kindOf(node: SchemaNode): FieldKind {
  if (node.type === 'boolean') return 'yes-no';
  if (node.type === 'array') return 'checkboxes';
  if (node.enum) return 'choice';
  if (node.type === 'integer') return 'whole-number';
  if (node.type === 'number') return 'number';
  return (node.maxLength ?? 0) > 200 ? 'textarea' : 'text';
}

function field(path: string[], node: SchemaNode, required: boolean): FormField {
  const name = path.join('.');
  const kind = kindOf(node);
  const label = LABELS[name] ?? sentence(node.description ?? path.at(-1) ?? name);
  const optional = !required;
  const values = kind === 'yes-no' ? ['yes', 'no'] : (node.enum ?? node.items?.enum ?? []);
  const hint = HINTS[name];
  return {
    name,
    pointer: '/' + path.join('/'),
    id: path.join('-'),
    label: optional && kind !== 'yes-no' && !label.endsWith('?') ? `${label} (optional)` : label,
    ...(hint ? { hint } : {}),
    kind,
    options: values.map((value) => ({ value, text: kind === 'yes-no' ? sentence(value) : optionText(value) })),
    required,
  };
}

/** The contract's groups and their fields, in the contract's order; its loose top-level items last, as "Other details". */
export function referralFormGroups(): FormGroup[] {
  const schema = schemaDocument('referral.schema.json') as SchemaNode;
  const groups: FormGroup[] = [];
  const loose: FormField[] = [];
  const requiredGroups = new Set(schema.required ?? []);
  for (const [key, node] of Object.entries(schema.properties ?? {})) {
    if (node.type !== 'object') {
      loose.push(field([key], node, requiredGroups.has(key)));
      continue;
    }
    const required = new Set(node.required ?? []);
    groups.push({
      key,
      pointer: `/${key}`,
      ...(HEADINGS[key] ?? { heading: sentence(key) }),
      required: requiredGroups.has(key),
      fields: Object.entries(node.properties ?? {}).map(([name, child]) => field([key, name], child, required.has(name))),
    });
  }
  groups.push({ key: 'other', pointer: '', ...HEADINGS.other!, required: false, fields: loose });
  return groups;
}

export type FormValues = Record<string, string | string[] | undefined>;

function valueOf(f: FormField, raw: string | string[] | undefined): unknown {
  if (raw === undefined) return undefined;
  if (f.kind === 'checkboxes') {
    const list = (Array.isArray(raw) ? raw : [raw]).filter((v) => v !== '');
    return list.length > 0 ? list : undefined;
  }
  // Given twice (a forged form): passed on as a list, which the contract refuses; never one of the two.
  if (Array.isArray(raw)) return raw;
  const text = f.kind === 'textarea' ? raw : raw.trim();
  if (text === '') return undefined;
  if (f.kind === 'yes-no') return text === 'yes' ? true : text === 'no' ? false : text;
  if (f.kind === 'whole-number' && /^-?\d{1,9}$/.test(text)) return Number(text);
  if (f.kind === 'number' && /^-?\d{1,9}(\.\d{1,6})?$/.test(text)) return Number(text);
  if (f.name === 'patient.nhsNumber') return text.replace(/[\s-]/g, '');
  return text;
}

/**
 * The referral a submitted form stands for, to be validated by the contract like any other. An
 * optional group with nothing answered is left out; the STarT Back group is kept for a lumbar
 * referral even when empty, so that each of its unanswered questions is named.
 */
export function referralFromForm(groups: readonly FormGroup[], body: FormValues): Record<string, unknown> {
  const referral: Record<string, unknown> = {};
  const lumbar = body['complaint.bodySite'] === 'lumbar-spine';
  for (const group of groups) {
    const values: Record<string, unknown> = {};
    for (const f of group.fields) {
      const value = valueOf(f, body[f.name]);
      if (value !== undefined) values[f.pointer.split('/').at(-1) as string] = value;
    }
    if (group.key === 'other') Object.assign(referral, values);
    else if (group.required || Object.keys(values).length > 0 || (group.key === 'startBack' && lumbar)) referral[group.key] = values;
  }
  return referral;
}

export interface FieldError {
  href: string;
  text: string;
}

/**
 * The red flags the contract lets a referral leave out (1.1's redFlags.sexualDysfunction: absent
 * means "not asked", taken as no) but this form always asks: a person who leaves one unanswered on
 * the page is told, as for any red flag, never taken as a silent "no". In the API's words.
 */
function unansweredRedFlags(groups: readonly FormGroup[], body: FormValues): Issue[] {
  const redFlags = groups.find((g) => g.key === 'redFlags')?.fields ?? [];
  return redFlags.filter((f) => !f.required && valueOf(f, body[f.name]) === undefined).map((f) => ({ path: f.pointer, message: 'is required' }));
}

/** The contract's issues with the form's own (unansweredRedFlags) among them, each where its field is in the form. */
function withFormIssues(groups: readonly FormGroup[], issues: readonly Issue[], asked: readonly Issue[]): Issue[] {
  const order = groups.flatMap((g) => g.fields.map((f) => f.pointer));
  const at = (issue: Issue) => {
    const index = order.findIndex((pointer) => issue.path === pointer || issue.path.startsWith(`${pointer}/`));
    return index === -1 ? order.length : index;
  };
  const merged = [...issues];
  for (const issue of asked) {
    const before = merged.findIndex((other) => at(other) > at(issue));
    merged.splice(before === -1 ? merged.length : before, 0, issue);
  }
  return merged;
}

/** A submitted form read: the referral it stands for, or what is wrong with it. */
export type FormReading = { ok: true; referral: Referral } | { ok: false; problems: Issue[] };

/**
 * A submitted form as a referral, checked: the contract's validation, and the form's own rule that
 * every red flag is asked. Its problems are in the form's order.
 */
export function readReferralForm(groups: readonly FormGroup[], body: FormValues): FormReading {
  const referral = referralFromForm(groups, body);
  const asked = unansweredRedFlags(groups, body);
  if (validateReferral(referral) && asked.length === 0) return { ok: true, referral };
  return { ok: false, problems: withFormIssues(groups, issuesFrom(validateReferral.errors), asked) };
}

/** Each issue of the contract, linked to its field, with the API's own message after the field's label. */
export function fieldErrors(groups: readonly FormGroup[], issues: readonly Issue[]): { summary: FieldError[]; byField: Record<string, string> } {
  const fields = groups.flatMap((g) => g.fields);
  const summary: FieldError[] = [];
  const byField: Record<string, string> = {};
  for (const issue of issues) {
    const f = fields.find((x) => issue.path === x.pointer || issue.path.startsWith(`${x.pointer}/`));
    const group = f ? undefined : groups.find((g) => g.pointer !== '' && issue.path === g.pointer);
    const target = f ?? group?.fields[0];
    const label = f?.label ?? group?.heading ?? 'The referral';
    const text = `${label.replace(/ \(optional\)$/, '')}: ${issue.message}`;
    summary.push({ href: target ? `#${target.id}` : '#referral-form', text });
    if (target && !(target.name in byField)) byField[target.name] = text;
  }
  return { summary, byField };
}

/** An answer as the form's words give it, for the referral as submitted: "Yes", "Wrist or hand", "Lumbar spine", never a code. */
export function answerText(field: Pick<FormField, 'kind' | 'options'>, value: unknown): string {
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return dayText(value);
  const option = (v: unknown) => field.options.find((o) => o.value === v)?.text ?? (typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v));
  if (field.kind === 'yes-no') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) return value.length === 0 ? 'None' : value.map(option).join(', ');
  return option(value);
}
