/**
 * Evidence types: what a certificate says (its claims schema), how sensitive it is and what is
 * disclosed by default, and how types are named. The vocabulary the rest of the catalog speaks:
 * the five built-in types are `./builtin-types.ts`; checking a department's claims is
 * `./claims-validation.ts`; checking a claims JSON Schema an admin submits is `./claims-schema.ts`;
 * the admin bodies for registering types and matters are `./bodies.ts`.
 */
import { z } from "zod";

/* ------------------------------------------------------------------ types */

/** PIPL art. 28: sensitive personal information needs separate consent and stricter policies. */
export const SENSITIVITIES = ["ordinary", "sensitive"] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];

/** A JSON Schema (draft 2020-12) describing an object: the claims of an evidence type. */
export interface JsonSchemaObject {
  type: "object";
  properties: Record<string, unknown>;
  [keyword: string]: unknown;
}

export interface EvidenceTypeDef {
  /** Dotted slug, e.g. `housing.no-property-proof` (see {@link evidenceTypeSlug}). */
  type: string;
  /** Display name, e.g. 无房证明. */
  name: string;
  /** Kind of department that issues it, e.g. `civil-affairs`. */
  issuerKind: string;
  sensitivity: Sensitivity;
  /** JSON Schema of the claims. */
  claims: JsonSchemaObject;
  /** Claims disclosed when a request names no fields; `[]` means the verdict only. */
  defaultFields: string[];
  builtin: boolean;
}

export interface ClaimsError {
  /** Dotted path into the claims (`insuranceTypes.0`); `""` for the claims object itself. */
  path: string;
  message: string;
}

/** Where a claims JSON Schema submitted by an admin is unusable, and why. */
export interface SchemaProblem {
  /** Dotted path into the submitted schema (`properties.age.minimum`); `""` for the schema itself. */
  path: string;
  message: string;
}

export type ClaimsValidation = { ok: true; claims: Record<string, unknown> } | { ok: false; errors: ClaimsError[] };

/* ------------------------------------------------------------------ names */

/** Evidence type names: dotted lower-case slugs, at least two segments (`<domain>.<document>`). */
export const evidenceTypeSlug = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$/;
export const EVIDENCE_TYPE_MAX_LENGTH = 64;

/** zod schema of an evidence type name (slug, at most 64 chars). */
export const evidenceTypeNameSchema = z
  .string()
  .max(EVIDENCE_TYPE_MAX_LENGTH)
  .regex(evidenceTypeSlug, "must be a dotted slug like housing.no-property-proof");

/**
 * Top-level claim names of an evidence type, in schema order.
 * @example claimFieldNames(noPropertyProof) // ["region", "propertyCount", "asOf", "validUntil"]
 */
export function claimFieldNames(def: EvidenceTypeDef): string[] {
  const props = def.claims.properties;
  return props && typeof props === "object" && !Array.isArray(props) ? Object.keys(props) : [];
}

/** A JSON object: not null, not an array (claims, schemas and their parts are checked for this first). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
