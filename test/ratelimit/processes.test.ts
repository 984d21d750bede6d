/**
 * One quota across gateway processes (HUREN_WORKERS, or several hosts) on one PostgreSQL: two
 * gateways, each with its own pool and its own limiter, served on 127.0.0.1, share the clock the
 * test sets. Neither gateway alone reaches the quota, yet together they stop at it; and they
 * get there with a round trip per chunk, not per request. PostgreSQL only (PGlite belongs to one
 * process); the same limiter over PGlite is covered by ./http.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { createApp } from "../../src/app.ts";
import { assembleDeps } from "../../src/entry/assemble.ts";
import { connectPostgres } from "../../src/db/postgres.ts";
import { createUndiciHttpClient } from "../../src/http/undici-client.ts";
import { rateLimitSettings } from "../../src/ratelimit/settings.ts";
import type { AppDeps } from "../../src/deps.ts";
import { createHarness, GATEWAY_ID, type Actor, type Harness } from "../harness.ts";
import { rateLimitsOf, serveOnLoopback, signedFetch, testClock, type Served } from "./support.ts";

const QUOTA = 100; // chunks of 5
const CHUNK = 5;
const settings = rateLimitSettings({ kinds: { window: { member: { quota: QUOTA, windowSeconds: 60 }, uid: null } } });

describe.skipIf(!process.env.DATABASE_URL)("one quota across two gateway processes (PostgreSQL)", () => {
  const clock = testClock(Date.UTC(2026, 10, 30, 12, 0, 0));
  let h: Harness;
  let b: AppDeps & { close(): Promise<void> };
  let gateways: Served[];
  let window: Actor;
  let sql: postgres.Sql;

  beforeAll(async () => {
    h = await createHarness({ now: clock.now, rateLimits: settings });
    b = await assembleDeps({
      gatewayId: GATEWAY_ID,
      database: connectPostgres({ url: h.databaseUrl!, max: 3 }),
      secret: h.secret,
      http: createUndiciHttpClient(),
      logger: { info() {}, error() {} },
      now: clock.now,
      rateLimits: settings,
    });
    gateways = [await serveOnLoopback(h.app), await serveOnLoopback(createApp(b))];
    window = await h.addMember("shared-window", "window", "220102");
    sql = postgres(h.databaseUrl!, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    for (const g of gateways ?? []) await g.close();
    await b?.close();
    await h?.close();
  });

  const read = (g: Served, uid: string) => signedFetch(g, clock, window, "GET", "/v1/catalog/matters", { uid });

  it("stops at the quota between them, each having admitted about half", async () => {
    const admitted = [0, 0];
    let refused = 0;
    for (let i = 0; i < QUOTA + 30; i++) {
      const res = await read(gateways[i % 2]!, `clerk-${i}`);
      if (res.status === 200) admitted[i % 2]!++;
      else {
        expect(res.status).toBe(429);
        refused++;
      }
    }
    const total = admitted[0]! + admitted[1]!;
    // Leases never grant past the quota; a process may have admitted up to a chunk ahead of one.
    expect(total).toBeGreaterThanOrEqual(QUOTA - 2 * CHUNK);
    expect(total).toBeLessThanOrEqual(QUOTA + 2 * CHUNK);
    expect(total).toBeLessThanOrEqual(QUOTA + h.deps.rateLimiter!.stats().overshoot + b.rateLimiter!.stats().overshoot);
    // Neither gateway could have stopped there on its own count.
    for (const n of admitted) expect(n).toBeLessThan(QUOTA * 0.75);
    expect(refused).toBeGreaterThanOrEqual(20);
    const [row] = await sql`select sum(taken)::int as taken, max(quota) as quota from rate_limit_counters where scope = 'member' and key = 'shared-window'`;
    expect(row).toEqual({ taken: QUOTA, quota: QUOTA });
    // Round trips: about one per chunk per gateway, never one per request.
    const statements = h.deps.rateLimiter!.stats().leaseStatements + b.rateLimiter!.stats().leaseStatements;
    expect(statements).toBeLessThanOrEqual(QUOTA / CHUNK + 10);
  });

  it("holds under concurrent bursts at both gateways, and a new window starts afresh at both", async () => {
    clock.t += 61_000;
    const burst = await Promise.all(Array.from({ length: 160 }, (_, i) => read(gateways[i % 2]!, `burst-${i}`)));
    const ok = burst.filter((r) => r.status === 200).length;
    expect(burst.every((r) => r.status === 200 || r.status === 429)).toBe(true);
    expect(ok).toBeGreaterThanOrEqual(QUOTA - 2 * CHUNK);
    expect(ok).toBeLessThanOrEqual(QUOTA + 2 * CHUNK);
    const refusedOne = burst.find((r) => r.status === 429)!;
    expect(Number(refusedOne.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(rateLimitsOf(refusedOne)!.current.member!.r).toBe(0);
  });
});
