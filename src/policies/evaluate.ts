/**
 * Policy evaluation: a pure function from facts to a decision. No database, no HTTP, no clock
 * but the one handed in; the decision is data that the ledger records.
 *
 * Several documents may govern one evidence type (a per-type document and a department's).
 * Grants combine, restrictions stack: any governing rule may permit, every governing
 * restriction (service hours, quotas, sensitivity) applies, and any governing agreement
 * recognises a region.
 */
import { policyRef, policySections, type LegalBasis, type PolicyRule, type PolicySection, type PolicyVersion } from "./model.ts";
import { isHomeRegion, regionContains, regionListCovers } from "./regions.ts";
import { withinServiceHours } from "./clock.ts";
import type { ReasonCode } from "./reasons.ts";

export type { ReasonCode };

export interface ConsentFacts {
  id: string;
  state: "active" | "revoked" | "expired" | "exhausted";
  /** `window-id` or `region:<code>` (a region stands for everything in it). */
  grantee: string;
  matters: string[];
  evidenceTypes: string[];
  /** The consent's `nbf`; absent means valid already. */
  notBefore?: Date | undefined;
}

export interface DecisionInput {
  evidenceType: { type: string; sensitivity: "ordinary" | "sensitive"; fieldNames: string[]; defaultFields: string[] };
  /** Every policy version that governs this evidence type (others are ignored). */
  policies: PolicyVersion[];
  requester: { id: string; kind: string; region: string | null; uid?: string | undefined };
  matter: string;
  /** Fields the window asked for; undefined means the evidence type's default disclosure. */
  requestedFields: string[] | undefined;
  consent: ConsentFacts | undefined;
  /** The clock for service hours and consent validity. */
  now: Date;
  /** Region of the department that would answer; undefined when unknown (then not checked). */
  issuerRegion?: string | undefined;
  /** Permitted lookups of this evidence type in the current hour, by this window and this operator. */
  usage?: { window: number; operator: number } | undefined;
}

/** Hourly limits that apply to a decision; null means none. */
export interface QuotaLimits {
  perWindowPerHour: number | null;
  perOperatorPerHour: number | null;
}

export interface Decision {
  permit: boolean;
  basis: LegalBasis | null;
  citation: string | null;
  /** Claims that may leave the gateway besides the verdict. Empty when denied. */
  fields: string[];
  /** Stable codes; on a denial every failed check in order, on a permit what was withheld. */
  reasons: ReasonCode[];
  /** `id@version` of the policy whose rule or restriction decided. */
  policyVersion: string | null;
  /** The agreement that recognises a cross-region certificate, when one was needed. */
  agreement: string | null;
  /** What the caller must take (atomically) before asking the department. */
  quotas: QuotaLimits;
}

interface Governing {
  policy: PolicyVersion;
  section: PolicySection;
}
interface Candidate extends Governing {
  rule: PolicyRule;
  explicit: boolean;
}

const NO_QUOTAS: QuotaLimits = { perWindowPerHour: null, perOperatorPerHour: null };
const matterMatches = (patterns: string[], matter: string) => patterns.includes(matter) || patterns.includes("*");
const grantsEntry = (list: string[], value: string) => list.includes(value) || list.includes("*");

function governing(input: DecisionInput): Governing[] {
  const out: Governing[] = [];
  // Sorted so that the rule chosen among equals, and the version recorded, never depend on row order.
  for (const policy of [...input.policies].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    for (const s of policySections(policy.document)) if (s.evidenceType === input.evidenceType.type) out.push({ policy, section: s.section });
  }
  return out;
}

function requesterAllowed(rule: PolicyRule, r: DecisionInput["requester"]): boolean {
  if (r.kind !== "window") return false;
  const q = rule.requesters;
  if (!q) return true;
  if (q.members && !q.members.includes(r.id)) return false;
  if (q.regions && (!r.region || !regionListCovers(q.regions, r.region))) return false;
  return true;
}

/** Whether the issuing region is recognised for this window; the agreement when one was needed. */
function recognition(gov: Governing[], input: DecisionInput): { ok: boolean; agreement: string | null } {
  const a = input.requester.region;
  const b = input.issuerRegion;
  if (b === undefined) return { ok: true, agreement: null };
  if (a !== null && isHomeRegion(a, b)) return { ok: true, agreement: null };
  for (const { section } of gov) {
    for (const ag of section.agreements ?? []) {
      if (a !== null && regionListCovers(ag.requesterRegions, a) && regionListCovers(ag.issuerRegions, b) && (!ag.matters || matterMatches(ag.matters, input.matter))) {
        return { ok: true, agreement: ag.citation };
      }
    }
  }
  return { ok: false, agreement: null };
}

function quotaLimits(gov: Governing[]): QuotaLimits {
  const min = (a: number | null, b: number | undefined) => (b === undefined ? a : a === null ? b : Math.min(a, b));
  return gov.reduce<QuotaLimits>(
    (acc, { section: s }) => ({ perWindowPerHour: min(acc.perWindowPerHour, s.quotas?.perWindowPerHour), perOperatorPerHour: min(acc.perOperatorPerHour, s.quotas?.perOperatorPerHour) }),
    NO_QUOTAS,
  );
}

/**
 * Why a presented consent does not cover this item, or undefined when it does. Scope comes
 * before state, so a window learns nothing about a consent that was never meant for it.
 */
export function consentProblem(input: DecisionInput, sensitive: boolean): ReasonCode | undefined {
  const c = input.consent;
  if (!c) return "consent-required";
  const r = input.requester;
  const grantee = c.grantee === r.id || (c.grantee.startsWith("region:") && r.region !== null && regionContains(c.grantee.slice(7), r.region));
  if (!grantee || !grantsEntry(c.matters, input.matter)) return "consent-scope";
  const named = c.evidenceTypes.includes(input.evidenceType.type);
  // PIPL art. 28/29: a sensitive type needs a separate consent that names it; a wildcard does not count.
  if (!named && sensitive) return "sensitive-needs-explicit-consent";
  if (!named && !c.evidenceTypes.includes("*")) return "consent-scope";
  if (c.state === "revoked") return "consent-revoked";
  if (c.state === "expired") return "consent-expired";
  if (c.notBefore && input.now < c.notBefore) return "consent-not-yet-valid";
  if (c.state === "exhausted") return "consent-exhausted";
  return undefined;
}

/** A denial: no basis, no fields. */
export const denial = (reasons: ReasonCode[], policyVersion: string | null = null): Decision => ({
  permit: false,
  basis: null,
  citation: null,
  fields: [],
  reasons,
  policyVersion,
  agreement: null,
  quotas: NO_QUOTAS,
});

/**
 * @example
 * evaluate({ evidenceType, policies, requester: { id: "nanguan-window-01", kind: "window", region: "220102", uid: "clerk-7" },
 *   matter: "220100-public-rental-housing", requestedFields: ["validUntil"], consent: undefined, now: new Date() })
 * // → { permit: true, basis: "statutory", fields: ["validUntil"], reasons: [], policyVersion: "dibao@1", ... }
 */
export function evaluate(input: DecisionInput): Decision {
  const gov = governing(input);
  if (gov.length === 0) return denial(["no-policy"]);

  const candidates: Candidate[] = [];
  for (const g of gov) for (const rule of g.section.rules) if (matterMatches(rule.matters, input.matter)) candidates.push({ ...g, rule, explicit: rule.matters.includes(input.matter) });
  if (candidates.length === 0) return denial(["matter-not-allowed"], policyRef(gov[0]!.policy));
  // A rule that names the matter is more specific than a wildcard one (stable sort keeps the rest in order).
  const allowed = candidates.filter((c) => requesterAllowed(c.rule, input.requester)).sort((x, y) => Number(y.explicit) - Number(x.explicit));
  if (allowed.length === 0) return denial(["requester-not-allowed"], policyRef(candidates[0]!.policy));

  // Every restriction is checked, so a denial lists all that failed (the first is the one shown).
  const failed: { reason: ReasonCode; policy: PolicyVersion }[] = [];
  const region = recognition(gov, input);
  if (!region.ok) failed.push({ reason: "region-not-recognised", policy: gov[0]!.policy });
  const closed = gov.find((g) => g.section.serviceHours && !withinServiceHours(input.now, g.section.serviceHours));
  if (closed) failed.push({ reason: "outside-service-hours", policy: closed.policy });
  const quotas = quotaLimits(gov);
  const usage = input.usage ?? { window: 0, operator: 0 };
  if ((quotas.perWindowPerHour !== null && usage.window >= quotas.perWindowPerHour) || (quotas.perOperatorPerHour !== null && usage.operator >= quotas.perOperatorPerHour)) {
    const limiting = gov.find((g) => g.section.quotas && ((g.section.quotas.perWindowPerHour ?? Infinity) <= usage.window || (g.section.quotas.perOperatorPerHour ?? Infinity) <= usage.operator));
    failed.push({ reason: "quota-exceeded", policy: (limiting ?? gov[0]!).policy });
  }

  // A statutory basis needs nothing from the person; otherwise the consent must cover the item.
  let chosen = allowed.find((c) => c.rule.basis === "statutory");
  if (!chosen) {
    const sensitive = input.evidenceType.sensitivity === "sensitive" || gov.some((g) => g.section.sensitive === true);
    const problem = consentProblem(input, sensitive);
    if (problem) failed.push({ reason: problem, policy: allowed[0]!.policy });
    else chosen = allowed[0]!;
  }
  if (failed.length > 0 || !chosen) return denial(failed.map((f) => f.reason), policyRef(failed[0]!.policy));

  const disclosable = new Set(chosen.rule.fields.filter((f) => input.evidenceType.fieldNames.includes(f)));
  const wanted = [...new Set(input.requestedFields ?? input.evidenceType.defaultFields)].filter((f) => f !== "valid" && f !== "certStatus");
  const fields = wanted.filter((f) => disclosable.has(f));
  return {
    permit: true,
    basis: chosen.rule.basis,
    citation: chosen.rule.citation ?? null,
    fields,
    reasons: fields.length < wanted.length ? ["field-not-disclosable"] : [],
    policyVersion: policyRef(chosen.policy),
    agreement: region.agreement,
    quotas,
  };
}
