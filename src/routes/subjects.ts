/**
 * §8 v1.1, the person's own access report: the city's service app (a consent collector, which
 * has authenticated the person, as it does for consents) asks who accessed this person's data.
 * The same accesses as the auditor's subject report, each with its ledger index and leaf hash;
 * the call itself is ledgered (`subject-access`) after the query and before the answer.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { subjectSchema } from "../catalog/subject.ts";
import { subjectReport } from "../audit/subject-report.ts";
import { recordAccess } from "../audit/access-log.ts";
import { jsonContent, signedProblems, type RouteKit } from "./kit.ts";

const bodySchema = z.object({ subject: subjectSchema, limit: z.number().int().min(1).max(1000).default(200), cursor: z.string().max(64).optional() }).strict();
const accessSchema = z
  .object({ kind: z.enum(["verification", "audit-access", "subject-access"]), time: z.string(), index: z.number().int(), leafHash: z.string() })
  .catchall(z.unknown())
  .describe("verification: window, operator, matter, case, items; audit-access / subject-access: by, operator, action, purpose");

export function registerSubjectRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db, secrets } = kit.deps;
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/subjects/access-report",
      tags: ["subjects"],
      security: [{ signedRequest: [] }],
      summary: "The person's own report: every access to their data, auditors' included, each with its ledger index and leaf hash (consent collector; ledgered)",
      middleware: kit.signed(["consent-collector"], true),
      request: { body: { content: { "application/json": { schema: bodySchema } }, required: true } },
      responses: {
        200: jsonContent(z.object({ accesses: z.array(accessSchema), nextCursor: z.string().nullable() }), "The accesses, newest first"),
        ...signedProblems,
        503: jsonContent(z.object({}), "ledger-unavailable: the access could not be recorded, so nothing is answered"),
      },
    }),
    async (c) => {
      const { subject, limit, cursor } = c.req.valid("json");
      const caller = c.get("caller");
      const report = await subjectReport(db, secrets, subject, { limit, cursor });
      await recordAccess(kit.deps, { kind: "subject-access", action: "access-report", requester: caller.member.id, uid: caller.uid, subject, filters: {} });
      return c.json(report, 200);
    },
  );
}
