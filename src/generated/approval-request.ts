/* Generated from schemas/approval-request.schema.json by src/tools/generate-types.ts. Do not edit: run npm run types:generate. */

/**
 * text a clinical lead signs with: 1 to 1000 characters, not only spaces (recorded without its leading and trailing spaces)
 *
 * This interface was referenced by `ApprovalRequest`'s JSON-Schema
 * via the `definition` "signedText".
 */
export type SignedText = string;

/**
 * A clinical lead's approval of a rule-set version's exact content (POST …/approvals). The approver is the authenticated caller, never a field; no body is the same as {}.
 */
export interface ApprovalRequest {
  /**
   * optional note, recorded with the approval
   */
  note?: string;
}
