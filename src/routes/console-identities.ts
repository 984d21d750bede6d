/**
 * /v1/console/identities (admin): which OpenID Connect subject signs in to the console as which
 * member and staff uid (#12). One PUT per (issuer, subject), carried in the body because a
 * subject may hold any printable character; `enabled: false` revokes without losing the record.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { consoleIdentitySchema, listConsoleIdentities, putConsoleIdentity } from "../members/console-identities.ts";
import { memberIdSchema } from "../members/members.ts";
import { jsonContent, problemSchema, signedProblems, type RouteKit } from "./kit.ts";

const identitySchema = z.object({
  issuer: z.string().describe('"" = the issuer the gateway is configured with (HUREN_OIDC_ISSUER)'),
  subject: z.string(),
  member: z.string(),
  uid: z.string(),
  enabled: z.boolean(),
  changedBy: z.string(),
  updatedAt: z.string(),
});
const security = [{ signedRequest: [] }];
const tags = ["console"];

export function registerConsoleIdentityRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db } = kit.deps;

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/console/identities",
      tags,
      security,
      summary: "Map an OpenID Connect subject to a member and staff uid for console sign-in (admin); enabled: false revokes",
      middleware: kit.signed(["admin"], true),
      request: { body: { content: { "application/json": { schema: consoleIdentitySchema } }, required: true } },
      responses: {
        200: jsonContent(identitySchema, "Replaced"),
        201: jsonContent(identitySchema, "Created"),
        ...signedProblems,
        422: { description: "unknown-member: no such member", content: { "application/problem+json": { schema: problemSchema } } },
      },
    }),
    async (c) => {
      const { identity, created } = await putConsoleIdentity(db, c.req.valid("json"), c.get("caller").member.id);
      return c.json(identity, created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/console/identities",
      tags,
      security,
      summary: "List console sign-in identities (admin), optionally of one member",
      middleware: kit.signed(["admin"]),
      request: { query: z.object({ member: memberIdSchema.optional() }) },
      responses: { 200: jsonContent(z.object({ identities: z.array(identitySchema) }), "Identities"), ...signedProblems },
    }),
    async (c) => c.json({ identities: await listConsoleIdentities(db, c.req.valid("query").member) }, 200),
  );
}
