/**
 * Policy evaluation: a pure function from facts to a decision. No database, no HTTP, no clock
 * but the one handed in; the decision is data that the ledger records.
 */
import { policyRef, type LegalBasis, type PolicyRule, type PolicyVersion } from "./model.ts";

export type ReasonCode =
  | "no-policy"
  | "matter-not-allowed"
  | "requester-not-allowed"
  | "consent-required"
  | "consent-revoked"
  | "consent-expired"
  | "consent-exhausted"
  | "consent-scope"
  | "sensitive-needs-explicit-consent"
  | "field-not-disclosable";

export interface ConsentFacts {
  id: string;
  state: "active" | "revoked" | "expired" | "exhausted";
  /** `window-id` or `region:<code>`. */
  grantee: string;
  matters: string[];
  evidenceTypes: string[];
}

export interface DecisionInput {
  evidenceType: { type: string; sensitivity: "ordinary" | "sensitive"; fieldNames: string[]; defaultFields: string[] };
  /** Every policy version that governs this evidence type. */
  policies: PolicyVersion[];
  requester: { id: string; kind: string; region: string | null };
  matter: string;
  /** Fields the window asked for; undefined means the evidence type's default disclosure. */
  requestedFields: string[] | undefined;
  consent: ConsentFacts | undefined;
}

export interface Decision {
  permit: boolean;
  basis: LegalBasis | null;
  citation: string | null;
  /** Claims that may leave the gateway besides the verdict. Empty when denied. */
  fields: string[];
  /** Stable codes; on a permit they explain what was withheld. */
  reasons: ReasonCode[];
  policyVersion: string | null;
}

const matches = (rule: PolicyRule, matter: string) => rule.matters.includes("*") || rule.matters.includes(matter);

function requesterAllowed(rule: PolicyRule, r: DecisionInput["requester"]): boolean {
  if (r.kind !== "window") return false;
  const q = rule.requesters;
  if (!q) return true;
  if (q.members && !q.members.includes(r.id)) return false;
  if (q.regions && (!r.region || !q.regions.includes(r.region))) return false;
  return true;
}

/** Why a presented consent does not cover this item, or undefined when it does. */
function consentProblem(input: DecisionInput): ReasonCode | undefined {
  const c = input.consent;
  if (!c) return "consent-required";
  if (c.state === "revoked") return "consent-revoked";
  if (c.state === "expired") return "consent-expired";
  if (c.state === "exhausted") return "consent-exhausted";
  const granteeOk = c.grantee === input.requester.id || (input.requester.region !== null && c.grantee === `region:${input.requester.region}`);
  if (!granteeOk || !(c.matters.includes(input.matter) || c.matters.includes("*"))) return "consent-scope";
  const named = c.evidenceTypes.includes(input.evidenceType.type);
  // PIPL art. 28/29: a sensitive type needs a separate consent that names it; a wildcard does not count.
  if (!named && input.evidenceType.sensitivity === "sensitive") return "sensitive-needs-explicit-consent";
  if (!named && !c.evidenceTypes.includes("*")) return "consent-scope";
  return undefined;
}

const deny = (reason: ReasonCode, policyVersion: string | null = null): Decision => ({
  permit: false,
  basis: null,
  citation: null,
  fields: [],
  reasons: [reason],
  policyVersion,
});

/**
 * @example
 * evaluate({ evidenceType, policies, requester: { id: "nanguan-window-01", kind: "window", region: "220102" },
 *   matter: "220100-public-rental-housing", requestedFields: ["validUntil"], consent: undefined })
 * // → { permit: true, basis: "statutory", fields: ["validUntil"], reasons: [], ... }
 */
export function evaluate(input: DecisionInput): Decision {
  const governing = input.policies.filter((p) => p.document.evidenceType === input.evidenceType.type);
  if (governing.length === 0) return deny("no-policy");

  const candidates: { rule: PolicyRule; policy: PolicyVersion }[] = [];
  for (const policy of governing) for (const rule of policy.document.rules) if (matches(rule, input.matter)) candidates.push({ rule, policy });
  if (candidates.length === 0) return deny("matter-not-allowed", policyRef(governing[0]!));
  const allowed = candidates.filter((c) => requesterAllowed(c.rule, input.requester));
  if (allowed.length === 0) return deny("requester-not-allowed", policyRef(candidates[0]!.policy));

  // A statutory basis needs nothing from the person; otherwise the consent must cover the item.
  const statutory = allowed.find((c) => c.rule.basis === "statutory");
  let chosen = statutory;
  if (!chosen) {
    const problem = consentProblem(input);
    if (problem) return deny(problem, policyRef(allowed[0]!.policy));
    chosen = allowed[0]!;
  }

  const disclosable = new Set(chosen.rule.fields.filter((f) => input.evidenceType.fieldNames.includes(f)));
  const wanted = input.requestedFields ?? input.evidenceType.defaultFields;
  const fields = wanted.filter((f) => disclosable.has(f));
  const reasons: ReasonCode[] = fields.length < wanted.filter((f) => f !== "valid").length ? ["field-not-disclosable"] : [];
  return {
    permit: true,
    basis: chosen.rule.basis,
    citation: chosen.rule.citation ?? null,
    fields,
    reasons,
    policyVersion: policyRef(chosen.policy),
  };
}
