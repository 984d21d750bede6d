/**
 * One table of every signed route × every member kind (issue #10 point 10), derived from the
 * route registry the app builds for /openapi.json: a signed route without a row in
 * test/support/route-kinds.ts fails, as does a row naming no route. Then each route is called,
 * validly signed, by a member of every kind: the kinds in its row are never refused for their
 * kind (no 403, no 401), every other kind gets 403 `forbidden-for-kind`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEMBER_KINDS, type MemberKind } from "../../src/members/members.ts";
import { createHarness, type Actor, type Harness } from "../harness.ts";
import { ROUTE_KINDS, SAMPLE_PARAMS } from "../support/route-kinds.ts";

let h: Harness;
const actors = {} as Record<MemberKind, Actor>;

beforeAll(async () => {
  h = await createHarness();
  for (const kind of MEMBER_KINDS) actors[kind] = await h.addMember(`rk-${kind}`, kind, kind === "window" || kind === "department" ? "220102" : undefined);
});
afterAll(async () => {
  await h?.close();
});

/** `METHOD /path` of every route the registry marks as signed. */
function signedRoutes(): string[] {
  const routes: string[] = [];
  for (const def of h.app.openAPIRegistry.definitions as { type: string; route?: { method: string; path: string; security?: Record<string, unknown>[] } }[]) {
    if (def.type !== "route" || !def.route) continue;
    if (!(def.route.security ?? []).some((s) => "signedRequest" in s)) continue;
    routes.push(`${def.route.method.toUpperCase()} ${def.route.path}`);
  }
  return routes;
}

describe("the route × kind table", () => {
  it("has exactly one row per signed route in the registry", () => {
    const routes = signedRoutes();
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.filter((r) => !(r in ROUTE_KINDS)), "signed routes without a row in test/support/route-kinds.ts").toEqual([]);
    expect(Object.keys(ROUTE_KINDS).filter((r) => !routes.includes(r)), "rows naming no route").toEqual([]);
    expect(new Set(routes).size).toBe(routes.length);
  });

  it("every signed route, called by every kind: allowed kinds are not refused, the others get 403 forbidden-for-kind", async () => {
    const wrong: string[] = [];
    for (const route of signedRoutes()) {
      const [method, template] = route.split(" ") as [string, string];
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => SAMPLE_PARAMS[name] ?? "x");
      const allowed = ROUTE_KINDS[route] ?? [];
      for (const kind of MEMBER_KINDS) {
        const res = await h.call(actors[kind], method, path, method === "GET" ? undefined : {});
        const type = res.status >= 400 ? ((await res.json().catch(() => ({}))) as { type?: string }).type : undefined;
        const refused = res.status === 403 && type === "https://huren.dev/problems/forbidden-for-kind";
        if (allowed.includes(kind) ? res.status === 403 || res.status === 401 : !refused) wrong.push(`${route} as ${kind}: ${res.status} ${type ?? ""}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
