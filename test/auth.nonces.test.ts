/**
 * The replay store's group insert: concurrent jtis share one statement, and each caller still
 * learns exactly whether its own jti was new — within a batch, across batches and across two
 * stores on one database (what two gateway processes are).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createNonceStore } from "../src/auth/nonces.ts";
import { rowsOf } from "../src/db/rows.ts";
import { createHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const inAMinute = () => new Date(Date.now() + 60_000);

describe("createNonceStore", () => {
  it("gives true to exactly one caller per (issuer, jti), also when duplicates share a batch", async () => {
    const remember = createNonceStore(h.database.db, () => new Date());
    const keys = Array.from({ length: 40 }, (_, i) => [`w-${i % 4}`, `batch-jti-${String(i % 20).padStart(16, "0")}`] as const);
    // Called in one tick: these share batches; every key appears twice.
    const results = await Promise.all(keys.map(([issuer, jti]) => remember(issuer, jti, inAMinute())));
    const wins = new Map<string, number>();
    keys.forEach(([issuer, jti], i) => {
      if (results[i]) wins.set(`${issuer}/${jti}`, (wins.get(`${issuer}/${jti}`) ?? 0) + 1);
    });
    // i and i+20 have the same jti and issuer (i % 4 == (i + 20) % 4): 20 distinct keys.
    expect(wins.size).toBe(20);
    expect([...wins.values()].every((n) => n === 1)).toBe(true);
    expect(results.filter(Boolean)).toHaveLength(20);
    // One statement for the lot, not one (and one commit) per request.
    expect(remember.inserts).toBe(1);
  });

  it("the same jti from two issuers is two different keys", async () => {
    const remember = createNonceStore(h.database.db, () => new Date());
    const jti = "shared-jti-000000000001";
    expect(await Promise.all([remember("a-window", jti, inAMinute()), remember("b-window", jti, inAMinute())])).toEqual([true, true]);
  });

  it("a jti stored by one store is a replay at another store on the same database", async () => {
    const first = createNonceStore(h.database.db, () => new Date());
    const second = createNonceStore(h.database.db, () => new Date());
    const jtis = Array.from({ length: 30 }, (_, i) => `cross-jti-${String(i).padStart(12, "0")}`);
    const a = await Promise.all(jtis.map((j) => first("w", j, inAMinute())));
    const b = await Promise.all(jtis.map((j) => second("w", j, inAMinute())));
    expect(a.every(Boolean)).toBe(true);
    expect(b.some(Boolean)).toBe(false);
  });

  it("racing stores: each of 60 jtis is won exactly once", async () => {
    const stores = [createNonceStore(h.database.db, () => new Date()), createNonceStore(h.database.db, () => new Date())];
    const jtis = Array.from({ length: 60 }, (_, i) => `race-jti-${String(i).padStart(12, "0")}`);
    const results = await Promise.all(jtis.flatMap((j) => stores.map((s) => s("w", j, inAMinute()))));
    for (let i = 0; i < jtis.length; i++) expect(Number(results[2 * i]) + Number(results[2 * i + 1])).toBe(1);
  });

  it("sweeps expired rows, and only those", async () => {
    let clock = new Date("2030-01-01T00:00:00Z");
    const remember = createNonceStore(h.database.db, () => clock, { sweepEveryMs: 1_000 });
    await remember("sweep", "sweep-expired-000000001", new Date("2030-01-01T00:01:00Z"));
    await remember("sweep", "sweep-current-000000001", new Date("2030-01-01T01:00:00Z"));
    clock = new Date("2030-01-01T00:30:00Z");
    // The sweep runs after a batch, without holding up its callers: poll for its effect.
    await remember("sweep", "sweep-trigger-000000001", new Date("2030-01-01T01:00:00Z"));
    const left = async () =>
      rowsOf<{ jti: string }>(await h.database.db.execute(sql`select jti from request_nonces where issuer = 'sweep' order by jti`)).map((r) => r.jti);
    for (let i = 0; i < 100 && (await left()).includes("sweep-expired-000000001"); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await left()).toEqual(["sweep-current-000000001", "sweep-trigger-000000001"]);
  });

  it("rejects every caller of a batch whose insert fails, and recovers for the next", async () => {
    const remember = createNonceStore(h.database.db, () => new Date());
    // An invalid timestamp makes the whole statement fail.
    const bad = Promise.all([remember("w", "fail-jti-0000000000001", new Date(Number.NaN)), remember("w", "fail-jti-0000000000002", inAMinute())]);
    await expect(bad).rejects.toThrow();
    expect(await remember("w", "fail-jti-0000000000002", inAMinute())).toBe(true);
  });
});
