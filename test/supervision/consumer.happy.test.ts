/**
 * The consumer: exactly-once folding across a crash mid-batch and with two consumers at once,
 * CST day boundaries, entries that are not verifications, and entries older than the fields
 * supervision reads.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { catchUp, consumeBatch, consumerDepsOf } from "../../src/supervision/consumer.ts";
import { departments } from "../../src/supervision/department-queries.ts";
import { totals, windows } from "../../src/supervision/window-queries.ts";
import { rowsOf } from "../../src/db/rows.ts";
import { createHarness, type Harness } from "../harness.ts";
import { craft, resetStore, snapshot, traffic } from "./support.ts";

const at = (cst: string) => new Date(`${cst}+08:00`).toISOString();

describe("supervision consumer", () => {
  let h: Harness;
  const deps = () => consumerDepsOf(h.deps);

  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => h?.close());

  it("after a crash mid-batch, a restart gives the same rollups as an uninterrupted run", async () => {
    await craft(h, traffic(120));
    await consumeBatch(deps(), { maxEntries: 50 });
    const crash = new Error("killed mid-batch");
    await expect(consumeBatch(deps(), { maxEntries: 50, midBatch: async () => Promise.reject(crash) })).rejects.toThrow("killed mid-batch");
    const [state] = rowsOf<{ next_index: number }>(await h.deps.db.execute(sql`select next_index from supervision_state`));
    expect(Number(state!.next_index)).toBe(50);
    await catchUp(deps(), { maxEntries: 50 });
    const restarted = await snapshot(h.deps.db);
    await resetStore(h.deps.db);
    await catchUp(deps(), { maxEntries: 10_000 });
    expect(await snapshot(h.deps.db)).toEqual(restarted);
    expect((restarted as { next: number }).next).toBe(120);
  });

  it("catching up stops at the first batch that is not full (entries arriving meanwhile wait for the next tick)", async () => {
    await resetStore(h.deps.db);
    const size = async () => Number(rowsOf<{ size: number }>(await h.deps.db.execute(sql`select size from ledger_head`))[0]!.size);
    // Make the ledger 20 more than a multiple of 50: two or more full batches of 50, then 20.
    await craft(h, traffic(120 - ((await size()) % 50)));
    const total = await size();
    expect(total % 50).not.toBe(0);
    let transactions = 0;
    const db = new Proxy(h.deps.db, {
      get: (target, prop) => (prop === "transaction" ? (...args: Parameters<typeof target.transaction>) => (transactions++, target.transaction(...args)) : Reflect.get(target, prop, target)),
    });
    expect(await catchUp({ ...deps(), db }, { maxEntries: 50 })).toBe(total);
    // The full batches and the partial one; no further, empty batch to learn it was caught up.
    expect(transactions).toBe(Math.ceil(total / 50));
  });

  it("two consumers at once give the same totals as one", async () => {
    await craft(h, traffic(90));
    const one = await (async () => {
      await resetStore(h.deps.db);
      await catchUp(deps(), { maxEntries: 1000 });
      return snapshot(h.deps.db);
    })();
    await resetStore(h.deps.db);
    const results = await Promise.all([catchUp(deps(), { maxEntries: 7 }), catchUp(deps(), { maxEntries: 11 })]);
    // One may have stood by while the other held the lock; catch up whatever is left.
    await catchUp(deps());
    expect(results.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(await snapshot(h.deps.db)).toEqual(one);
  });

  it("days are CST calendar days: 23:59:59 and 00:00 fall on different days", async () => {
    await resetStore(h.deps.db);
    await craft(h, [
      { time: at("2026-11-30T23:59:59.999"), window: "w-midnight", subject: "m-1" },
      { time: at("2026-12-01T00:00:00"), window: "w-midnight", subject: "m-2" },
      { time: at("2026-12-01T07:59:59"), window: "w-midnight", subject: "m-3" }, // still 30 Nov in UTC
    ]);
    await catchUp(deps());
    const nov30 = (await windows(h.deps.db, { from: "2026-11-30", to: "2026-11-30" })).find((w) => w.window === "w-midnight");
    const dec1 = (await windows(h.deps.db, { from: "2026-12-01", to: "2026-12-01" })).find((w) => w.window === "w-midnight");
    expect(nov30?.verifications).toBe(1);
    expect(dec1?.verifications).toBe(2);
    const hours = rowsOf<{ bucket: string }>(await h.deps.db.execute(sql`select bucket from supervision_rollups where dim = 'adapter-h' and bucket >= '2026-11-30T23' and bucket <= '2026-12-01T08' order by bucket`));
    expect(hours.map((r) => r.bucket)).toEqual(["2026-11-30T23", "2026-12-01T00", "2026-12-01T07"]);
  });

  it("skips entries that are not verifications and reads entries without the v1.1 fields", async () => {
    await resetStore(h.deps.db);
    await h.deps.db.execute(sql`delete from supervision_rollups`);
    const base = await totals(h.deps.db, { from: "2026-12-02", to: "2026-12-02" });
    expect(base.totals.verifications).toBe(0);
    await h.deps.db.execute(sql`insert into members (id, kind, name, region, jwks) values ('d-legacy', 'department', '旧部门', '220100', '{"keys":[]}') on conflict do nothing`);
    await h.deps.db.execute(sql`insert into adapters (id, department, kind, evidence_types, config) values ('a-legacy', 'd-legacy', 'fixture', '["housing.no-property-proof"]', '{"records":[]}') on conflict do nothing`);
    await craft(h, [
      { time: at("2026-12-02T10:00:00"), kind: "audit-access" },
      { time: at("2026-12-02T10:01:00"), legacy: true, items: [{ status: "verified", adapter: "a-legacy" }, { status: "unavailable", adapter: "a-legacy" }, { status: "denied" }] },
      { time: at("2026-12-02T10:02:00"), kind: "key-rotation" },
    ]);
    await catchUp(deps());
    const t = await totals(h.deps.db, { from: "2026-12-02", to: "2026-12-02" });
    expect(t.totals).toEqual({ verifications: 1, items: 3, certificateFree: 1, denied: 1, unavailable: 1 });
    const [legacy] = (await departments(h.deps.db, { from: "2026-12-02", to: "2026-12-02" })).filter((d) => d.department === "d-legacy");
    expect(legacy).toMatchObject({ name: "旧部门", asked: 2, answered: 1, unavailable: { timeout: 1 }, p50Ms: null });
  });
});
