/**
 * Every console route, from the app's route table (#12): without a session a page redirects to
 * sign-in; every POST refuses a session without its CSRF token; each page opens for exactly the
 * member kinds the navigation table (PAGES) gives it. A new console POST is covered by being added.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, signRequest, type Actor, type Harness } from "../harness.ts";
import { MEMBER_KINDS, type MemberKind } from "../../src/members/members.ts";
import { PAGES } from "../../src/console/pages/layout.tsx";

let h: Harness;
const cookies = new Map<MemberKind, string>();
/** Routes that need no session: sign-in itself, its OIDC legs (not configured here), static files. */
const OPEN = /^\/console\/(login|oidc\/|static\/)/;

beforeAll(async () => {
  h = await createHarness();
  for (const kind of MEMBER_KINDS) {
    const actor: Actor = { ...(await h.addMember(`sec-${kind}`, kind, kind === "window" || kind === "department" ? "220102" : undefined)), uid: `${kind}-staff` };
    const res = await h.app.request(`http://127.0.0.1/console/login?t=${await signRequest(actor, "GET", "/console/login", "")}`);
    expect(res.status).toBe(303);
    cookies.set(kind, res.headers.get("set-cookie")!.split(";")[0]!);
  }
});
afterAll(async () => {
  await h?.close();
});

const consoleRoutes = () =>
  [...new Set(h.app.routes.filter((r) => r.path.startsWith("/console") && (r.method === "GET" || r.method === "POST") && !OPEN.test(r.path)).map((r) => `${r.method} ${r.path}`))].map((s) => {
    const [method, path] = s.split(" ") as [string, string];
    // Sample values for path parameters (what they name need not exist).
    return { method, path, url: `http://127.0.0.1${path.replace(":index{[0-9]{1,15}}", "0").replace(":resource", "members").replace(/:[a-z]+/g, "sample-id")}` };
  });

describe("console routes", () => {
  it("are found in the route table", () => {
    const routes = consoleRoutes().map((r) => `${r.method} ${r.path}`);
    expect(routes).toEqual(expect.arrayContaining(["GET /console", "POST /console/logout", "POST /console/admin/:resource/:id", "POST /console/department/adapters/:id/enabled", "GET /console/ledger/range.json"]));
  });

  it("redirect to sign-in without a session", async () => {
    // Signing out without a session has nothing to sign out of: refused by the CSRF check (403).
    for (const r of consoleRoutes().filter((x) => x.path !== "/console/logout")) {
      const res = await h.app.request(r.url, { method: r.method, ...(r.method === "POST" ? { headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" } : {}) });
      expect(res.status, `${r.method} ${r.path}`).toBe(303);
      expect(res.headers.get("location"), `${r.method} ${r.path}`).toBe("/console/login");
    }
  });

  it("refuse every POST without the session's CSRF token, for every kind", async () => {
    for (const r of consoleRoutes().filter((x) => x.method === "POST")) {
      for (const [kind, cookie] of cookies) {
        const res = await h.app.request(r.url, { method: "POST", headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, body: "csrf=not-the-token" });
        expect(res.status, `${kind}: POST ${r.path}`).toBe(403);
      }
    }
  });

  it("open each page for exactly the kinds the navigation gives it", async () => {
    for (const page of PAGES) {
      for (const [kind, cookie] of cookies) {
        const res = await h.app.request(`http://127.0.0.1${page.path}`, { headers: { cookie }, redirect: "manual" });
        const allowed = page.kinds.includes(kind);
        // /console/admin redirects to its first list: followed once.
        const status = res.status === 303 && allowed ? (await h.app.request(`http://127.0.0.1${res.headers.get("location")}`, { headers: { cookie } })).status : res.status;
        expect(status, `${kind}: ${page.path}`).toBe(allowed ? 200 : 403);
      }
    }
  });
});
