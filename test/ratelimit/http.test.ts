/**
 * Rate limits as a window system meets them, over real HTTP on 127.0.0.1 with the gateway's
 * clock injected: the RateLimit fields on every signed answer, the per-clerk (uid) and
 * per-member limits, a member's override, the 429 problem with Retry-After, and what a refused
 * request does not do (ask a department, write the ledger, burn its jti, count against anything).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Actor, type Harness } from "../harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "../world.ts";
import { rateLimitSettings } from "../../src/ratelimit/settings.ts";
import { createPrometheusMetrics, type PrometheusMetrics } from "../../src/metrics/prometheus.ts";
import { ledgerSize } from "../../src/ledger/store.ts";
import { rateLimitsOf, serveOnLoopback, signedFetch, testClock, tokenAt, type Served } from "./support.ts";

// The department checks the gateway's outbound tokens against its own (real) clock: start there.
const clock = testClock(Date.now());
let h: Harness;
let w: World;
let served: Served;
let metrics: PrometheusMetrics;
let bigWindow: Actor;
let collector: Actor;

beforeAll(async () => {
  metrics = createPrometheusMetrics({ processMetrics: false });
  h = await createHarness({
    now: clock.now,
    metrics,
    rateLimits: rateLimitSettings({
      kinds: { window: { member: { quota: 8, windowSeconds: 60 }, uid: { quota: 5, windowSeconds: 60 } } },
      members: { "big-window": { member: { quota: 20 }, uid: null } },
    }),
  });
  w = await createWorld(h);
  bigWindow = await h.addMember("big-window", "window", "220102");
  collector = await h.addMember("test-collector", "consent-collector");
  served = await serveOnLoopback(h.app);
});
afterAll(async () => {
  await served?.close();
  await w?.close();
  await h?.close();
});

const verify = (uid: string) =>
  signedFetch(served, clock, w.window, "POST", "/v1/verifications", {
    uid,
    body: { matter: HOUSING, case: "NG-2026-RL-1", subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate" }] },
  });

const rateLimitedCount = async (labels: Record<string, string>) => {
  const metric = await metrics.registry.getSingleMetric("huren_rate_limited_total")!.get();
  return metric.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((n, v) => n + v.value, 0);
};

describe("rate limits over HTTP", () => {
  it("puts the RateLimit fields on signed answers only", async () => {
    const health = await fetch(`${served.url}/healthz`);
    expect(rateLimitsOf(health)).toBeUndefined();
    const res = await signedFetch(served, clock, collector, "GET", "/v1/catalog/matters");
    expect(res.status).toBe(200);
    // A consent collector's default: strict, and no uid scope.
    expect(rateLimitsOf(res)).toEqual({ policy: { member: { q: 60, w: 60 } }, current: { member: { r: 59, t: expect.any(Number) } } });
  });

  it("refuses a clerk past the uid quota with a 429 problem: no department asked, nothing ledgered, no jti burned", async () => {
    const callsBefore = w.department.calls;
    for (let i = 1; i <= 5; i++) {
      const res = await verify("clerk-a");
      expect(res.status).toBe(200);
      const limits = rateLimitsOf(res)!;
      expect(limits.policy).toEqual({ member: { q: 8, w: 60 }, uid: { q: 5, w: 60 } });
      expect(limits.current.uid!.r).toBe(5 - i);
      expect(limits.current.member!.r).toBe(8 - i);
    }
    expect(w.department.calls).toBe(callsBefore + 5);
    const ledgered = await ledgerSize(h.deps.db);

    const body = { matter: HOUSING, case: "NG-2026-RL-1", subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate" }] };
    const token = await tokenAt(clock, w.window, "POST", "/v1/verifications", JSON.stringify(body), "clerk-a");
    const refused = await signedFetch(served, clock, w.window, "POST", "/v1/verifications", { body, token });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await refused.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({ type: "https://huren.dev/problems/rate-limited", status: 429, title: "Too many requests", "violated-policies": ["uid"] });
    expect(problem.detail).toMatch(/请求过于频繁.*Too many requests/);
    expect(JSON.stringify(problem)).not.toContain("clerk-a");
    const limits = rateLimitsOf(refused)!;
    expect(limits.current.uid!.r).toBe(0);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    // Retry-After points no earlier than the end of the refusing window (draft §6).
    expect(retryAfter).toBeGreaterThanOrEqual(limits.current.uid!.t);

    expect(w.department.calls).toBe(callsBefore + 5);
    expect(await ledgerSize(h.deps.db)).toBe(ledgered);
    expect(await rateLimitedCount({ member_kind: "window", scope: "uid" })).toBe(1);
    const logged = h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === "request" && e.status === 429);
    expect(logged).toEqual([expect.objectContaining({ route: "/v1/verifications", problem: "rate-limited", rateLimited: "uid", member: w.window.id })]);

    // Another clerk of the same window goes on, up to the window's own quota of 8.
    for (let i = 0; i < 3; i++) expect((await verify("clerk-b")).status).toBe(200);
    const memberRefused = await verify("clerk-b");
    expect(memberRefused.status).toBe(429);
    expect(((await memberRefused.json()) as Record<string, unknown>)["violated-policies"]).toEqual(["member"]);
    expect(await rateLimitedCount({ member_kind: "window", scope: "member" })).toBe(1);

    // When the window's quota window ends, the refused token itself is accepted: it was never recorded.
    clock.t += (Number(memberRefused.headers.get("retry-after")) + 60) * 1000;
    const retried = await signedFetch(served, clock, w.window, "POST", "/v1/verifications", { body, token: await tokenAt(clock, w.window, "POST", "/v1/verifications", JSON.stringify(body), "clerk-a") });
    expect(retried.status).toBe(200);
  });

  it("accepts the very token it refused once the window has ended (a 429 records no jti)", async () => {
    let refused: Response | undefined;
    let token = "";
    for (let i = 0; i < 7 && !refused; i++) {
      token = await tokenAt(clock, w.window, "GET", "/v1/catalog/matters", "", "clerk-c");
      const res = await signedFetch(served, clock, w.window, "GET", "/v1/catalog/matters", { token });
      if (res.status === 429) refused = res;
    }
    expect(refused?.status).toBe(429);
    clock.t += Number(refused!.headers.get("retry-after")) * 1000;
    expect((await signedFetch(served, clock, w.window, "GET", "/v1/catalog/matters", { token })).status).toBe(200);
    // …and only once: now it is recorded.
    expect((await signedFetch(served, clock, w.window, "GET", "/v1/catalog/matters", { token })).status).toBe(401);
  });

  it("applies a member's override: its own quota, no uid scope", async () => {
    clock.t += 120_000;
    let passed = 0;
    let last!: Response;
    for (let i = 0; i < 24; i++) {
      last = await signedFetch(served, clock, bigWindow, "GET", "/v1/catalog/matters", { uid: `clerk-${i}` });
      if (last.status === 200) passed++;
    }
    expect(passed).toBe(20);
    expect(last.status).toBe(429);
    expect(rateLimitsOf(last)!.policy).toEqual({ member: { q: 20, w: 60 } });
  });

  it("labels the metric by member kind and scope only", async () => {
    const metric = await metrics.registry.getSingleMetric("huren_rate_limited_total")!.get();
    for (const v of metric.values) expect(Object.keys(v.labels).sort()).toEqual(["member_kind", "scope"]);
  });
});
