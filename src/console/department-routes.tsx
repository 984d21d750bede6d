/**
 * /console/department: a department's adapters (department kind: its own; admin: any, or one
 * department with ?department=). Reads and the check go through the verbs /v1/adapters uses
 * (listAdapterStatus, checkAdapter, keepSealed + putAdapter), with the same ownership rule: to a
 * department, another department's adapter does not exist.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppDeps } from "../deps.ts";
import { HurenError } from "../errors.ts";
import { memberIdSchema } from "../members/members.ts";
import { adapterBodySchema, type AdapterBody } from "../sources/adapter-config.ts";
import { adapterBodyOf, getAdapter, listAdapterVersions } from "../sources/store.ts";
import { putAdapter } from "../sources/register.ts";
import { checkAdapter, listAdapterStatus } from "../sources/status.ts";
import { keepSealed } from "../sources/keep-sealed.ts";
import { departmentCallers, departments } from "../supervision/department-queries.ts";
import { addDays, cstDay } from "../supervision/time.ts";
import { changeFlow } from "./change.tsx";
import { requireCsrf, requireSession, type ConsoleEnv } from "./http.ts";
import { DepartmentPage, type DepartmentView } from "./pages/department.tsx";
import type { CheckReport } from "../sources/check.ts";

export function registerDepartmentPages(app: OpenAPIHono<ConsoleEnv>, deps: AppDeps) {
  const { db, resolver, secrets, gatewayId, now } = deps;
  const allowed = requireSession(["department", "admin"]);

  /** The department the page is about: a department's own; for admin, ?department= or all. */
  const departmentOf = (c: Context<ConsoleEnv>): string | undefined => {
    const session = c.get("session")!;
    if (session.kind === "department") return session.member;
    const q = c.req.query("department");
    return q && memberIdSchema.safeParse(q).success ? q : undefined;
  };
  /** The adapter, if this session may see it (404 otherwise, as in the API). */
  const visible = async (c: Context<ConsoleEnv>, id: string) => {
    const session = c.get("session")!;
    const adapter = memberIdSchema.safeParse(id).success ? await getAdapter(db, id) : undefined;
    return adapter && (session.kind !== "department" || adapter.department === session.member) ? adapter : undefined;
  };

  const render = async (c: Context<ConsoleEnv>, check?: CheckReport) => {
    const department = departmentOf(c);
    const today = cstDay(now());
    const [list, week, callers] = await Promise.all([
      listAdapterStatus({ db, resolver }, department),
      departments(db, { from: addDays(today, -6), to: today }),
      department ? departmentCallers(db, department, { from: addDays(today, -29), to: today }) : Promise.resolve([]),
    ]);
    const perAdapter = new Map(week.flatMap((d) => d.adapters.map((a) => [`${d.department}\u0000${a.adapter}`, a] as const)));
    const adapters = await Promise.all(
      list.map(async (a) => ({ ...a, versions: await listAdapterVersions(db, a.id), week: perAdapter.get(`${a.department}\u0000${a.id}`) })),
    );
    const view: DepartmentView = { department, adapters, callers, check };
    return c.html(<DepartmentPage session={c.get("session")!} view={view} />);
  };

  app.get("/console/department", allowed, (c) => render(c));

  app.post("/console/department/adapters/:id/check", allowed, requireCsrf(), async (c) => {
    const adapter = await visible(c, c.req.param("id"));
    if (!adapter) return c.notFound();
    const report = await checkAdapter({ db, secrets, resolver, gatewayId, now }, adapter.id);
    return render(c, report);
  });

  app.post("/console/department/adapters/:id/enabled", allowed, requireCsrf(), async (c) => {
    const session = c.get("session")!;
    const adapter = await visible(c, c.req.param("id"));
    if (!adapter) return c.notFound();
    const back = `/console/department${session.kind === "admin" && c.req.query("department") ? `?department=${encodeURIComponent(c.req.query("department")!)}` : ""}`;
    return changeFlow(c, {
      what: `adapter ${adapter.id}`,
      action: `/console/department/adapters/${adapter.id}/enabled${back.slice("/console/department".length)}`,
      back,
      current: async () => {
        const now = await getAdapter(db, adapter.id);
        return now && adapterBodyOf(now);
      },
      schema: adapterBodySchema,
      propose: (form, current) => ({ ...(current as AdapterBody), enabled: form.get("enabled") === "true" }),
      apply: async (body) => {
        // The same rule as PUT /v1/adapters/{id}: a department changes only its own adapters, and cannot give one away.
        if (session.kind === "department" && body.department !== session.member) throw new HurenError("forbidden", 403, "Forbidden", `adapter "${adapter.id}" would belong to another department`);
        await putAdapter(db, secrets, adapter.id, await keepSealed(db, secrets, adapter.id, body), { id: session.member, kind: session.kind }, { reach: deps.reach });
      },
    });
  });
}
