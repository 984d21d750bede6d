/**
 * /v1/adapters: admin or the owning department registers how a department answers, checks it,
 * and sees its state. A department sees and manages only its own adapters; to it, another
 * department's adapter does not exist (404), except that taking one over by PUT is a 403.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { HurenError, notFound } from "../errors.ts";
import { memberIdSchema } from "../members/members.ts";
import { adapterBodySchema } from "../sources/adapter-config.ts";
import { getAdapter, listAdapterVersions } from "../sources/store.ts";
import { putAdapter } from "../sources/register.ts";
import { checkAdapter, getAdapterStatus, listAdapterStatus } from "../sources/status.ts";
import { keepSealed } from "../sources/keep-sealed.ts";
import { CHECK_CODES, type CheckCode } from "../sources/check-report.ts";
import { jsonContent, problem, signedProblems, type RouteKit } from "./kit.ts";

const checkStepSchema = z.object({
  step: z.enum(["config", "reachability", "probe", "schema", "signature"]),
  status: z.enum(["pass", "fail", "skip"]),
  code: z.enum(Object.keys(CHECK_CODES) as [CheckCode, ...CheckCode[]]).optional().describe("A failed step's stable code (docs/departments.md); the report never carries socket errors or statuses"),
  detail: z.string(),
  ms: z.number().optional(),
});
const checkReportSchema = z.object({
  ok: z.boolean().describe("true only when the check passed"),
  outcome: z.enum(["passed", "failed", "unproven"]).optional().describe("unproven: nothing failed, but without a probe nothing showed the adapter finds a record"),
  adapter: z.string(),
  kind: z.enum(["http", "sql", "fixture"]),
  version: z.number().int().optional(),
  checkedAt: z.string(),
  ms: z.number(),
  steps: z.array(checkStepSchema),
});
const adapterSchema = z.object({
  id: z.string(),
  department: z.string(),
  kind: z.enum(["http", "sql", "fixture"]),
  evidenceTypes: z.array(z.string()),
  config: z.record(z.string(), z.unknown()).describe('Secrets (connection strings, fixture records, probe subjects) read "(sealed)"'),
  enabled: z.boolean(),
  version: z.number().int(),
  updatedAt: z.string(),
  lastCheck: checkReportSchema.nullable(),
});
const healthSchema = z
  .object({
    version: z.number().int().nullable().describe("The version this gateway process runs; null if it has not used the adapter yet"),
    breaker: z.object({ state: z.enum(["closed", "open", "half-open"]), consecutiveFailures: z.number().int(), retryAt: z.string().optional() }),
    inFlight: z.number().int(),
    recent: z.object({
      windowSeconds: z.number(),
      lookups: z.number().int(),
      failures: z.number().int(),
      errorRate: z.number(),
      latencyMs: z.object({ p50: z.number(), p95: z.number(), max: z.number() }).nullable(),
      errors: z.record(z.string(), z.number()),
      lastError: z.object({ code: z.string(), at: z.string() }).nullable(),
    }),
  })
  .describe("What this gateway process has seen (each process keeps its own breaker and statistics)");
const adapterStatusSchema = adapterSchema.extend({
  state: z.enum(["enabled", "disabled", "not-granted", "failing"]).describe("not-granted: enabled, but never asked: its department is disabled or granted none of its evidence types (PROTOCOL §4)"),
  notGranted: z.array(z.string()).describe("Its evidence types the gateway does not ask it for (not in the department's grants.evidenceTypes; all of them while the department is disabled)"),
  health: healthSchema,
});
const versionSchema = z.object({
  version: z.number().int(),
  department: z.string(),
  kind: z.enum(["http", "sql", "fixture"]),
  evidenceTypes: z.array(z.string()),
  config: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  changedBy: z.string().nullable(),
  createdAt: z.string(),
});
const idParam = z.object({ id: memberIdSchema });
const security = [{ signedRequest: [] }];
const tags = ["adapters"];
const notFoundProblem = { 404: jsonContent(z.object({}), "No such adapter (or it belongs to another department)") };

const notYours = (id: string) => new HurenError("forbidden", 403, "Forbidden", `adapter "${id}" belongs to another department`);

export function registerAdapterRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db, secrets, resolver, gatewayId, now, reach } = kit.deps;

  /** The adapter if the caller may see it; else 404, so departments cannot probe others' ids. */
  const visible = async (id: string, caller: { id: string; kind: string }) => {
    const adapter = await getAdapter(db, id);
    if (!adapter || (caller.kind === "department" && adapter.department !== caller.id)) throw notFound(`adapter "${id}"`);
    return adapter;
  };

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/adapters/{id}",
      tags,
      security,
      summary: 'Register or change an adapter (admin, or the owning department). A change is a new version; secrets are never echoed, and a config value sent back as "(sealed)" keeps the stored one.',
      middleware: kit.signed(["admin", "department"], true),
      request: { params: idParam, body: { content: { "application/json": { schema: adapterBodySchema } }, required: true } },
      responses: {
        200: jsonContent(adapterSchema, "Changed (a new version), or unchanged"),
        201: jsonContent(adapterSchema, "Created"),
        ...signedProblems,
        403: problem("forbidden-for-kind; forbidden (another department's adapter); evidence-type-not-granted (a department registering a type it was not granted, PROTOCOL §4)"),
        409: jsonContent(z.object({}), "Another enabled adapter answers for one of these types in this region"),
        422: problem(
          "invalid-adapter-config, unknown-evidence-type (unknown department or evidence type, claim mapping that does not fit); host-not-granted (a host outside the department's grants.hosts, or never reachable, for admins too: link-local, metadata, the gateway's own database; PROTOCOL §4)",
        ),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const caller = c.get("caller").member;
      const body = await keepSealed(db, secrets, id, c.req.valid("json"));
      if (caller.kind === "department") {
        const existing = await getAdapter(db, id);
        if (body.department !== caller.id || (existing && existing.department !== caller.id)) throw notYours(id);
      }
      const { created, adapter } = await putAdapter(db, secrets, id, body, { id: caller.id, kind: caller.kind }, { reach });
      return c.json(adapter, created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/adapters",
      tags,
      security,
      summary: "List adapters with state (enabled, disabled, failing), last check and recent error rate and latency (admin: all; a department: its own)",
      middleware: kit.signed(["admin", "department"]),
      responses: { 200: jsonContent(z.object({ adapters: z.array(adapterStatusSchema) }), "Adapters"), ...signedProblems },
    }),
    async (c) => {
      const caller = c.get("caller").member;
      return c.json({ adapters: await listAdapterStatus({ db, resolver }, caller.kind === "department" ? caller.id : undefined) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/adapters/{id}",
      tags,
      security,
      summary: "Show an adapter with its state (admin, or the owning department)",
      middleware: kit.signed(["admin", "department"]),
      request: { params: idParam },
      responses: { 200: jsonContent(adapterStatusSchema, "The adapter"), ...signedProblems, ...notFoundProblem },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await visible(id, c.get("caller").member);
      return c.json((await getAdapterStatus({ db, resolver }, id))!, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/adapters/{id}/versions",
      tags,
      security,
      summary: "Every version of an adapter's registration, oldest first: what a ledger entry's adapterVersion refers to",
      middleware: kit.signed(["admin", "department"]),
      request: { params: idParam },
      responses: { 200: jsonContent(z.object({ versions: z.array(versionSchema) }), "Versions"), ...signedProblems, ...notFoundProblem },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await visible(id, c.get("caller").member);
      return c.json({ versions: await listAdapterVersions(db, id) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/adapters/{id}/check",
      tags,
      security,
      summary:
        "Run the conformance check against the adapter's current version: config, reachability, a probe lookup of its test subject, claims schema, answer signature. Answers 200 with every step, passed or not.",
      middleware: kit.signed(["admin", "department"]),
      request: { params: idParam },
      responses: { 200: jsonContent(checkReportSchema, "The check report (also stored as the adapter's lastCheck)"), ...signedProblems, ...notFoundProblem },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await visible(id, c.get("caller").member);
      const failures: string[] = [];
      // The raw failure (socket error, status, SQLSTATE) is the operator's, in the request's log
      // event; the department gets the stable code only (src/sources/check-report.ts).
      const report = await checkAdapter({ db, secrets, resolver, gatewayId, now }, id, (step, detail) => failures.push(`${step}: ${detail}`));
      c.get("logFields").check = report.ok ? "pass" : "fail";
      if (failures.length) c.get("logFields").checkFailures = failures;
      return c.json(report, 200);
    },
  );
}
