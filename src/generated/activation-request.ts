/* Generated from schemas/activation-request.schema.json by src/tools/generate-types.ts. Do not edit: run npm run types:generate. */

/**
 * A clinical lead's activation of a rule-set version (POST …/activate), with why. The lead who activates is the authenticated caller, never a field.
 */
export interface ActivationRequest {
  /**
   * why this version is activated, recorded with the activation
   */
  reason: string;
}
