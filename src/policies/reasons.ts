/**
 * Decision reason codes: stable strings that appear in verification results (`reason`), ledger
 * entries (`reasons`) and dry runs. Never renamed; new ones may be added. docs/policies.md has
 * the administrator's table; `explainReason` is the same text for the dry run.
 */
export const REASON_CODES = [
  "no-policy",
  "matter-not-allowed",
  "requester-not-allowed",
  "region-not-recognised",
  "outside-service-hours",
  "quota-exceeded",
  "consent-required",
  "consent-scope",
  "sensitive-needs-explicit-consent",
  "consent-revoked",
  "consent-expired",
  "consent-not-yet-valid",
  "consent-exhausted",
  "field-not-disclosable",
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

const TEXT: Record<ReasonCode, string> = {
  "no-policy": "no policy governs this evidence type, so nothing is disclosed (deny by default)",
  "matter-not-allowed": "the policies for this evidence type allow no rule for this matter",
  "requester-not-allowed": "a rule covers the matter, but not this requester (its member id or region is not listed)",
  "region-not-recognised": "the certificate is issued outside the window's area and no agreement in policy recognises it there",
  "outside-service-hours": "the policy allows checks only during its service hours (China Standard Time)",
  "quota-exceeded": "the window or operator has used this hour's quota for this evidence type",
  "consent-required": "the only basis for this matter is the person's consent, and no valid consent was presented",
  "consent-scope": "the consent does not cover this window, matter or evidence type",
  "sensitive-needs-explicit-consent": "the evidence type is sensitive (PIPL art. 28): only a separate consent naming it counts, not a wildcard",
  "consent-revoked": "the consent was revoked",
  "consent-expired": "the consent has expired",
  "consent-not-yet-valid": "the consent is not valid yet (nbf is in the future)",
  "consent-exhausted": "the consent's maxUses have all been used",
  "field-not-disclosable": "some requested fields may not be disclosed for this matter and were withheld; the rest was answered",
};

/** @example explainReason("consent-expired") // "the consent has expired" */
export const explainReason = (code: ReasonCode): string => TEXT[code];
