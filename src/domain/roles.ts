/**
 * The roles a caller of the API can have: what each may do is the access policy's (src/auth/access-policy.ts).
 * An `operator` runs the service: its token reads GET /metrics and nothing else, no patient data.
 */
export const ROLES = ['gp', 'triage-clinician', 'clinical-lead', 'operator'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);
