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

/** `emergency-spinal` → "Emergency spinal". */
export const serviceText = (service: string | null | undefined): string => (service ? service.charAt(0).toUpperCase() + service.slice(1).replaceAll('-', ' ') : '');

export function routeWords(route: { pathway: Pathway | null; urgency: Urgency | null; service?: string | null }) {
  return {
    pathway: route.pathway ? PATHWAY_TEXT[route.pathway] : 'No route yet',
    urgency: route.urgency ? URGENCY_TEXT[route.urgency] : 'Not decided',
    service: serviceText(route.service),
  };
}
