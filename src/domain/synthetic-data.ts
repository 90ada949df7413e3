/**
 * Synthetic referrals (stored by `msk-triage referrals generate`, never a real patient's) stay out
 * of clinical work: whatever reads stored referrals in bulk (the review queue, impact simulation,
 * replay of them all) takes the real ones only, unless it is asked for the synthetic ones too
 * (`include`) or for them alone (`only`). One referral asked for by its id is answered whatever it is.
 */
import type { Issue } from './error-catalogue.js';

export const SYNTHETIC_SELECTIONS = ['exclude', 'include', 'only'] as const;
export type SyntheticSelection = (typeof SYNTHETIC_SELECTIONS)[number];

export const isSyntheticSelection = (value: unknown): value is SyntheticSelection => SYNTHETIC_SELECTIONS.includes(value as SyntheticSelection);

/** `?synthetic=` as a query gives it: absent is `exclude`; anything else not listed (twice, say) is an issue. */
export function syntheticSelectionOf(value: unknown, issues: Issue[]): SyntheticSelection {
  if (value === undefined) return 'exclude';
  if (isSyntheticSelection(value)) return value;
  issues.push({ path: '/synthetic', message: `must be given once, as one of: ${SYNTHETIC_SELECTIONS.join(', ')} (exclude when absent)` });
  return 'exclude';
}
