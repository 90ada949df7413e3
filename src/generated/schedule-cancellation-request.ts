/* Generated from schemas/schedule-cancellation-request.schema.json by src/tools/generate-types.ts. Do not edit: run npm run types:generate. */

/**
 * A clinical lead's cancellation of a rule-set version's scheduled activation (POST …/cancel-schedule), with why. The lead who cancels is the authenticated caller, never a field.
 */
export interface ScheduleCancellationRequest {
  /**
   * why the scheduled activation is cancelled, recorded with the cancellation
   */
  reason: string;
}
