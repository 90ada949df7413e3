/* Generated from schemas/simulation-request.schema.json by src/tools/generate-types.ts. Do not edit: run npm run types:generate. */

/**
 * What an impact simulation compares a rule-set version with (POST …/simulate): another loaded version, by default the active one. No body is the same as {}.
 */
export interface SimulationRequest {
  /**
   * the version to compare with (default: the active one), MAJOR.MINOR.PATCH
   */
  from?: string;
}
