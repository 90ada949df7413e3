/* Generated from schemas/activation-request.schema.json by src/tools/generate-types.ts. Do not edit: run npm run types:generate. */

/**
 * A clinical lead's activation of a rule-set version (POST …/activate), with why. The lead who activates is the authenticated caller, never a field. Before the version's effectiveFrom it is scheduled for that day, unless overrideEffectiveFrom says why it cannot wait.
 */
export interface ActivationRequest {
  /**
   * why this version is activated, recorded with the activation
   */
  reason: string;
  /**
   * why the version cannot wait for its effectiveFrom: with it, a version whose effectiveFrom is a later day is activated now, and this is recorded with the activation; without it, the activation is scheduled for the start of that day (Europe/London)
   */
  overrideEffectiveFrom?: string;
}
