/**
 * Checking a department's claims against their evidence type: built-ins with their zod schema,
 * admin-registered types with their JSON Schema. What is not declared is dropped, so nothing the
 * catalog does not name is passed on to windows.
 */
import { isPlainObject, type ClaimsValidation, type EvidenceTypeDef } from "./evidence-types.ts";
import { BUILTIN_CLAIM_SCHEMAS } from "./builtin-types.ts";
import { validateWithJsonSchema } from "./claims-schema.ts";

/**
 * Checks a department's claims against the evidence type. Built-ins use their zod schema,
 * registered types their JSON Schema. On success the claims come back with undeclared
 * members removed.
 * @example
 * validateClaims(disability, { disabilityLevel: 2, extra: 1 }) // { ok: true, claims: { disabilityLevel: 2 } }
 * validateClaims(disability, { disabilityLevel: "2" })
 * // { ok: false, errors: [{ path: "disabilityLevel", message: "Invalid input: expected number, received string" }] }
 */
export function validateClaims(def: EvidenceTypeDef, claims: unknown): ClaimsValidation {
  if (!isPlainObject(claims)) return { ok: false, errors: [{ path: "", message: "claims must be an object" }] };
  const zodSchema = def.builtin ? BUILTIN_CLAIM_SCHEMAS.get(def.type) : undefined;
  if (zodSchema) {
    const parsed = zodSchema.safeParse(claims);
    if (parsed.success) return { ok: true, claims: parsed.data };
    return { ok: false, errors: parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message })) };
  }
  return validateWithJsonSchema(def, claims);
}
