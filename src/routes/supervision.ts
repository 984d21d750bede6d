/**
 * §10 supervision routes (电子监察): departments, the daily ranking, windows and operators,
 * denials, cards and rules, the monthly report. Kind `supervisor` (and `admin`); rules are
 * written by admin only. No answer names a person or a case.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { HurenError } from "../errors.ts";
import type { Range } from "../supervision/rollup-reads.ts";
import { departments, ranking } from "../supervision/department-queries.ts";
import { totals, windows } from "../supervision/window-queries.ts";
import { actOnCard, CARD_STATES, listCards } from "../supervision/cards.ts";
import { listRules, putRule } from "../supervision/rules-store.ts";
import { ruleSchema } from "../supervision/rules.ts";
import { monthlyReport, reportCsv } from "../supervision/report.ts";
import { addDays, cstDay, isDay } from "../supervision/time.ts";
import { jsonContent, problemSchema, signedProblems, type RouteKit } from "./kit.ts";

const tags = ["supervision"];
const security = [{ signedRequest: [] }];
const READERS = ["supervisor", "admin"] as const;
const day = z.string().refine(isDay, "a CST calendar day, YYYY-MM-DD");
const rangeQuery = z.object({ from: day.optional(), to: day.optional() });
const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: problemSchema } } });
const figures = z.record(z.string(), z.unknown());
const noteBody = z.object({ note: z.string().min(1).max(2000) }).strict();
const cardId = z.object({ id: z.string().min(1).max(64) });
const ruleId = z.object({ id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/) });

/** Defaults to today (CST); at most 366 days, so one call cannot ask for a decade of rows. */
function rangeOf(q: { from?: string | undefined; to?: string | undefined }, now: Date): Range {
  const to = q.to ?? q.from ?? cstDay(now);
  const from = q.from ?? to;
  if (from > to) throw new HurenError("bad-range", 400, "Bad range", "from must not be after to");
  if (addDays(from, 366) <= to) throw new HurenError("bad-range", 400, "Bad range", "at most 366 days");
  return { from, to };
}

export function registerSupervisionRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db, now } = kit.deps;
  const get = <Q extends z.ZodObject>(path: string, summary: string, query: Q, response: z.ZodType) =>
    createRoute({ method: "get", path, tags, security, summary, middleware: kit.signed(READERS), request: { query }, responses: { 200: jsonContent(response, summary), ...signedProblems } });

  app.openapi(
    get("/v1/supervision/departments", "Departments: asked, answered, unavailable by code, fulfilment, p50/p95/p99 ms, breaches, per adapter too", rangeQuery, z.object({ from: z.string(), to: z.string(), departments: z.array(figures) })),
    async (c) => {
      const r = rangeOf(c.req.valid("query"), now());
      return c.json({ ...r, departments: await departments(db, r) }, 200);
    },
  );

  app.openapi(
    get("/v1/supervision/ranking", "一天一排名: departments by fulfilment, then p95, with the day before's rank", z.object({ date: day.optional() }), z.object({ date: z.string(), ranking: z.array(figures) })),
    async (c) => {
      const date = c.req.valid("query").date ?? cstDay(now());
      return c.json({ date, ranking: await ranking(db, date) }, 200);
    },
  );

  app.openapi(
    get("/v1/supervision/windows", "Windows and operators: verifications, items, certificateFree (copies nobody had to bring), denials by reason", rangeQuery, z.object({ from: z.string(), to: z.string(), windows: z.array(figures) })),
    async (c) => {
      const r = rangeOf(c.req.valid("query"), now());
      return c.json({ ...r, windows: await windows(db, r) }, 200);
    },
  );

  app.openapi(
    get("/v1/supervision/denials", "Denied items by reason, and the totals they are part of", rangeQuery, z.object({ from: z.string(), to: z.string(), totals: figures, denials: z.record(z.string(), z.number()) })),
    async (c) => {
      const r = rangeOf(c.req.valid("query"), now());
      return c.json({ ...r, ...(await totals(db, r)) }, 200);
    },
  );

  app.openapi(
    get("/v1/supervision/cards", "Red and yellow cards, newest first", z.object({ state: z.enum(CARD_STATES).optional() }), z.object({ cards: z.array(figures) })),
    async (c) => c.json({ cards: await listCards(db, { state: c.req.valid("query").state }) }, 200),
  );

  for (const action of ["acknowledge", "close"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path: `/v1/supervision/cards/{id}/${action}`,
        tags,
        security,
        summary: action === "close" ? "Close a card with a note (supervisor)" : "Acknowledge a card with a note (supervisor)",
        // PROTOCOL §10: the supervision office acts on cards; an admin reads them but does not
        // close what supervision opened (least privilege, issue #10 route × kind table).
        middleware: kit.signed(["supervisor"], true),
        request: { params: cardId, body: { content: { "application/json": { schema: noteBody } }, required: true } },
        responses: { 200: jsonContent(figures, "The card"), ...signedProblems, 404: problem("card-not-found: no such card"), 409: problem("card-closed: a closed card takes no more actions") },
      }),
      async (c) => {
        const caller = c.get("caller");
        const by = `${caller.member.id}/${caller.uid ?? "-"}`;
        return c.json(await actOnCard(db, c.req.valid("param").id, { action, note: c.req.valid("json").note, by, at: now() }), 200);
      },
    );
  }

  app.openapi(
    get("/v1/supervision/rules", "The card rules in force (shipped defaults and the admin's)", z.object({}), z.object({ rules: z.array(figures) })),
    async (c) => c.json({ rules: (await listRules(db)).map(({ id, rule, default: isDefault }) => ({ id, ...rule, default: isDefault })) }, 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/supervision/rules/{id}",
      tags,
      security,
      summary: "Store a card rule (admin); applies from the consumer's next batch",
      middleware: kit.signed(["admin"], true),
      request: { params: ruleId, body: { content: { "application/json": { schema: ruleSchema } }, required: true } },
      responses: { 200: jsonContent(figures, "The stored rule"), ...signedProblems },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const rule = await putRule(db, id, c.req.valid("json"), c.get("caller").member.id);
      return c.json({ id, ...rule }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/supervision/reports/monthly",
      tags,
      security,
      summary: "每月统计分析: the monthly report as JSON, or CSV (UTF-8 with BOM, one section per list)",
      middleware: kit.signed(READERS),
      request: { query: z.object({ month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/), format: z.enum(["json", "csv"]).default("json") }) },
      responses: { 200: { description: "The report", content: { "application/json": { schema: figures }, "text/csv": { schema: z.string() } } }, ...signedProblems },
    }),
    async (c) => {
      const { month, format } = c.req.valid("query");
      const report = await monthlyReport(db, month);
      if (format === "json") return c.json(report, 200);
      return c.body(reportCsv(report), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="huren-supervision-${month}.csv"` });
    },
  );
}
