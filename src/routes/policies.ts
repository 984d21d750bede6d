/** /v1/policies: admin manages versioned policy documents; admin and auditors dry-run them. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { notFound } from "../errors.ts";
import { policyDocumentSchema } from "../policies/model.ts";
import { REASON_CODES } from "../policies/reasons.ts";
import { getPolicy, getPolicyVersion, listPolicies, putPolicy } from "../policy-store/store.ts";
import { dryRun, dryRunRequestSchema } from "../verification/dry-run.ts";
import { jsonContent, problemSchema, signedProblems, type RouteKit } from "./kit.ts";

const policySchema = z.object({ id: z.string(), version: z.number().int(), hash: z.string(), document: z.record(z.string(), z.unknown()) });
const idParam = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/) });
const versionParams = idParam.extend({ version: z.coerce.number().int().min(1).max(1_000_000) });
const security = [{ signedRequest: [] }];
const tags = ["policies"];
const unprocessable = (description: string) => ({ 422: { description, content: { "application/problem+json": { schema: problemSchema } } } });

const dryRunItemSchema = z.object({
  type: z.string(),
  permit: z.boolean(),
  basis: z.enum(["statutory", "consent"]).nullable(),
  citation: z.string().nullable(),
  fields: z.array(z.string()),
  reasons: z.array(z.enum(REASON_CODES)),
  explanations: z.array(z.string()),
  policyVersion: z.string().nullable().describe("`id@version` of the deciding policy"),
  agreement: z.string().nullable().describe("The agreement recognising a cross-region certificate"),
  issuerRegion: z.string().nullable(),
  adapter: z.string().nullable().describe("The adapter that would be asked (none is)"),
});
const dryRunResultSchema = z.object({
  at: z.string(),
  requester: z.string(),
  matter: z.string(),
  consent: z.object({ id: z.string().nullable(), problem: z.string().nullable() }).nullable(),
  items: z.array(dryRunItemSchema),
});

export function registerPolicyRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { deps } = kit;
  const { db } = deps;
  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/policies/{id}",
      tags,
      security,
      summary: "Create or change a policy (admin); each change is a new version with a content hash",
      description: "One document per evidence type (`evidenceType`, `rules`, …) or per department (`department`, `evidenceTypes`: { type: section }). See docs/policies.md.",
      middleware: kit.signed(["admin"], true),
      request: { params: idParam, body: { content: { "application/json": { schema: policyDocumentSchema } }, required: true } },
      responses: { 200: jsonContent(policySchema, "Unchanged or new version"), 201: jsonContent(policySchema, "Created"), ...signedProblems, ...unprocessable("Unknown evidence type, department or claim") },
    }),
    async (c) => {
      const { policy, created } = await putPolicy(db, c.req.valid("param").id, c.req.valid("json"));
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
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/policies/{id}/versions/{version}",
      tags,
      security,
      summary: "Show one stored version of a policy (admin, auditor): what a ledger entry's policyVersion `id@version` names",
      middleware: kit.signed(["admin", "auditor"]),
      request: { params: versionParams },
      responses: { 200: jsonContent(policySchema, "The version"), ...signedProblems },
    }),
    async (c) => {
      const { id, version } = c.req.valid("param");
      const policy = await getPolicyVersion(db, id, version);
      if (!policy) throw notFound(`policy version "${id}@${version}"`);
      return c.json(policy, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/policies/evaluate",
      tags,
      security,
      summary: "Dry run (admin, auditor): would this query be allowed, and why?",
      description: "Decides exactly as a verification would — policies, adapter choice, quotas, consent — without asking any department, writing the ledger, taking quota or consent uses, or registering an inline consent token.",
      middleware: kit.signed(["admin", "auditor"], true),
      request: { body: { content: { "application/json": { schema: dryRunRequestSchema } }, required: true } },
      responses: { 200: jsonContent(dryRunResultSchema, "The decision per item, with reasons explained"), ...signedProblems, ...unprocessable("Unknown window, matter or evidence type") },
    }),
    async (c) => {
      c.header("cache-control", "no-store");
      return c.json(await dryRun(deps, c.req.valid("json")), 200);
    },
  );
}
