/** The §3 verification request body and result shapes. */
import { z } from "zod";
import { subjectSchema } from "../catalog/subject.ts";
import { claimFieldNames, type EvidenceTypeDef } from "../catalog/evidence-types.ts";
import { matterCodeSchema } from "../catalog/bodies.ts";
import { HurenError, type FieldError } from "../errors.ts";
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

/**
 * A requested field the evidence type does not have is the caller's mistake, 422 (PROTOCOL §3);
 * one it has but policy withholds is simply left out later. `valid` and `certStatus` always exist.
 * @throws HurenError unknown-field (422), `errors[]` naming each `evidence.<i>.fields.<j>`
 */
export function assertKnownFields(items: { def: EvidenceTypeDef; fields: string[] | undefined }[]): void {
  const errors: FieldError[] = [];
  for (const [i, { def, fields }] of items.entries()) {
    const known = new Set(["valid", "certStatus", ...claimFieldNames(def)]);
    for (const [j, f] of (fields ?? []).entries()) if (!known.has(f)) errors.push({ path: `evidence.${i}.fields.${j}`, message: `${def.type} has no field "${f}"` });
  }
  if (errors.length > 0) throw new HurenError("unknown-field", 422, "Unknown field", errors.map((e) => e.message).join("; "), { errors });
}

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
