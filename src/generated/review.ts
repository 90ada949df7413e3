/* Generated from schemas/review.schema.json by src/tools/generate-types.ts. Do not edit: run npm run types:generate. */

/**
 * A triage clinician's review of a referral's routing: confirm it, or override it with a new route and a reason.
 */
export interface Review {
  outcome: 'confirmed' | 'overridden';
  /**
   * where the patient goes
   */
  pathway?: 'physio' | 'gp' | 'community' | 'secondary';
  /**
   * emergency = same day; very-urgent = within 48 hours (2 working days); urgent = within 2 weeks; soon = within 6 weeks; routine. Order: emergency > very-urgent > urgent > soon > routine
   */
  urgency?: 'emergency' | 'very-urgent' | 'urgent' | 'soon' | 'routine';
  /**
   * finer destination named by the winning rule, in kebab-case
   */
  service?: string;
  /**
   * why the route was overridden (required to override); optional note when confirming
   */
  reason?: string;
  /**
   * to correct a review already made: the id of the referral's latest review, which this override corrects (with If-Match naming the current decision)
   */
  correctsReviewId?: string;
}
