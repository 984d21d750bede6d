/** The §3 verification request body and result shapes. */
import { z } from "zod";
import { subjectSchema } from "../catalog/subject.ts";
import type { ReasonCode } from "../policies/evaluate.ts";

export const evidenceItemSchema = z
  .object({
    type: z.string().min(1).max(64),
    /** Claims wanted beyond the verdict; omitted means the type's default disclosure. */
    fields: z.array(z.string().min(1).max(64)).max(50).optional(),
  })
  .strict();

export const verificationRequestSchema = z
  .object({
    matter: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must match ^[A-Za-z0-9._-]{1,64}$"),
    case: z.string().min(1).max(64),
    subject: subjectSchema,
    evidence: z
      .array(evidenceItemSchema)
      .min(1)
      .max(20)
      .refine((items) => new Set(items.map((i) => i.type)).size === items.length, "each evidence type may appear once")
      .optional(),
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
  ledger: { index: number; leafHash: string };
}

export type { ReasonCode };
