/** /v1/policies: admin manages versioned policy documents. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { HurenError, notFound } from "../errors.ts";
import { policyDocumentSchema } from "../policies/model.ts";
import { getPolicy, listPolicies, putPolicy } from "../policy-store/store.ts";
import { getEvidenceType } from "../catalog/store.ts";
import { jsonContent, signedProblems, type RouteKit } from "./kit.ts";

const policySchema = z.object({ id: z.string(), version: z.number().int(), hash: z.string(), document: z.record(z.string(), z.unknown()) });
const idParam = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/) });
const security = [{ signedRequest: [] }];
const tags = ["policies"];

export function registerPolicyRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db } = kit.deps;
  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/policies/{id}",
      tags,
      security,
      summary: "Create or change a policy (admin); each change is a new version with a content hash",
      middleware: kit.signed(["admin"], true),
      request: { params: idParam, body: { content: { "application/json": { schema: policyDocumentSchema } }, required: true } },
      responses: { 200: jsonContent(policySchema, "Unchanged or new version"), 201: jsonContent(policySchema, "Created"), ...signedProblems },
    }),
    async (c) => {
      const doc = c.req.valid("json");
      if (!(await getEvidenceType(db, doc.evidenceType))) {
        throw new HurenError("unknown-evidence-type", 422, "Unknown evidence type", `evidence type "${doc.evidenceType}" is not in the catalog`);
      }
      const { policy, created } = await putPolicy(db, c.req.valid("param").id, doc);
      return c.json(policy, created ? 201 : 200);
    },
  );
  app.openapi(
    createRoute({ method: "get", path: "/v1/policies", tags, security, summary: "List current policies (admin)", middleware: kit.signed(["admin"]), responses: { 200: jsonContent(z.object({ policies: z.array(policySchema) }), "Policies"), ...signedProblems } }),
    async (c) => c.json({ policies: await listPolicies(db) }, 200),
  );
  app.openapi(
    createRoute({ method: "get", path: "/v1/policies/{id}", tags, security, summary: "Show a policy (admin)", middleware: kit.signed(["admin"]), request: { params: idParam }, responses: { 200: jsonContent(policySchema, "The policy"), ...signedProblems } }),
    async (c) => {
      const policy = await getPolicy(db, c.req.valid("param").id);
      if (!policy) throw notFound(`policy "${c.req.valid("param").id}"`);
      return c.json(policy, 200);
    },
  );
}
