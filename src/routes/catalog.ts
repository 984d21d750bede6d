/** /v1/catalog: evidence types and matters. Any member reads; admin writes. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { notFound } from "../errors.ts";
import { MEMBER_KINDS } from "../members/members.ts";
import { evidenceTypeBodySchema, matterBodySchema, matterCodeSchema } from "../catalog/bodies.ts";
import { getEvidenceType, getMatter, listEvidenceTypes, listMatters, putEvidenceType, putMatter } from "../catalog/store.ts";
import { jsonContent, signedProblems, type RouteKit } from "./kit.ts";

const evidenceTypeSchema = z.object({
  type: z.string(),
  name: z.string(),
  issuerKind: z.string(),
  sensitivity: z.enum(["ordinary", "sensitive"]),
  claims: z.record(z.string(), z.unknown()),
  defaultFields: z.array(z.string()),
  builtin: z.boolean(),
});
const matterSchema = z.object({
  code: z.string(),
  name: z.string(),
  region: z.string(),
  requirements: z.array(z.object({ evidenceType: z.string(), exempt: z.boolean(), note: z.string().optional() })),
});
const typeParam = z.object({ type: z.string().min(1).max(64) });
const codeParam = z.object({ code: matterCodeSchema });
const security = [{ signedRequest: [] }];
const tags = ["catalog"];

export function registerCatalogRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db } = kit.deps;

  app.openapi(
    createRoute({ method: "get", path: "/v1/catalog/evidence-types", tags, security, summary: "List evidence types", middleware: kit.signed(MEMBER_KINDS), responses: { 200: jsonContent(z.object({ evidenceTypes: z.array(evidenceTypeSchema) }), "Evidence types"), ...signedProblems } }),
    async (c) => c.json({ evidenceTypes: await listEvidenceTypes(db) }, 200),
  );
  app.openapi(
    createRoute({ method: "get", path: "/v1/catalog/evidence-types/{type}", tags, security, summary: "Show an evidence type", middleware: kit.signed(MEMBER_KINDS), request: { params: typeParam }, responses: { 200: jsonContent(evidenceTypeSchema, "The evidence type"), ...signedProblems } }),
    async (c) => {
      const def = await getEvidenceType(db, c.req.valid("param").type);
      if (!def) throw notFound(`evidence type "${c.req.valid("param").type}"`);
      return c.json(def, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/catalog/evidence-types/{type}",
      tags,
      security,
      summary: "Register an evidence type (admin); built-in types cannot be redefined (409)",
      middleware: kit.signed(["admin"], true),
      request: { params: z.object({ type: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$/).max(64) }), body: { content: { "application/json": { schema: evidenceTypeBodySchema } }, required: true } },
      responses: { 200: jsonContent(evidenceTypeSchema, "Replaced"), 201: jsonContent(evidenceTypeSchema, "Created"), ...signedProblems },
    }),
    async (c) => {
      const { created, type } = await putEvidenceType(db, c.req.valid("param").type, c.req.valid("json"));
      return c.json(type, created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({ method: "get", path: "/v1/catalog/matters", tags, security, summary: "List matters with their material lists", middleware: kit.signed(MEMBER_KINDS), responses: { 200: jsonContent(z.object({ matters: z.array(matterSchema) }), "Matters"), ...signedProblems } }),
    async (c) => c.json({ matters: await listMatters(db) }, 200),
  );
  app.openapi(
    createRoute({ method: "get", path: "/v1/catalog/matters/{code}", tags, security, summary: "Show a matter", middleware: kit.signed(MEMBER_KINDS), request: { params: codeParam }, responses: { 200: jsonContent(matterSchema, "The matter"), ...signedProblems } }),
    async (c) => {
      const matter = await getMatter(db, c.req.valid("param").code);
      if (!matter) throw notFound(`matter "${c.req.valid("param").code}"`);
      return c.json(matter, 200);
    },
  );
  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/catalog/matters/{code}",
      tags,
      security,
      summary: "Register a matter and its material list (admin); `exempt` marks what windows no longer ask people to bring",
      middleware: kit.signed(["admin"], true),
      request: { params: codeParam, body: { content: { "application/json": { schema: matterBodySchema } }, required: true } },
      responses: { 200: jsonContent(matterSchema, "Replaced"), 201: jsonContent(matterSchema, "Created"), ...signedProblems },
    }),
    async (c) => {
      const { created, matter } = await putMatter(db, c.req.valid("param").code, c.req.valid("json"));
      return c.json(matter, created ? 201 : 200);
    },
  );
}
