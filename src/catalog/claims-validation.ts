/**
 * Checking a department's claims against their evidence type: built-ins with their zod schema,
 * admin-registered types with their JSON Schema (draft 2020-12). What is not declared is dropped,
 * so nothing the catalog does not name is passed on to windows.
 *
 * JSON Schema validation uses @cfworker/json-schema, an interpreter: Workers forbid eval/new
 * Function, so schema compilers that generate code (ajv) are out. The interpreter trusts the
 * schema it is given, which is why `./claims-schema.ts` checks schemas when they are registered.
 */
import { Validator, type OutputUnit, type Schema } from "@cfworker/json-schema";
import { isPlainObject, type ClaimsError, type ClaimsValidation, type EvidenceTypeDef, type JsonSchemaObject } from "./evidence-types.ts";
import { BUILTIN_CLAIM_SCHEMAS } from "./builtin-types.ts";

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

/* ------------------------------------------------------------------ registered types: JSON Schema */

/** Compiled validators: by identity first, then by content (rows from the database are new objects each time). */
const byIdentity = new WeakMap<object, Validator>();
const byContent = new Map<string, Validator>();
const BY_CONTENT_MAX = 256;

function validatorFor(schema: JsonSchemaObject): Validator {
  const hit = byIdentity.get(schema);
  if (hit) return hit;
  const key = JSON.stringify(schema);
  let validator = byContent.get(key);
  if (validator) {
    // Map order is insertion order: re-inserting makes this the most recently used.
    byContent.delete(key);
  } else {
    // The validator annotates the schema it is given in place: give it a copy of its own.
    validator = new Validator(structuredClone(schema) as Schema, "2020-12", false);
    if (byContent.size >= BY_CONTENT_MAX) byContent.delete(byContent.keys().next().value!);
  }
  byContent.set(key, validator);
  byIdentity.set(schema, validator);
  return validator;
}

function decodePointer(location: string): string[] {
  const rest = location.replace(/^#/, "");
  if (rest === "" || rest === "/") return [];
  return rest
    .slice(1)
    .split("/")
    .map((seg) => {
      let s = seg;
      try {
        s = decodeURIComponent(seg);
      } catch {
        // keep the raw segment
      }
      return s.replace(/~1/g, "/").replace(/~0/g, "~");
    });
}

/** Keywords whose errors only say "something below failed"; the errors below say what. */
const WRAPPER_KEYWORDS: ReadonlySet<string> = new Set([
  "properties", "patternProperties", "additionalProperties", "unevaluatedProperties", "dependentSchemas", "dependencies",
  "items", "prefixItems", "additionalItems", "unevaluatedItems", "contains", "propertyNames",
  "$ref", "$recursiveRef", "allOf", "if", "then", "else",
]);
/** Keywords whose sub-errors are alternatives that all failed: the summary is the useful part. */
const ALTERNATIVE_KEYWORDS: ReadonlySet<string> = new Set(["anyOf", "oneOf", "not"]);

/** Turns the validator's full error tree into the leaves a person can act on. */
function leafErrors(units: OutputUnit[]): ClaimsError[] {
  const alternatives = units.filter((u) => ALTERNATIVE_KEYWORDS.has(u.keyword)).map((u) => u.keywordLocation + "/");
  const kept = units.filter(
    (u) => !WRAPPER_KEYWORDS.has(u.keyword) && !alternatives.some((prefix) => u.keywordLocation.startsWith(prefix)),
  );
  const seen = new Set<string>();
  const out: ClaimsError[] = [];
  for (const u of kept.length > 0 ? kept : units) {
    const path = decodePointer(u.instanceLocation).join(".");
    const message = u.keyword === "false" ? "not allowed here" : u.error;
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out;
}

/**
 * Validates claims against a registered type's JSON Schema; on success returns them without
 * undeclared top-level members. Never throws.
 * @example validateWithJsonSchema(taxClearance, { taxYear: "2024" })
 * // { ok: false, errors: [{ path: "taxYear", message: 'Instance type "string" is invalid. Expected "integer".' }] }
 */
export function validateWithJsonSchema(def: EvidenceTypeDef, claims: Record<string, unknown>): ClaimsValidation {
  let instance: unknown;
  try {
    // Claims should be JSON already; the round trip drops `undefined` members (which the
    // validator cannot handle) and turns anything else non-JSON into an error, not a crash.
    instance = JSON.parse(JSON.stringify(claims));
  } catch {
    return { ok: false, errors: [{ path: "", message: "claims are not JSON data" }] };
  }
  let result;
  try {
    result = validatorFor(def.claims).validate(instance);
  } catch (err) {
    // A schema that slipped past registration checks (unresolved $ref, runaway recursion):
    // fail this answer rather than the whole request.
    return { ok: false, errors: [{ path: "", message: `claims schema of ${def.type} cannot be applied: ${err instanceof Error ? err.message.split("\n")[0] : "error"}` }] };
  }
  if (!result.valid) return { ok: false, errors: leafErrors(result.errors) };
  // Like zod's default for built-ins: claims the catalog does not name are not passed on.
  const declared = isPlainObject(def.claims.properties) ? def.claims.properties : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(instance as Record<string, unknown>)) {
    if (Object.hasOwn(declared, k)) out[k] = v;
  }
  return { ok: true, claims: out };
}
