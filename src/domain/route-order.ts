/**
 * The coded values of a route, most urgent and highest acuity first. Their order is the policy's
 * (docs/msk-policy.md, "How one decision is reached", steps 2 and 3; very-urgent is new in contract 1.1 and changes no version 1 order); a test checks they list exactly the schema's enums.
 */
import type { Pathway, Urgency } from '../generated/decision.js';

export type { Pathway, Urgency };

export const URGENCIES = ['emergency', 'very-urgent', 'urgent', 'soon', 'routine'] as const satisfies readonly Urgency[];
export const PATHWAYS = ['secondary', 'community', 'physio', 'gp'] as const satisfies readonly Pathway[];

export const urgencyRank = (urgency: Urgency): number => URGENCIES.indexOf(urgency);
export const pathwayRank = (pathway: Pathway): number => PATHWAYS.indexOf(pathway);

/** A route as people read it everywhere (explanations, lint findings, diffs): "pathway / urgency / service"; without a service, "pathway / urgency". */
export const routeText = (route: { pathway: string; urgency: string; service?: string | null }): string =>
  route.service ? `${route.pathway} / ${route.urgency} / ${route.service}` : `${route.pathway} / ${route.urgency}`;
