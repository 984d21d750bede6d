/** The §3 verification request body and result shapes. */
import { z } from "zod";
import { subjectSchema } from "../catalog/subject.ts";
import { matterCodeSchema } from "../catalog/evidence-types.ts";
import type { ReasonCode } from "../policies/evaluate.ts";

export const evidenceItemSchema = z
  .object({
    type: z.string().min(1).max(64),
    /** Claims wanted beyond the verdict; omitted means the type's default disclosure. */
    fields: z.array(z.string().min(1).max(64)).max(50).optional(),
  })
  .strict();

/** The evidence asked for: at most 20 items, each type once. Shared with the policy dry run. */
export const evidenceListSchema = z
  .array(evidenceItemSchema)
  .min(1)
  .max(20)
  .refine((items) => new Set(items.map((i) => i.type)).size === items.length, "each evidence type may appear once");

export const verificationRequestSchema = z
  .object({
    matter: matterCodeSchema,
    case: z.string().min(1).max(64),
    subject: subjectSchema,
    evidence: evidenceListSchema.optional(),
    consent: z.string().min(1).max(16384).optional(),
  })
  .strict();

export type VerificationRequest = z.infer<typeof verificationRequestSchema>;

export const RESULT_STATUSES = ["verified", "not_found", "invalid", "mismatch", "denied", "unavailable"] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

export interface ItemResult {
  type: string;
  status: ResultStatus;
  source?: string;
  claims?: Record<string, unknown>;
  checkedAt?: string;
  /** Stable code for `denied` (policy) and `unavailable` (source failure). */
  reason?: string;
}

export interface VerificationResponse {
  verificationId: string;
  results: ItemResult[];
  receipt: string;
  /** base64url of the 32 bytes that open the receipt's subject commitment (§3 v1.1); not in the receipt. */
  subjectOpening: string;
  ledger: { index: number; leafHash: string };
}

export type { ReasonCode };
