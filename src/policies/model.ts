/**
 * Policy documents: per evidence type, which matters may ask, on which legal basis, and which
 * claims may be disclosed beyond the verdict. Deny by default: no policy, no disclosure.
 *
 * This is the first form; the consent and policy engine extends it (quotas, cross-region
 * agreements, service hours) without changing what is here.
 */
import { z } from "zod";

export const LEGAL_BASES = ["statutory", "consent"] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];

const matterPattern = z.union([z.literal("*"), z.string().regex(/^[A-Za-z0-9._-]{1,64}$/)]);

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
        regions: z.array(z.string().regex(/^\d{6}$/)).max(1000).optional(),
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

export const policyDocumentSchema = z
  .object({
    evidenceType: z.string().min(1).max(64),
    description: z.string().max(1000).optional(),
    rules: z.array(policyRuleSchema).min(1).max(100),
  })
  .strict();

export type PolicyRule = z.infer<typeof policyRuleSchema>;
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
