/** /v1/members: admin registers members and their keys; each member's JWKS is public. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { notFound } from "../errors.ts";
import { getMember, listMembers, memberBodySchema, memberIdSchema, putMember } from "../members/members.ts";
import { jsonContent, signedProblems, type RouteKit } from "./kit.ts";

const memberSchema = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  region: z.string().nullable(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const idParam = z.object({ id: memberIdSchema });
const security = [{ signedRequest: [] }];

export function registerMemberRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db } = kit.deps;

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/members/{id}",
      tags: ["members"],
      summary: "Register or replace a member (admin). Rotate keys by adding the new key, then removing the old.",
      security,
      middleware: kit.signed(["admin"], true),
      request: { params: idParam, body: { content: { "application/json": { schema: memberBodySchema } }, required: true } },
      responses: { 200: jsonContent(memberSchema, "Replaced"), 201: jsonContent(memberSchema, "Created"), ...signedProblems },
    }),
    async (c) => {
      const { member, created } = await putMember(db, c.req.valid("param").id, c.req.valid("json"));
      return c.json(member, created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/members",
      tags: ["members"],
      summary: "List members (admin)",
      security,
      middleware: kit.signed(["admin"]),
      responses: { 200: jsonContent(z.object({ members: z.array(memberSchema) }), "Members"), ...signedProblems },
    }),
    async (c) => c.json({ members: await listMembers(db) }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/members/{id}",
      tags: ["members"],
      summary: "Show a member (admin)",
      security,
      middleware: kit.signed(["admin"]),
      request: { params: idParam },
      responses: { 200: jsonContent(memberSchema, "The member"), ...signedProblems },
    }),
    async (c) => {
      const member = await getMember(db, c.req.valid("param").id);
      if (!member) throw notFound(`member "${c.req.valid("param").id}"`);
      return c.json(member, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/members/{id}/jwks",
      tags: ["members"],
      summary: "A member's public keys (public), e.g. to check a department-signed answer or a consent token",
      request: { params: idParam },
      responses: { 200: jsonContent(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), "JWKS") },
    }),
    async (c) => {
      const member = await getMember(db, c.req.valid("param").id);
      if (!member || !member.enabled) throw notFound(`member "${c.req.valid("param").id}"`);
      c.header("cache-control", "public, max-age=60");
      return c.json(member.jwks, 200);
    },
  );
}
