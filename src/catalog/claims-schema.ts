/**
 * Checking a claims JSON Schema (draft 2020-12) that an admin submits for a new evidence type.
 * Claims are validated by @cfworker/json-schema (`./claims-validation.ts`), an interpreter that
 * trusts the schema it is given, so schemas are checked structurally when they are registered
 * ({@link claimsSchemaProblems}), not when a department's answer is already waiting.
 */
import { dereference, Validator, type Schema } from "@cfworker/json-schema";
import { isPlainObject, type SchemaProblem } from "./evidence-types.ts";

/** Claim names appear in requests, policies and receipts: keep them plain identifiers. */
const claimNamePattern = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/**
 * Names the verification result itself uses next to the claims (`{ valid: true, ... }`,
 * `{ valid: false, certStatus }`); a claim with such a name would be overwritten or forged.
 */
const RESERVED_CLAIM_NAMES: ReadonlySet<string> = new Set(["valid", "certStatus"]);

const CLAIMS_SCHEMA_MAX_BYTES = 64 * 1024;
const CLAIMS_SCHEMA_MAX_DEPTH = 32;
const DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema";
const TYPE_NAMES: ReadonlySet<string> = new Set(["array", "boolean", "integer", "null", "number", "object", "string"]);
const SUBSCHEMA = ["additionalProperties", "unevaluatedProperties", "propertyNames", "not", "if", "then", "else", "contains", "items", "additionalItems", "unevaluatedItems"];
const SUBSCHEMA_LIST = ["allOf", "anyOf", "oneOf", "prefixItems"];
const SUBSCHEMA_MAP = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
const NON_NEGATIVE_INT = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains"];
const NUMBER = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];
/** 2020-12 keywords the validator does not implement: accepting them would silently check nothing. */
const UNSUPPORTED = ["$dynamicRef", "$dynamicAnchor"];

/** Same flags the validator uses, so a pattern that compiles here compiles there. */
function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern, "u");
    return undefined;
  } catch (err) {
    return `not a valid regular expression (${err instanceof Error ? err.message : "error"})`;
  }
}

/** Structural check of one (sub)schema: the keyword value types the validator relies on. */
function walkSchema(node: unknown, path: string[], depth: number, out: { path: string[]; message: string }[]): void {
  if (typeof node === "boolean") return;
  if (!isPlainObject(node)) {
    out.push({ path, message: "a schema must be an object or a boolean" });
    return;
  }
  if (depth > CLAIMS_SCHEMA_MAX_DEPTH) {
    out.push({ path, message: `schema nested deeper than ${CLAIMS_SCHEMA_MAX_DEPTH} levels` });
    return;
  }
  const at = (k: string, ...more: string[]) => [...path, k, ...more];
  const problem = (k: string, message: string) => out.push({ path: at(k), message });
  for (const k of UNSUPPORTED) if (k in node) problem(k, `${k} is not supported`);

  const t = node.type;
  if (t !== undefined) {
    const names = Array.isArray(t) ? t : [t];
    if (names.length === 0 || !names.every((n) => typeof n === "string" && TYPE_NAMES.has(n)) || new Set(names).size !== names.length) {
      problem("type", `must be one of ${[...TYPE_NAMES].join(", ")} or a list of them`);
    }
  }
  if (node.$schema !== undefined && node.$schema !== DRAFT_2020_12) problem("$schema", `claims are validated as draft 2020-12; use "${DRAFT_2020_12}" or leave it out`);
  if (node.$ref !== undefined && (typeof node.$ref !== "string" || !node.$ref.startsWith("#"))) {
    // The gateway never fetches schemas: remote references would be unresolvable at run time.
    problem("$ref", "only local references (#/...) are allowed");
  }
  if (node.$recursiveRef !== undefined && node.$recursiveRef !== "#") problem("$recursiveRef", 'must be "#"');
  for (const k of ["$id", "$anchor", "format", "pattern", "$comment", "title", "description"]) {
    if (node[k] !== undefined && typeof node[k] !== "string") problem(k, "must be a string");
  }
  if (typeof node.pattern === "string") {
    const p = regexProblem(node.pattern);
    if (p) problem("pattern", p);
  }
  if (node.enum !== undefined && (!Array.isArray(node.enum) || node.enum.length === 0)) problem("enum", "must be a non-empty array");
  if (node.required !== undefined) {
    const r = node.required;
    if (!Array.isArray(r) || !r.every((x) => typeof x === "string") || new Set(r).size !== r.length) problem("required", "must be an array of distinct strings");
  }
  if (node.dependentRequired !== undefined) {
    const d = node.dependentRequired;
    if (!isPlainObject(d) || !Object.values(d).every((v) => Array.isArray(v) && v.every((x) => typeof x === "string"))) {
      problem("dependentRequired", "must map property names to arrays of strings");
    }
  }
  for (const k of NON_NEGATIVE_INT) {
    if (node[k] !== undefined && !(Number.isInteger(node[k]) && (node[k] as number) >= 0)) problem(k, "must be a non-negative integer");
  }
  for (const k of NUMBER) if (node[k] !== undefined && !Number.isFinite(node[k])) problem(k, "must be a number");
  if (node.multipleOf !== undefined && !(Number.isFinite(node.multipleOf) && (node.multipleOf as number) > 0)) problem("multipleOf", "must be a number greater than 0");
  if (node.uniqueItems !== undefined && typeof node.uniqueItems !== "boolean") problem("uniqueItems", "must be a boolean");

  for (const k of SUBSCHEMA) {
    if (node[k] === undefined) continue;
    if (k === "items" && Array.isArray(node[k])) {
      problem(k, "in draft 2020-12 items is a single schema; use prefixItems for tuples");
      continue;
    }
    walkSchema(node[k], at(k), depth + 1, out);
  }
  for (const k of SUBSCHEMA_LIST) {
    const list = node[k];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0) {
      problem(k, "must be a non-empty array of schemas");
      continue;
    }
    list.forEach((s, i) => walkSchema(s, at(k, String(i)), depth + 1, out));
  }
  for (const k of SUBSCHEMA_MAP) {
    const map = node[k];
    if (map === undefined) continue;
    if (!isPlainObject(map)) {
      problem(k, "must be an object of schemas");
      continue;
    }
    for (const [name, s] of Object.entries(map)) {
      if (k === "patternProperties") {
        const p = regexProblem(name);
        if (p) out.push({ path: at(k, name), message: `property pattern ${p}` });
      }
      walkSchema(s, at(k, name), depth + 1, out);
    }
  }
  if (node.dependencies !== undefined) {
    if (!isPlainObject(node.dependencies)) problem("dependencies", "must be an object");
    else
      for (const [name, d] of Object.entries(node.dependencies)) {
        if (!(Array.isArray(d) && d.every((x) => typeof x === "string"))) walkSchema(d, at("dependencies", name), depth + 1, out);
      }
  }
}

/** Every `$ref` the dereferenced schema holds must point at a schema inside it. */
function unresolvedRefs(node: unknown, lookup: Record<string, unknown>, path: string[], out: { path: string[]; message: string }[], seen = new Set<object>()): void {
  if (!node || typeof node !== "object" || seen.has(node)) return;
  seen.add(node);
  const absolute = (node as { __absolute_ref__?: unknown }).__absolute_ref__;
  if (typeof absolute === "string" && lookup[absolute] === undefined) {
    out.push({ path: [...path, "$ref"], message: `reference ${String((node as { $ref?: unknown }).$ref)} does not resolve inside the schema` });
  }
  for (const [k, v] of Object.entries(node)) unresolvedRefs(v, lookup, [...path, k], out, seen);
}

/**
 * {@link claimsSchemaProblems} with paths as segment lists, for zod issues.
 * @example claimsSchemaIssues({ type: "object", properties: { valid: {} } })
 * // [{ path: ["properties", "valid"], message: '"valid" is reserved for the verification result' }]
 */
export function claimsSchemaIssues(schema: unknown): { path: string[]; message: string }[] {
  if (!isPlainObject(schema)) return [{ path: [], message: "must be a JSON Schema object" }];
  let size: number;
  try {
    size = new TextEncoder().encode(JSON.stringify(schema)).length;
  } catch {
    return [{ path: [], message: "must be JSON data" }];
  }
  if (size > CLAIMS_SCHEMA_MAX_BYTES) return [{ path: [], message: `must be at most ${CLAIMS_SCHEMA_MAX_BYTES} bytes of JSON` }];

  const out: { path: string[]; message: string }[] = [];
  if (schema.type !== "object") out.push({ path: ["type"], message: 'claims are an object: top-level "type" must be "object"' });
  if (!isPlainObject(schema.properties)) {
    out.push({ path: ["properties"], message: 'top-level "properties" must list the claims' });
  } else {
    for (const name of Object.keys(schema.properties)) {
      if (!claimNamePattern.test(name)) out.push({ path: ["properties", name], message: "claim names must be identifiers (letter, then letters, digits or _), at most 64 chars" });
      else if (RESERVED_CLAIM_NAMES.has(name)) out.push({ path: ["properties", name], message: `"${name}" is reserved for the verification result` });
    }
  }
  walkSchema(schema, [], 0, out);
  if (out.length > 0) return out;

  // Structure is sound: now let the validator itself digest it, exactly as it will at run time.
  try {
    const copy = structuredClone(schema);
    unresolvedRefs(copy, dereference(copy as Schema), [], out);
    if (out.length > 0) return out;
    // A probe run surfaces run-time failures such as a root that refers to itself endlessly.
    new Validator(structuredClone(schema) as Schema, "2020-12", false).validate({});
  } catch (err) {
    out.push({ path: [], message: `cannot be compiled: ${err instanceof Error ? err.message.split("\n")[0] : "error"}` });
  }
  return out;
}

/**
 * Problems with a claims JSON Schema submitted by an admin; `[]` means it is usable. Checks
 * what the validator needs (top-level object with properties, keyword value types, regexes
 * that compile with the `u` flag, local `$ref`s that resolve, draft 2020-12) and what the
 * gateway needs (identifier claim names, none reserved, bounded size and depth).
 * @example claimsSchemaProblems({ type: "object", properties: { amount: { type: "number" } } }) // []
 * @example claimsSchemaProblems({ type: "array" })
 * // [{ path: "type", message: '...must be "object"' }, { path: "properties", message: ... }]
 */
export function claimsSchemaProblems(schema: unknown): SchemaProblem[] {
  return claimsSchemaIssues(schema).map((p) => ({ path: p.path.join("."), message: p.message }));
}
