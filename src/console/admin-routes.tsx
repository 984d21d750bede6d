/**
 * /console/admin (admin): list and edit members, adapters, matters, evidence types and policies
 * through the same verbs as the API; every save goes through the diff (change.tsx). A member's
 * page maps sign-in identities (PUT /v1/console/identities' verb); a policy's page dry-runs
 * (POST /v1/policies/evaluate's verb) — without a person: the form has no subject field.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppDeps } from "../deps.ts";
import { listMembers } from "../members/members.ts";
import { consoleIdentitySchema, listConsoleIdentities, putConsoleIdentity } from "../members/console-identities.ts";
import { dryRun, dryRunRequestSchema } from "../verification/dry-run.ts";
import { pretty } from "./diff.ts";
import { changeError, changeFlow } from "./change.tsx";
import { formOf, requireCsrf, requireSession, type ConsoleEnv } from "./http.ts";
import { adminResources, RESOURCES, type ResourceName } from "./admin/resources.ts";
import { AdminEditPage, AdminListPage, type EditView } from "./pages/admin.tsx";
import { zhCN } from "./i18n/zh-CN.ts";
import { en } from "./i18n/en.ts";

const isResource = (r: string): r is ResourceName => (RESOURCES as readonly string[]).includes(r);

export function registerAdminPages(app: OpenAPIHono<ConsoleEnv>, deps: AppDeps) {
  const admin = requireSession(["admin"]);
  const resources = adminResources(deps);
  const by = (c: Context<ConsoleEnv>) => ({ member: c.get("session")!.member, uid: c.get("session")!.uid });

  /** The resource and a valid id from the path, or undefined (→ 404). */
  const target = (c: Context<ConsoleEnv>) => {
    const name = c.req.param("resource") ?? "";
    const id = c.req.param("id") ?? "";
    if (!isResource(name) || !resources[name].idSchema.safeParse(id).success) return undefined;
    return { name, id, resource: resources[name] };
  };

  const editPage = async (c: Context<ConsoleEnv>, name: ResourceName, id: string, extra: Partial<EditView> = {}, status: 200 | 422 = 200) => {
    const current = await resources[name].get(id);
    const view: EditView = { resource: name, id, exists: current !== undefined, document: pretty(current ?? resources[name].template), ...extra };
    if (name === "members" && current !== undefined) {
      view.identities = await listConsoleIdentities(deps.db, id);
      const m = current as { kind: string; grants?: EditView["grants"] };
      if (m.kind === "department") view.grants = m.grants ?? { evidenceTypes: [], hosts: [] };
    }
    if (name === "policies" && current !== undefined) {
      view.windows = (await listMembers(deps.db)).filter((m) => m.kind === "window").map((m) => m.id);
      view.dryRun ??= { input: {} };
    }
    return c.html(<AdminEditPage session={c.get("session")!} view={view} />, status);
  };

  app.get("/console/admin", admin, (c) => c.redirect("/console/admin/members", 303));

  app.get("/console/admin/:resource", admin, async (c) => {
    const name = c.req.param("resource");
    if (!isResource(name)) return c.notFound();
    const id = c.req.query("id")?.trim();
    if (id !== undefined) return resources[name].idSchema.safeParse(id).success ? c.redirect(`/console/admin/${name}/${encodeURIComponent(id)}`, 303) : c.text(`400 — ${zhCN.id} ${en.id}`, 400);
    return c.html(<AdminListPage session={c.get("session")!} resource={name} columns={resources[name].columns} rows={await resources[name].list()} />);
  });

  app.get("/console/admin/:resource/:id", admin, async (c) => {
    const t = target(c);
    return t ? editPage(c, t.name, t.id) : c.notFound();
  });

  app.post("/console/admin/:resource/:id", admin, requireCsrf(), async (c) => {
    const t = target(c);
    if (!t) return c.notFound();
    const path = `/console/admin/${t.name}/${encodeURIComponent(t.id)}`;
    return changeFlow(c, {
      what: `${t.name} ${t.id}`,
      action: path,
      back: path,
      current: () => t.resource.get(t.id),
      schema: t.resource.schema,
      propose: (form) => {
        try {
          return JSON.parse(form.get("document") ?? "");
        } catch {
          throw new Error(`${zhCN.invalidJson} · ${en.invalidJson}`);
        }
      },
      apply: (body) => t.resource.put(t.id, body, by(c)),
    });
  });

  // A department's grants: the member's PUT body with `grants` replaced, through the same diff.
  app.post("/console/admin/:resource/:id/grants", admin, requireCsrf(), async (c) => {
    const t = target(c);
    if (!t || t.name !== "members") return c.notFound();
    const path = `/console/admin/members/${encodeURIComponent(t.id)}`;
    const lines = (text: string | null) => (text ?? "").split(/[\r\n,，]+/).map((l) => l.trim()).filter(Boolean);
    return changeFlow(c, {
      what: `grants of ${t.id}`,
      action: `${path}/grants`,
      back: path,
      current: () => t.resource.get(t.id),
      schema: t.resource.schema,
      propose: (form, current) => {
        if (!current) throw new Error(`${zhCN.notFoundRecord} · ${en.notFoundRecord}`);
        return { ...(current as Record<string, unknown>), grants: { evidenceTypes: lines(form.get("evidenceTypes")), hosts: lines(form.get("hosts")) } };
      },
      apply: (body) => t.resource.put(t.id, body, by(c)),
    });
  });

  app.post("/console/admin/:resource/:id/identities", admin, requireCsrf(), async (c) => {
    const t = target(c);
    if (!t || t.name !== "members") return c.notFound();
    const form = formOf(c);
    // Which (issuer, subject) is changed: from the form, or from the proposal on confirm.
    let key: { issuer: string; subject: string };
    try {
      const p = form.get("confirm") === "1" ? (JSON.parse(form.get("proposal") ?? "") as { issuer?: string; subject?: string }) : { issuer: form.get("issuer")?.trim(), subject: form.get("subject")?.trim() };
      key = { issuer: p.issuer ?? "", subject: p.subject ?? "" };
    } catch {
      return c.text("400", 400);
    }
    const path = `/console/admin/members/${encodeURIComponent(t.id)}`;
    return changeFlow(c, {
      what: `console identity ${key.subject}`,
      action: `${path}/identities`,
      back: path,
      current: async () => {
        const found = (await listConsoleIdentities(deps.db)).find((i) => i.issuer === key.issuer && i.subject === key.subject);
        return found && { issuer: found.issuer, subject: found.subject, member: found.member, uid: found.uid, enabled: found.enabled };
      },
      schema: consoleIdentitySchema,
      propose: (f) => ({ issuer: key.issuer, subject: key.subject, member: t.id, uid: f.get("uid")?.trim() ?? "", enabled: f.get("enabled") !== "false" }),
      apply: async (body) => void (await putConsoleIdentity(deps.db, body, `${by(c).member}/${by(c).uid}`)),
    });
  });

  app.post("/console/admin/:resource/:id/dry-run", admin, requireCsrf(), async (c) => {
    const t = target(c);
    if (!t || t.name !== "policies") return c.notFound();
    const form = formOf(c);
    const input = Object.fromEntries(["requester", "uid", "matter", "evidence", "at"].map((k) => [k, form.get(k)?.trim() ?? ""]));
    const types = input.evidence!.split(/[,，\s]+/).filter(Boolean);
    const request = dryRunRequestSchema.safeParse({
      requester: input.requester,
      matter: input.matter,
      ...(input.uid ? { uid: input.uid } : {}),
      ...(types.length ? { evidence: types.map((type) => ({ type })) } : {}),
      // datetime-local is the service hall's wall clock: China Standard Time.
      ...(input.at ? { at: `${input.at.length === 16 ? `${input.at}:00` : input.at}+08:00` } : {}),
    });
    if (!request.success) return editPage(c, "policies", t.id, { dryRun: { input, error: request.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join(" · ") } }, 422);
    try {
      return await editPage(c, "policies", t.id, { dryRun: { input, result: await dryRun(deps, request.data) } });
    } catch (err) {
      const message = changeError(err);
      if (message === undefined) throw err;
      return editPage(c, "policies", t.id, { dryRun: { input, error: message } }, 422);
    }
  });
}
