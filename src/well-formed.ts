/**
 * Input hygiene at the edge (PROTOCOL v1.1 §3: "every string in a request is well-formed Unicode:
 * a lone surrogate or a NUL is a 400, never a 500"). One check, applied where outside text enters:
 * the JSON body (src/http/middleware.ts), the URL (path and query), a request token's header and
 * claims (src/auth/authenticate.ts) and a consent token's claims (src/consent/inline.ts). Past
 * these, no string can make PostgreSQL refuse a parameter (NUL) or turn into U+FFFD on the way
 * (a lone surrogate), and no nesting can overflow a recursive validator. Pure; no HTTP, no I/O.
 */
import { HurenError } from "./errors.ts";

/** NUL, a high surrogate not followed by a low one, or a low surrogate without a high one before it. */
const ILL_FORMED = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Deeper JSON than any Huren body needs (claims schemas and policies stay under ten levels). */
export const MAX_JSON_DEPTH = 32;

/**
 * @example isWellFormedText("张三") // true
 * @example isWellFormedText("a\u0000b") // false
 * @example isWellFormedText("\ud800") // false
 */
export const isWellFormedText = (text: string): boolean => !ILL_FORMED.test(text);

export interface TextProblem {
  /** Dotted path to the offending value or key (`""` for the root). */
  path: string;
  message: string;
}

/**
 * The first ill-formed string (value or key) or over-deep nesting in a parsed JSON value, or
 * undefined. Iterative, so depth is bounded by `maxDepth`, not by the stack.
 * @example jsonTextProblem({ subject: { id: "\u0000" } }) // { path: "subject.id", message: "…" }
 */
export function jsonTextProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): TextProblem | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value, path: "", depth: 0 }];
  const join = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === "string") {
      if (!isWellFormedText(v)) return { path, message: "contains a NUL or a lone surrogate: strings must be well-formed Unicode" };
    } else if (typeof v === "object" && v !== null) {
      if (depth >= maxDepth) return { path, message: `nested deeper than ${maxDepth} levels` };
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: join(path, i), depth: depth + 1 });
      } else {
        for (const [k, item] of Object.entries(v)) {
          // Keys are not echoed in the path when ill-formed: the path must itself be printable.
          if (!isWellFormedText(k)) return { path, message: "has a key with a NUL or a lone surrogate: strings must be well-formed Unicode" };
          stack.push({ value: item, path: join(path, k), depth: depth + 1 });
        }
      }
    }
  }
  return undefined;
}

/**
 * The one 400 for ill-formed input, wherever it was found.
 * @example throw illFormedInput("body", { path: "case", message: "contains a NUL…" })
 */
export function illFormedInput(where: "body" | "url" | "token" | "consent token", problem: TextProblem): HurenError {
  const path = problem.path ? `${where}.${problem.path}` : where;
  return new HurenError("ill-formed-input", 400, "Ill-formed input", `the ${where} carries text that is not well-formed Unicode (a NUL or a lone surrogate) or is nested too deeply`, {
    errors: [{ path, message: problem.message }],
  });
}

/**
 * Throws the 400 when a parsed JSON value has an ill-formed string or nests too deeply.
 * @example assertWellFormedJson(JSON.parse(text), "body");
 */
export function assertWellFormedJson(value: unknown, where: Parameters<typeof illFormedInput>[0]): void {
  const problem = jsonTextProblem(value);
  if (problem) throw illFormedInput(where, problem);
}
