/**
 * /v1/members: admin registers members and their keys. A member's keys are not public: §8 lists
 * only the gateway's own JWKS, and a per-member route told anyone which member ids exist.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { notFound } from "../errors.ts";
import { getMember, listMembers, memberBodySchema, memberIdSchema, putMember } from "../members/members.ts";
import { jsonContent, problem, signedProblems, type RouteKit } from "./kit.ts";

const memberSchema = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  region: z.string().nullable(),
  jwks: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }),
  enabled: z.boolean(),
  grants: z
    .object({ evidenceTypes: z.array(z.string()), hosts: z.array(z.string()) })
    .optional()
    .describe("Departments only (PROTOCOL §4): the evidence types it issues and the hosts (names, IP addresses, CIDR ranges) its adapters may reach"),
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
      summary:
        "Register or replace a member (admin). Rotate keys by adding the new key, then removing the old. A department's `grants` (evidence types it issues, hosts its adapters may reach) are set here, by an admin only; a PUT without `grants` keeps the department's current grants.",
      security,
      middleware: kit.signed(["admin"], true),
      request: { params: idParam, body: { content: { "application/json": { schema: memberBodySchema } }, required: true } },
      responses: {
        200: jsonContent(memberSchema, "Replaced"),
        201: jsonContent(memberSchema, "Created"),
        ...signedProblems,
        400: problem(
          `${signedProblems[400].description}. For members, validation-failed also covers grants on a member that is not a department, a wildcard or malformed host, a link-local range in grants.hosts`,
        ),
      },
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
}
