/**
 * Policy documents: per evidence type, which matters may ask, on which legal basis, which claims
 * may be disclosed beyond the verdict, and the restrictions around that (sensitivity, cross-region
 * agreements, quotas, service hours). Deny by default: no policy, no disclosure.
 *
 * A document comes in one of two forms, both validated here:
 * - per evidence type: `{ "evidenceType": "…", "rules": [...], …restrictions }` (the first form,
 *   unchanged: every document written for it is still valid and hashes the same);
 * - per department: `{ "department": "…", "evidenceTypes": { "<type>": { "rules": [...], … } },
 *   …department-wide restrictions }` — one document a department maintains for all its types.
 * Either way evaluation sees {@link PolicySection}s, one per (document, evidence type).
 */
import { z } from "zod";

export const LEGAL_BASES = ["statutory", "consent"] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];

const matterPattern = z.union([z.literal("*"), z.string().regex(/^[A-Za-z0-9._-]{1,64}$/)]);
/** GB/T 2260 code; a city (PPCC00) or province (PP0000) code also stands for everything in it. */
const regionCode = z.string().regex(/^\d{6}$/, "must be a 6-digit region code (GB/T 2260)");
// Same shape as members.ts's memberIdSchema; not imported because policies import no database code.
const memberId = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, "must be a member id");
const evidenceTypeName = z.string().min(1).max(64);
const clock = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, "must be HH:MM (00:00 to 24:00)");

export const policyRuleSchema = z
  .object({
    matters: z.array(matterPattern).min(1).max(500),
    basis: z.enum(LEGAL_BASES),
    /** The provision that allows the check, e.g. 《社会救助暂行办法》第十一条. Required for statutory. */
    citation: z.string().min(1).max(256).optional(),
    requesters: z
      .object({
        kinds: z.array(z.literal("window")).optional(),
        members: z.array(z.string()).max(1000).optional(),
        regions: z.array(regionCode).max(1000).optional(),
      })
      .strict()
      .optional(),
    /** Claims that may be disclosed for these matters, beyond the verdict. Default none. */
    fields: z.array(z.string().min(1).max(64)).max(100).default([]),
  })
  .strict()
  .refine((r) => r.basis !== "statutory" || r.citation !== undefined, {
    message: "a statutory rule must cite its legal provision",
    path: ["citation"],
  });

/**
 * A window in one of `requesterRegions` may verify certificates issued in one of `issuerRegions`
 * (for `matters`, default all). Without one, only certificates issued where the window is —
 * the same area, or one containing or contained in it — are recognised.
 */
export const agreementSchema = z
  .object({
    /** The agreement that allows it, e.g. 《长吉政务服务“跨城通办”合作协议》. */
    citation: z.string().min(1).max(256),
    requesterRegions: z.array(regionCode).min(1).max(1000),
    issuerRegions: z.array(regionCode).min(1).max(1000),
    matters: z.array(matterPattern).min(1).max(500).optional(),
  })
  .strict();

/** Fixed one-hour windows (on the hour), counted per evidence type. */
export const quotasSchema = z
  .object({
    perWindowPerHour: z.int().min(1).max(1_000_000).optional(),
    perOperatorPerHour: z.int().min(1).max(1_000_000).optional(),
  })
  .strict();

/** China Standard Time (UTC+8, the one time zone of the mainland); days are ISO 1 = Mon … 7 = Sun. */
export const serviceHoursSchema = z
  .array(
    z
      .object({ days: z.array(z.int().min(1).max(7)).min(1).max(7), from: clock, to: clock })
      .strict()
      .refine((h) => h.from < h.to, { message: "from must be before to", path: ["to"] }),
  )
  .min(1)
  .max(21);

/** Restrictions a department document may set for all its types (a type's own setting wins). */
const restrictionFields = {
  /** PIPL art. 28: treat the type as sensitive even if the catalog does not (a policy can only tighten). */
  sensitive: z.boolean().optional(),
  agreements: z.array(agreementSchema).max(100).optional(),
  quotas: quotasSchema.optional(),
  serviceHours: serviceHoursSchema.optional(),
};

export const policySectionSchema = z
  .object({ description: z.string().max(1000).optional(), rules: z.array(policyRuleSchema).min(1).max(100), ...restrictionFields })
  .strict();

/**
 * @example policyDocumentSchema.parse({ evidenceType: "housing.no-property-proof",
 *   rules: [{ matters: ["220100-public-rental-housing"], basis: "statutory", citation: "…" }] })
 * @example policyDocumentSchema.parse({ department: "cc-civil-affairs", serviceHours: [...],
 *   evidenceTypes: { "subsistence-allowance.certificate": { rules: [...] } } })
 */
export const policyDocumentSchema = z
  .object({
    evidenceType: evidenceTypeName.optional(),
    department: memberId.optional(),
    evidenceTypes: z.record(evidenceTypeName, policySectionSchema).optional(),
    description: z.string().max(1000).optional(),
    rules: z.array(policyRuleSchema).min(1).max(100).optional(),
    ...restrictionFields,
  })
  .strict()
  .superRefine((doc, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (doc.evidenceType !== undefined) {
      if (doc.department !== undefined) issue("department", "a document is either for one evidenceType or for a department, not both");
      if (doc.evidenceTypes !== undefined) issue("evidenceTypes", "a per-type document has rules, not evidenceTypes");
      if (doc.rules === undefined) issue("rules", "a per-type document needs rules");
    } else if (doc.department !== undefined) {
      if (doc.rules !== undefined) issue("rules", "a department document puts rules under evidenceTypes.<type>.rules");
      if (doc.evidenceTypes === undefined || Object.keys(doc.evidenceTypes).length === 0) issue("evidenceTypes", "a department document needs at least one evidence type");
    } else {
      issue("evidenceType", "name the evidenceType this document governs, or the department with its evidenceTypes");
    }
  });

export type PolicyRule = z.infer<typeof policyRuleSchema>;
export type PolicyAgreement = z.infer<typeof agreementSchema>;
export type PolicyQuotas = z.infer<typeof quotasSchema>;
export type ServiceHours = z.infer<typeof serviceHoursSchema>;
export type PolicySection = z.infer<typeof policySectionSchema>;
export type PolicyDocument = z.infer<typeof policyDocumentSchema>;

/** A stored version of a policy; `ref` is what ledger entries record. */
export interface PolicyVersion {
  id: string;
  version: number;
  /** base64url SHA-256 of the canonical document. */
  hash: string;
  document: PolicyDocument;
}

export const policyRef = (p: PolicyVersion): string => `${p.id}@${p.version}`;

/**
 * The sections of a document, one per evidence type it governs. A department's top-level
 * restrictions are defaults: a type that sets the same restriction replaces it.
 * @example policySections({ evidenceType: "a.b", rules }) // [{ evidenceType: "a.b", section: { rules } }]
 */
export function policySections(doc: PolicyDocument): { evidenceType: string; section: PolicySection }[] {
  if (doc.evidenceType !== undefined) {
    const { evidenceType, department: _d, evidenceTypes: _e, rules, ...rest } = doc;
    return rules ? [{ evidenceType, section: { ...rest, rules } }] : [];
  }
  const defaults = { sensitive: doc.sensitive, agreements: doc.agreements, quotas: doc.quotas, serviceHours: doc.serviceHours };
  return Object.entries(doc.evidenceTypes ?? {}).map(([evidenceType, section]) => {
    const merged: PolicySection = { ...section };
    for (const [k, v] of Object.entries(defaults)) if (v !== undefined && merged[k as keyof typeof defaults] === undefined) Object.assign(merged, { [k]: v });
    return { evidenceType, section: merged };
  });
}

/** The evidence types a document governs. */
export const governedTypes = (doc: PolicyDocument): string[] => policySections(doc).map((s) => s.evidenceType);
