/** §8 auditor routes: search, the subject report, streaming export. Person ids only in bodies. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { subjectSchema } from "../catalog/subject.ts";
import { auditSearchSchema, searchLedger } from "../audit/search.ts";
import { subjectReport } from "../audit/subject-report.ts";
import { exportEntries, exportQuerySchema } from "../audit/export.ts";
import { jsonContent, signedProblems, type RouteKit } from "./kit.ts";

const tags = ["audit"];
const security = [{ signedRequest: [] }];
const hitSchema = z.object({ index: z.number().int(), recordedAt: z.string(), entry: z.record(z.string(), z.unknown()), leafHash: z.string() });
const reportBodySchema = z.object({ subject: subjectSchema, limit: z.number().int().min(1).max(1000).default(200), cursor: z.string().max(64).optional() }).strict();

export function registerAuditRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db, secrets } = kit.deps;

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/audit/search",
      tags,
      security,
      summary: "Search the access ledger (auditor), newest first with a cursor",
      middleware: kit.signed(["auditor"], true),
      request: { body: { content: { "application/json": { schema: auditSearchSchema } }, required: true } },
      responses: { 200: jsonContent(z.object({ entries: z.array(hitSchema), nextCursor: z.string().nullable() }), "A page of entries"), ...signedProblems },
    }),
    async (c) => c.json(await searchLedger(db, secrets, c.req.valid("json")), 200),
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
      responses: { 200: jsonContent(z.object({ accesses: z.array(z.record(z.string(), z.unknown())), nextCursor: z.string().nullable() }), "The accesses, newest first"), ...signedProblems },
    }),
    async (c) => {
      const { subject, limit, cursor } = c.req.valid("json");
      return c.json(await subjectReport(db, secrets, subject, { limit, cursor }), 200);
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
      responses: { 200: { description: "application/x-ndjson or text/csv, streamed", content: { "application/x-ndjson": { schema: z.string() }, "text/csv": { schema: z.string() } } }, ...signedProblems },
    }),
    (c) => {
      const q = c.req.valid("query");
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
