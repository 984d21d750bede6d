/**
 * The last pass over the generated OpenAPI document before it is served: what every operation can
 * answer follows from its shape, and the examples come from one catalog (openapi-examples.ts).
 *
 * - An operation without a request body cannot answer 413 or 415: those generic problems are
 *   dropped from it (routes share one `signedProblems` list for brevity).
 * - Path parameters are always required (OpenAPI says so; coerced zod params come out optional).
 * - An operation naming a stored thing in its path (GET or POST with path parameters) answers 404
 *   when there is no such thing; it is declared where a route did not say so itself.
 * - Every operation declaring the signed routes' 429 shows the one rate-limited example.
 */
import { RATE_LIMITED_EXAMPLE, type OperationExamples } from "./openapi-examples.ts";

type Json = Record<string, any>;

export function finishDocument<T extends Json>(doc: T, examples: Record<string, OperationExamples>): T {
  for (const [path, item] of Object.entries(doc.paths ?? {}) as [string, Json][]) {
    for (const [method, op] of Object.entries(item) as [string, Json][]) {
      if (typeof op !== "object" || !op.responses) continue;
      for (const param of op.parameters ?? []) if (param.in === "path") param.required = true;
      if (!op.requestBody) {
        delete op.responses["413"];
        delete op.responses["415"];
      }
      const hasPathParam = /\{[^}]+\}/.test(path);
      // Signed operations all declare 401 with the problem schema; the 404 reuses it.
      const problem = op.responses["401"]?.content;
      if (hasPathParam && (method === "get" || method === "post") && !op.responses["404"] && problem) {
        op.responses["404"] = { description: "No such thing (or not one the caller may see)", content: problem };
      }
      const limited = op.responses["429"]?.content?.["application/problem+json"];
      if (limited && limited.example === undefined) limited.example = RATE_LIMITED_EXAMPLE;
      const ex = examples[`${method.toUpperCase()} ${path}`];
      if (!ex) continue;
      const reqContent = op.requestBody?.content?.["application/json"];
      if (reqContent && ex.request !== undefined) reqContent.example = ex.request;
      for (const [status, example] of Object.entries(ex.responses ?? {})) {
        const content = op.responses[status]?.content;
        const media = content && (content["application/json"] ?? Object.values(content)[0]);
        if (media) media.example = example;
      }
    }
  }
  return doc;
}
