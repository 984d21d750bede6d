/**
 * /console: server-rendered pages for auditors (first), over the same domain verbs as the API —
 * a person search or report made here is ledgered exactly as through /v1/audit (§5.4).
 * Sign-in by OpenID Connect (oidc-routes.tsx) when configured, or by a one-time login link: a §2
 * token for `GET /console/login`, signed with the member's key (`huren console login --key FILE`),
 * single use through the replay store.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppDeps } from "../deps.ts";
import type { AppEnv } from "../http/middleware.ts";
import { authenticate } from "../auth/authenticate.ts";
import { createNonceStore } from "../auth/nonces.ts";
import { searchLedger } from "../audit/search.ts";
import { subjectReport } from "../audit/subject-report.ts";
import { recordAccess } from "../audit/access-log.ts";
import { entriesPerHour } from "../audit/summary.ts";
import { ledgerSize, getEntry } from "../ledger/store.ts";
import { proveInclusion } from "../ledger/proofs.ts";
import { checkpointAt } from "../ledger/checkpoints.ts";
import { maskSubjectId, subjectSchema } from "../catalog/subject.ts";
import { createSessionStore } from "./session.ts";
import { clearSessionCookie, consoleHeaders, formOf, loadSession, requireCsrf, requireSession, setSessionCookie, type ConsoleEnv } from "./http.ts";
import { CONSOLE_CSS, PROOF_JS, RANGE_JS } from "./static/assets.ts";
import { LoginPage } from "./pages/login.tsx";
import { registerOidcSignIn } from "./oidc-routes.tsx";
import { registerDepartmentPages } from "./department-routes.tsx";
import { registerLedgerPages } from "./ledger-routes.tsx";
import { registerAdminPages } from "./admin-routes.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { AccessLogPage, FILTERS, type Filters } from "./pages/access-log.tsx";
import { EntryPage } from "./pages/entry.tsx";
import { ReportForm, ReportPage } from "./pages/report.tsx";
import { SupervisionPage } from "./pages/supervision.tsx";
import { departments, departmentTrend, ranking } from "../supervision/department-queries.ts";
import { dailyTotals, totals, windows } from "../supervision/window-queries.ts";
import { MonthlyPage } from "./pages/monthly.tsx";
import { actOnCard, countCards, listCards } from "../supervision/cards.ts";
import { monthlyReport, reportCsv } from "../supervision/report.ts";
import { addDays, cstDay, monthDays } from "../supervision/time.ts";
import { zhCN } from "./i18n/zh-CN.ts";
import { en } from "./i18n/en.ts";

const LOGIN_PATH = "/console/login";

export function registerConsole(root: OpenAPIHono<AppEnv>, deps: AppDeps) {
  const app = root as unknown as OpenAPIHono<ConsoleEnv>;
  const sessions = createSessionStore(deps.db, deps.now);
  const rememberJti = createNonceStore(deps.db, deps.now);
  const ALL = ["window", "department", "auditor", "supervisor", "consent-collector", "admin"] as const;

  app.use("/console/*", consoleHeaders(), loadSession(sessions));
  app.use("/console", consoleHeaders(), loadSession(sessions));
  app.get("/console/static/console.css", (c) => c.body(CONSOLE_CSS, 200, { "content-type": "text/css; charset=utf-8", "cache-control": "public, max-age=3600" }));
  app.get("/console/static/proof.js", (c) => c.body(PROOF_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=3600" }));
  app.get("/console/static/range.js", (c) => c.body(RANGE_JS, 200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=3600" }));

  const oidc = deps.consoleOidc !== undefined;
  if (deps.consoleOidc) registerOidcSignIn(app, deps, deps.consoleOidc, sessions);

  app.get(LOGIN_PATH, async (c) => {
    const t = c.req.query("t");
    if (!t) return c.html(<LoginPage oidc={oidc} />);
    try {
      const caller = await authenticate({
        authorization: `Bearer ${t}`,
        method: "GET",
        pathAndQuery: LOGIN_PATH,
        body: new Uint8Array(0),
        gatewayId: deps.gatewayId,
        now: deps.now(),
        findMember: (id, o) => deps.config.members.get(id, o),
        rememberJti,
      });
      if (!caller.uid) throw new Error("a console session needs the staff member's uid");
      const { token, session } = await sessions.start({ member: caller.member.id, uid: caller.uid, kind: caller.member.kind });
      setSessionCookie(c, token, session.expiresAt);
      return c.redirect("/console", 303);
    } catch {
      return c.html(<LoginPage oidc={oidc} error />, 401);
    }
  });

  app.post("/console/logout", requireCsrf(), async (c) => {
    const token = c.get("sessionToken");
    if (token) await sessions.end(token);
    clearSessionCookie(c);
    return c.redirect(LOGIN_PATH, 303);
  });

  app.get("/console", requireSession(ALL), async (c) => {
    const today = cstDay(deps.now());
    const [size, hourly, checkpoint, day, openCards] = await Promise.all([
      ledgerSize(deps.db),
      entriesPerHour(deps.db, deps.now()),
      servedCheckpoint(),
      totals(deps.db, { from: today, to: today }),
      countCards(deps.db, "open"),
    ]);
    return c.html(
      <OverviewPage
        session={c.get("session")!}
        figures={{
          ledgerSize: size,
          hourly,
          checkpointSize: checkpoint?.size,
          checkpointAgeSeconds: checkpoint?.createdAt ? Math.max(0, Math.round((deps.now().getTime() - checkpoint.createdAt.getTime()) / 1000)) : undefined,
          today: day.totals,
          openCards,
        }}
      />,
    );
  });

  const auditor = requireSession(["auditor"]);
  app.get("/console/access-log", auditor, (c) => c.html(<AccessLogPage session={c.get("session")!} filters={{}} />));
  app.post("/console/access-log", auditor, requireCsrf(), async (c) => {
    const session = c.get("session")!;
    const form = formOf(c);
    const filters: Filters = Object.fromEntries(FILTERS.map((k) => [k, form.get(k)?.trim() || undefined]).filter(([, v]) => v));
    const id = form.get("subjectId")?.trim();
    const purpose = form.get("purpose")?.trim() || undefined;
    const subject = id ? subjectSchema.safeParse({ type: form.get("subjectType"), id }) : undefined;
    const fail = (error: string) => c.html(<AccessLogPage session={session} filters={filters} purpose={purpose} error={error} />, 400);
    if (subject && !subject.success) return fail(`${zhCN.subjectId} ${en.subjectId}: ${subject.error.issues[0]?.message ?? "invalid"}`);
    if (subject && !purpose) return fail(`${zhCN.purposeHelp} ${en.purposeHelp}`);
    const dated = { from: filters.from && `${filters.from}T00:00:00+08:00`, to: filters.to && `${filters.to}T23:59:59.999+08:00` };
    const query = { ...filters, ...dated, decision: filters.decision as never, subject: subject?.data, cursor: form.get("cursor") || undefined, limit: 50 };
    const page = await searchLedger(deps.db, deps.secrets, query);
    if (purpose) await recordAccess(deps, { kind: "audit-access", action: "search", requester: session.member, uid: session.uid, purpose, subject: subject?.data, filters: { ...filters, via: "console" } });
    return c.html(<AccessLogPage session={session} filters={filters} purpose={purpose} hits={page.entries} nextCursor={subject ? null : page.nextCursor} />);
  });

  app.get("/console/entries/:index{[0-9]{1,15}}", auditor, async (c) => {
    const index = Number(c.req.param("index"));
    const entry = await getEntry(deps.db, index);
    if (!entry) return c.notFound();
    const checkpoint = await servedCheckpoint();
    const covered = checkpoint && checkpoint.size > index ? checkpoint : undefined;
    const proof = covered ? (await proveInclusion(deps.db, index, covered.size)).hashes : [];
    return c.html(<EntryPage session={c.get("session")!} view={{ index, leafHash: entry.leafHash, entry: entry.entry, checkpoint: covered?.note, ledgerKey: deps.ledger.signer.verifierKey, proof }} />);
  });

  app.get("/console/report", auditor, (c) => c.html(<ReportForm session={c.get("session")!} />));
  const report = async (c: Context<ConsoleEnv>) => {
    const session = c.get("session")!;
    const form = formOf(c);
    const subject = subjectSchema.safeParse({ type: form.get("subjectType"), id: form.get("subjectId")?.trim() });
    const purpose = form.get("purpose")?.trim();
    if (!subject.success || !purpose) return undefined;
    const result = await subjectReport(deps.db, deps.secrets, subject.data, { limit: 1000 });
    await recordAccess(deps, { kind: "audit-access", action: "subject-report", requester: session.member, uid: session.uid, purpose, subject: subject.data, filters: { via: "console" } });
    return { session, subject: subject.data, purpose, accesses: result.accesses, checkpoint: await servedCheckpoint() };
  };
  app.post("/console/report", auditor, requireCsrf(), async (c) => {
    const r = await report(c);
    if (!r) return c.html(<ReportForm session={c.get("session")!} />, 400);
    return c.html(<ReportPage session={r.session} masked={maskSubjectId(r.subject)} accesses={r.accesses} checkpoint={r.checkpoint?.note} subjectType={r.subject.type} subjectId={r.subject.id} purpose={r.purpose} />);
  });
  app.post("/console/report.json", auditor, requireCsrf(), async (c) => {
    const r = await report(c);
    if (!r) return c.text("400", 400);
    const payload = { iss: deps.gatewayId, iat: Math.floor(deps.now().getTime() / 1000), subject: { type: r.subject.type, masked: maskSubjectId(r.subject) }, purpose: r.purpose, accesses: r.accesses, checkpoint: r.checkpoint?.note ?? null };
    const jws = await deps.keys.signer.signJson("huren-report+jwt", payload);
    return c.body(JSON.stringify({ report: payload, jws }, null, 2), 200, { "content-type": "application/json; charset=utf-8", "content-disposition": `attachment; filename="huren-report-${payload.iat}.json"` });
  });

  const supervisor = requireSession(["supervisor", "admin"]);
  app.get("/console/supervision", supervisor, async (c) => {
    const day = cstDay(deps.now());
    const range = { from: day, to: day };
    const [t, rank, depts, wins, open, acknowledged, trend] = await Promise.all([
      totals(deps.db, range),
      ranking(deps.db, day),
      departments(deps.db, range),
      windows(deps.db, range),
      listCards(deps.db, { state: "open" }),
      listCards(deps.db, { state: "acknowledged" }),
      departmentTrend(deps.db, { from: addDays(day, -13), to: day }),
    ]);
    const view = { day, month: day.slice(0, 7), totals: t.totals, ranking: rank, departments: depts, windows: wins, cards: [...open, ...acknowledged], trend };
    return c.html(<SupervisionPage session={c.get("session")!} view={view} />);
  });
  // Acting on a card is the supervision office's (PROTOCOL §10), as on the API: admins read only.
  app.post("/console/supervision/cards/:id", requireSession(["supervisor"]), requireCsrf(), async (c) => {
    const session = c.get("session")!;
    const form = formOf(c);
    const action = form.get("action");
    const note = form.get("note")?.trim();
    if ((action !== "acknowledge" && action !== "close") || !note || note.length > 500) return c.text("400 — 请填写备注 / a note is required", 400);
    await actOnCard(deps.db, c.req.param("id"), { action, note, by: `${session.member}/${session.uid}`, at: deps.now() });
    return c.redirect("/console/supervision", 303);
  });
  app.get("/console/supervision/monthly", supervisor, async (c) => {
    const month = c.req.query("month") ?? cstDay(deps.now()).slice(0, 7);
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) return c.text("400 — 月份格式为 YYYY-MM / month is YYYY-MM", 400);
    const range = monthDays(month);
    const [report, days, trend] = await Promise.all([monthlyReport(deps.db, month), dailyTotals(deps.db, range), departmentTrend(deps.db, range)]);
    return c.html(<MonthlyPage session={c.get("session")!} view={{ report, days, trend }} />);
  });
  app.get("/console/supervision/report.csv", supervisor, async (c) => {
    const month = c.req.query("month") ?? cstDay(deps.now()).slice(0, 7);
    if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) return c.text("400 — month is YYYY-MM", 400);
    return c.body(reportCsv(await monthlyReport(deps.db, month)), 200, { "content-type": "text/csv; charset=utf-8", "content-disposition": `attachment; filename="huren-supervision-${month}.csv"` });
  });

  registerDepartmentPages(app, deps);
  registerLedgerPages(app, deps, servedCheckpoint);
  registerAdminPages(app, deps);

  /** The checkpoint /v1/ledger/checkpoint serves, read through the public route itself. */
  async function servedCheckpoint(): Promise<{ note: string; size: number; createdAt: Date | undefined } | undefined> {
    const res = await root.request("/v1/ledger/checkpoint");
    if (!res.ok) return undefined;
    const note = await res.text();
    const size = Number(note.split("\n")[1]);
    if (!Number.isSafeInteger(size)) return undefined;
    return { note, size, createdAt: (await checkpointAt(deps.db, size))?.createdAt };
  }
}
