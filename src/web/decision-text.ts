/**
 * A decision in words a GP reads: where the patient goes, how soon, the service, and its status. The
 * rules themselves in words (each that fired, what it looked at) are in rule-prose.ts.
 */
import type { Pathway, Urgency } from '../domain/route-order.js';

export const PATHWAY_TEXT: Readonly<Record<Pathway, string>> = {
  secondary: 'Secondary care (a hospital specialist)',
  community: 'The community MSK interface service',
  physio: 'Physiotherapy',
  gp: 'Back to the GP, with advice',
};

export const URGENCY_TEXT: Readonly<Record<Urgency, string>> = {
  emergency: 'Emergency: today',
  'very-urgent': 'Very urgent',
  urgent: 'Urgent',
  soon: 'Soon',
  routine: 'Routine',
};

export const STATUS_TEXT: Readonly<Record<string, string>> = {
  routed: 'Routed',
  'awaiting-review': 'Awaiting a clinician’s review',
  'awaiting-manual-triage': 'Awaiting manual triage',
  reviewed: 'Reviewed by a clinician',
};

/** What an event of a referral's audit trail was, in words; the code itself is kept beside it on the page. */
export const EVENT_TEXT: Readonly<Record<string, string>> = {
  'referral.submitted': 'Referral received',
  'referral.decided': 'Routed by the rules',
  'referral.evaluation-failed': 'The rules could not decide: sent to manual triage',
  'evaluation.disagreement': 'The rules’ two evaluations disagreed: sent to manual triage',
  'referral.reviewed': 'Route confirmed by a clinician',
  'referral.overridden': 'Route changed by a clinician',
  'referral.replayed': 'Decision replayed',
  'referral.found-by-search': 'Found by an NHS number search',
  'referral.read': 'Opened',
  'access.denied': 'Refused to someone not allowed to see it',
};

/** Words of a service's code that are written as initials (`hla` and `b27` are joined again: HLA-B27). */
const INITIALS: Readonly<Record<string, string>> = { msk: 'MSK', mscc: 'MSCC', gp: 'GP', pmr: 'PMR', mri: 'MRI', hla: 'HLA', b27: 'B27' };

/** "Physiotherapy" → "physiotherapy" inside a sentence; "MSK interface" and "GP HLA-B27 test" keep their initials. */
export const inSentence = (text: string): string => (/^[A-Z][a-z]/.test(text) ? text.charAt(0).toLowerCase() + text.slice(1) : text);

/** `emergency-spinal` → "Emergency spinal"; `gp-hla-b27-test` → "GP HLA-B27 test". */
export function serviceText(service: string | null | undefined): string {
  if (!service) return '';
  const text = service.split('-').map((word) => INITIALS[word] ?? word).join(' ').replace('HLA B27', 'HLA-B27');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An NHS number as it is written for a person to read: 943 476 5919. */
export const nhsNumberText = (nhsNumber: string): string => nhsNumber.replace(/^(\d{3})(\d{3})(\d{4})$/, '$1 $2 $3');

export function routeWords(route: { pathway: Pathway | null; urgency: Urgency | null; service?: string | null }) {
  return {
    pathway: route.pathway ? PATHWAY_TEXT[route.pathway] : 'No route yet',
    urgency: route.urgency ? URGENCY_TEXT[route.urgency] : 'Not decided',
    service: serviceText(route.service),
  };
}

const DAY = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'long', year: 'numeric' });
/** A calendar date as the NHS writes it: `1958-03-14` → "14 March 1958"; anything else as it is. */
export function dayText(value: unknown): string {
  const text = typeof value === 'string' ? value : '';
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) ? DAY.format(new Date(`${text}T00:00:00Z`)) : text;
}

/** A route as the simulation keys it (`physio / routine`) in words: "Physiotherapy, routine"; anything else as it is. */
export function routeKeyText(key: string): string {
  const [pathway, urgency, ...rest] = key.split(' / ');
  if (rest.length > 0 || !pathway || !urgency || !Object.hasOwn(PATHWAY_TEXT, pathway) || !Object.hasOwn(URGENCY_TEXT, urgency)) return key;
  return `${PATHWAY_TEXT[pathway as Pathway]}, ${inSentence(URGENCY_TEXT[urgency as Urgency])}`;
}
