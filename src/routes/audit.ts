/**
 * §8 auditor routes: search, the subject report, streaming export. Person ids only in bodies.
 * A search by person, a subject report and an export carry a `purpose` and are ledgered
 * (`audit-access`, §5.4) before anything is answered.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { subjectSchema } from "../catalog/subject.ts";
import { auditSearchSchema, searchLedger } from "../audit/search.ts";
import { subjectReport } from "../audit/subject-report.ts";
import { exportEntries, exportQuerySchema } from "../audit/export.ts";
import { purposeSchema, recordAccess } from "../audit/access-log.ts";
import { jsonContent, signedProblems, type RouteKit } from "./kit.ts";

const tags = ["audit"];
const security = [{ signedRequest: [] }];
const hitSchema = z.object({ index: z.number().int(), recordedAt: z.string(), entry: z.record(z.string(), z.unknown()), leafHash: z.string() });
const reportBodySchema = z.object({ subject: subjectSchema, purpose: purposeSchema, limit: z.number().int().min(1).max(1000).default(200), cursor: z.string().max(64).optional() }).strict();
const ledgerUnavailable = { 503: jsonContent(z.object({}), "ledger-unavailable: the access could not be recorded, so nothing is answered") };

export function registerAuditRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db, secrets } = kit.deps;
  const who = (c: { get(key: "caller"): { member: { id: string }; uid: string | undefined } }) => ({ requester: c.get("caller").member.id, uid: c.get("caller").uid });

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/audit/search",
      tags,
      security,
      summary: "Search the access ledger (auditor), newest first with a cursor",
      middleware: kit.signed(["auditor"], true),
      request: { body: { content: { "application/json": { schema: auditSearchSchema } }, required: true } },
      responses: { 200: jsonContent(z.object({ entries: z.array(hitSchema), nextCursor: z.string().nullable() }), "A page of entries"), ...signedProblems, ...ledgerUnavailable },
    }),
    async (c) => {
      const { purpose, subject, ...filters } = c.req.valid("json");
      const page = await searchLedger(db, secrets, { ...filters, subject });
      // A search naming a person always carries a purpose (the schema requires it); one with a
      // purpose but no person is ledgered too, so an auditor's case trail is complete. Recorded
      // after the query (so a page does not list the search itself) and before the answer.
      if (purpose !== undefined) await recordAccess(kit.deps, { kind: "audit-access", action: "search", ...who(c), purpose, subject, filters: { ...filters, cursor: undefined } });
      return c.json(page, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/audit/subject-report",
      tags,
      security,
      summary: "Who accessed this person's data, when, for which matter, on which basis, from which window and operator, with what outcome (auditor)",
      middleware: kit.signed(["auditor"], true),
      request: { body: { content: { "application/json": { schema: reportBodySchema } }, required: true } },
      responses: { 200: jsonContent(z.object({ accesses: z.array(z.record(z.string(), z.unknown())), nextCursor: z.string().nullable() }), "The accesses, newest first"), ...signedProblems, ...ledgerUnavailable },
    }),
    async (c) => {
      const { subject, purpose, limit, cursor } = c.req.valid("json");
      const report = await subjectReport(db, secrets, subject, { limit, cursor });
      await recordAccess(kit.deps, { kind: "audit-access", action: "subject-report", ...who(c), purpose, subject, filters: {} });
      return c.json(report, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/audit/export",
      tags,
      security,
      summary: "Stream entries oldest first as JSON Lines (what `huren ledger verify` reads) or CSV (auditor)",
      middleware: kit.signed(["auditor"]),
      request: { query: exportQuerySchema },
      responses: { 200: { description: "application/x-ndjson or text/csv, streamed", content: { "application/x-ndjson": { schema: z.string() }, "text/csv": { schema: z.string() } } }, ...signedProblems, ...ledgerUnavailable },
    }),
    async (c) => {
      const { purpose, ...q } = c.req.valid("query");
      await recordAccess(kit.deps, { kind: "audit-access", action: "export", ...who(c), purpose, filters: q });
      const lines = exportEntries(db, q);
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { value, done } = await lines.next();
          if (done) controller.close();
          else controller.enqueue(encoder.encode(value));
        },
        async cancel() {
          await lines.return(undefined);
        },
      });
      return new Response(body, {
        status: 200,
        headers: {
          "content-type": q.format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson",
          "content-disposition": `attachment; filename="huren-ledger.${q.format}"`,
          "cache-control": "no-store",
        },
      }) as never;
    },
  );
}
