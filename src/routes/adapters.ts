/** /v1/adapters: admin or the owning department registers how a department answers. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { HurenError, notFound } from "../errors.ts";
import { memberIdSchema } from "../members/members.ts";
import { adapterBodySchema, getAdapter, listAdapters, putAdapter } from "../sources/store.ts";
import { jsonContent, signedProblems, type RouteKit } from "./kit.ts";

const adapterSchema = z.object({
  id: z.string(),
  department: z.string(),
  kind: z.enum(["http", "sql", "fixture"]),
  evidenceTypes: z.array(z.string()),
  config: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  version: z.number().int(),
  updatedAt: z.string(),
});
const idParam = z.object({ id: memberIdSchema });
const security = [{ signedRequest: [] }];
const tags = ["adapters"];

const notYours = (id: string) => new HurenError("forbidden", 403, "Forbidden", `adapter "${id}" belongs to another department`);

export function registerAdapterRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db, secrets } = kit.deps;

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/adapters/{id}",
      tags,
      security,
      summary: "Register or change an adapter (admin, or the owning department). Secrets are never echoed.",
      middleware: kit.signed(["admin", "department"], true),
      request: { params: idParam, body: { content: { "application/json": { schema: adapterBodySchema } }, required: true } },
      responses: {
        200: jsonContent(adapterSchema, "Changed (a new version)"),
        201: jsonContent(adapterSchema, "Created"),
        ...signedProblems,
        409: jsonContent(z.object({}), "Another enabled adapter answers for one of these types in this region"),
        422: jsonContent(z.object({}), "Invalid config, unknown department or evidence type"),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const caller = c.get("caller").member;
      if (caller.kind === "department") {
        const existing = await getAdapter(db, id);
        if (body.department !== caller.id || (existing && existing.department !== caller.id)) throw notYours(id);
      }
      const { created, adapter } = await putAdapter(db, secrets, id, body);
      return c.json(adapter, created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({ method: "get", path: "/v1/adapters", tags, security, summary: "List adapters (admin: all; a department: its own)", middleware: kit.signed(["admin", "department"]), responses: { 200: jsonContent(z.object({ adapters: z.array(adapterSchema) }), "Adapters"), ...signedProblems } }),
    async (c) => {
      const caller = c.get("caller").member;
      return c.json({ adapters: await listAdapters(db, caller.kind === "department" ? caller.id : undefined) }, 200);
    },
  );

  app.openapi(
    createRoute({ method: "get", path: "/v1/adapters/{id}", tags, security, summary: "Show an adapter (admin, or the owning department)", middleware: kit.signed(["admin", "department"]), request: { params: idParam }, responses: { 200: jsonContent(adapterSchema, "The adapter"), ...signedProblems } }),
    async (c) => {
      const { id } = c.req.valid("param");
      const adapter = await getAdapter(db, id);
      const caller = c.get("caller").member;
      if (!adapter || (caller.kind === "department" && adapter.department !== caller.id)) throw notFound(`adapter "${id}"`);
      return c.json(adapter, 200);
    },
  );
}
