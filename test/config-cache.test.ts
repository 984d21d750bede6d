/**
 * The in-process config cache: the read-through rule (one load shared, a load overtaken by a
 * change never served, failures not kept, the TTL backstop), and through the app: a change made
 * through this gateway's admin API is what the very next verification sees, and a change the
 * database announces (NOTIFY, here from a session that is not this process's store) is picked up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { ReadThrough } from "../src/config/read-through.ts";
import { CONFIG_TABLES, ConfigChanges } from "../src/config/changes.ts";
import { createConfigCache } from "../src/config/cache.ts";
import { putMatter } from "../src/catalog/store.ts";
import { FIXTURE_RECORDS } from "../src/demo/data.ts";
import { ledgerEntries } from "../src/db/schema.ts";
import { createHarness, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";

/** A promise settled from outside: a load that finishes exactly when the test says. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A loader whose every call is a deferred the test settles. */
function scriptedLoader<T>() {
  const calls: ReturnType<typeof deferred<T>>[] = [];
  return {
    calls,
    load: () => {
      const d = deferred<T>();
      calls.push(d);
      return d.promise;
    },
  };
}

describe("ReadThrough", () => {
  const setup = (ttlMs = 30_000) => {
    const changes = new ConfigChanges();
    let t = 1_000;
    const loader = scriptedLoader<string>();
    const cache = new ReadThrough(loader.load, { ttlMs, now: () => t, stamp: () => changes.stamp(["policies"]) });
    return { changes, cache, loader, advance: (ms: number) => (t += ms) };
  };

  it("concurrent gets share one load, and later gets are served from memory", async () => {
    const { cache, loader } = setup();
    const a = cache.get();
    const b = cache.get();
    expect(loader.calls).toHaveLength(1);
    loader.calls[0]!.resolve("v1");
    expect(await a).toBe("v1");
    expect(await b).toBe("v1");
    expect(await cache.get()).toBe("v1");
    expect(loader.calls).toHaveLength(1);
  });

  it("a load that was running when a change came is not served after it, even if it finishes later", async () => {
    const { cache, loader, changes } = setup();
    const early = cache.get();
    changes.invalidate(["policies"]);
    loader.calls[0]!.resolve("old");
    expect(await early).toBe("old"); // its caller asked before the change
    const next = cache.get();
    expect(loader.calls).toHaveLength(2);
    loader.calls[1]!.resolve("new");
    expect(await next).toBe("new");
    expect(await cache.get()).toBe("new");
  });

  it("a get after the change does not join the load that started before it", async () => {
    const { cache, loader, changes } = setup();
    const early = cache.get();
    changes.notified("policies");
    const late = cache.get();
    expect(loader.calls).toHaveLength(2);
    loader.calls[1]!.resolve("new");
    loader.calls[0]!.resolve("old");
    expect(await early).toBe("old");
    expect(await late).toBe("new");
    expect(await cache.get()).toBe("new");
  });

  it("changes to other tables leave it alone; a listener reconnect (everything) does not", async () => {
    const { cache, loader, changes } = setup();
    const first = cache.get();
    loader.calls[0]!.resolve("v1");
    await first;
    changes.notified("matters");
    changes.invalidate(["members", "adapters"]);
    expect(await cache.get()).toBe("v1");
    changes.invalidate();
    const again = cache.get();
    loader.calls[1]!.resolve("v2");
    expect(await again).toBe("v2");
    expect(loader.calls).toHaveLength(2);
  });

  it("an unknown notification payload invalidates every table", () => {
    const changes = new ConfigChanges();
    const before = CONFIG_TABLES.map((t) => changes.stamp([t]));
    changes.notified("something_else");
    CONFIG_TABLES.forEach((t, i) => expect(changes.stamp([t])).not.toBe(before[i]));
  });

  it("a failed load is not kept: its callers see the error, the next get loads again", async () => {
    const { cache, loader } = setup();
    const a = cache.get();
    const b = cache.get();
    loader.calls[0]!.reject(new Error("connection reset"));
    await expect(a).rejects.toThrow("connection reset");
    await expect(b).rejects.toThrow("connection reset");
    const c = cache.get();
    expect(loader.calls).toHaveLength(2);
    loader.calls[1]!.resolve("v1");
    expect(await c).toBe("v1");
  });

  it("the TTL is the backstop: a value is used until ttlMs after its load started, then read again", async () => {
    const { cache, loader, advance } = setup(30_000);
    const first = cache.get();
    loader.calls[0]!.resolve("v1");
    await first;
    advance(29_999);
    expect(await cache.get()).toBe("v1");
    advance(1);
    const second = cache.get();
    expect(loader.calls).toHaveLength(2);
    loader.calls[1]!.resolve("v2");
    expect(await second).toBe("v2");
  });

  it("a TTL of 0 caches nothing", async () => {
    let n = 0;
    const cache = new ReadThrough(async () => ++n, { ttlMs: 0, now: () => 0, stamp: () => 0 });
    expect([await cache.get(), await cache.get()]).toEqual([1, 2]);
  });

  it("keyed: values `keep` refuses are not kept, and at most `max` entries are", async () => {
    let loads = 0;
    const load = async (id: string) => {
      loads++;
      return id.startsWith("known") ? id : undefined;
    };
    const cache = new ReadThrough(load, { ttlMs: 60_000, now: () => 0, stamp: () => 0, max: 2, keep: (v) => v !== undefined });
    expect(await cache.get("nobody")).toBeUndefined();
    expect(await cache.get("nobody")).toBeUndefined();
    expect(loads).toBe(2);
    await cache.get("known-1");
    await cache.get("known-2");
    await cache.get("known-3");
    expect(cache.size).toBe(2);
    await cache.get("known-3");
    expect(loads).toBe(5);
  });
});

describe("createConfigCache over the database", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("serves a table from memory until a write through the store (at once) or the TTL (changes made elsewhere)", async () => {
    let t = 0;
    // Not wired to notifications: only this process's writes and the clock invalidate.
    const config = createConfigCache(h.deps.db, { ttlMs: 30_000, now: () => t });
    await putMatter(h.deps.db, "220100-cache-a", { name: "a", region: "220100", requirements: [{ evidenceType: "housing.no-property-proof", exempt: true }] });
    expect((await config.matter("220100-cache-a"))?.name).toBe("a");
    await h.deps.db.execute(sql`update matters set name = 'b' where code = '220100-cache-a'`);
    t += 29_999;
    expect((await config.matter("220100-cache-a"))?.name).toBe("a");
    t += 1;
    expect((await config.matter("220100-cache-a"))?.name).toBe("b");
    await putMatter(h.deps.db, "220100-cache-a", { name: "c", region: "220100", requirements: [{ evidenceType: "housing.no-property-proof", exempt: true }] });
    expect((await config.matter("220100-cache-a"))?.name).toBe("c");
    expect(await config.matter("220100-no-such")).toBeUndefined();
    expect((await config.evidenceType("housing.no-property-proof"))?.builtin).toBe(true);
  });
});

describe("through the app", () => {
  let h: Harness;
  let w: World;
  /** Another session on the same database: its writes reach this gateway only as NOTIFY. */
  let other: { exec(statement: string): Promise<void>; close(): Promise<void> };
  beforeAll(async () => {
    h = await createHarness();
    w = await createWorld(h);
    if (h.databaseUrl) {
      const client = postgres(h.databaseUrl, { max: 1, onnotice: () => {} });
      other = { exec: async (s) => void (await client.unsafe(s)), close: () => client.end({ timeout: 5 }) };
    } else {
      // PGlite is one session, but a raw statement bypasses the stores: only the NOTIFY tells the cache.
      other = { exec: async (s) => void (await h.deps.db.execute(sql.raw(s))), close: async () => {} };
    }
  });
  afterAll(async () => {
    await other?.close();
    await w?.close();
    await h?.close();
  });

  const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
  const admin = (method: string, path: string, body?: unknown) => h.call(h.admin, method, path, body).then(json);
  const noHousing = (body: Record<string, unknown> = {}) =>
    h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "CC-1", subject: zhangSan, evidence: [{ type: "housing.no-property-proof", fields: ["propertyCount"] }], ...body }).then(json);
  const housingAdapter = (enabled: boolean) => ({
    department: "cc-housing",
    kind: "fixture",
    evidenceTypes: ["housing.no-property-proof"],
    config: { records: FIXTURE_RECORDS["housing.no-property-proof"]!.map((r) => ({ subject: r.subject, name: r.name, status: r.status, certificateId: r.certificateId, claims: r.claims, ...(r.validUntil ? { validUntil: r.validUntil } : {}) })) },
    enabled,
  });
  /** Polls (bounded) until `check` holds; notifications are asynchronous. */
  const eventually = async (check: () => Promise<boolean>, ms = 5_000) => {
    for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) if (await check()) return true;
    return check();
  };

  it("a policy change made through the admin API governs the very next verification", async () => {
    const before = await noHousing();
    expect(before.body.results[0]).toMatchObject({ status: "verified", claims: { valid: true, propertyCount: 0 } });
    const doc = { evidenceType: "housing.no-property-proof", rules: [{ matters: ["220100-business-permit"], basis: "statutory", citation: "test", fields: ["propertyCount"] }] };
    expect((await admin("PUT", "/v1/policies/no-property", doc)).status).toBe(200);
    expect((await noHousing()).body.results[0]).toMatchObject({ status: "denied", reason: "matter-not-allowed" });
    const restored = { evidenceType: "housing.no-property-proof", rules: [{ matters: [HOUSING], basis: "statutory", citation: "《公共租赁住房管理办法》第七条", fields: ["propertyCount", "asOf"] }] };
    expect((await admin("PUT", "/v1/policies/no-property", restored)).status).toBe(200);
    expect((await noHousing()).body.results[0].status).toBe("verified");
  });

  it("a matter and an evidence type registered through the admin API are known at once", async () => {
    const code = "220100-cache-new-matter";
    const unknown = await noHousing({ matter: code });
    expect(unknown.status).toBe(422);
    expect(unknown.body.type).toMatch(/unknown-matter$/);
    expect((await admin("PUT", `/v1/catalog/matters/${code}`, { name: "新事项", region: "220100", requirements: [{ evidenceType: "housing.no-property-proof", exempt: true }] })).status).toBe(201);
    // Known now; no policy names it, so deny by default.
    expect((await noHousing({ matter: code })).body.results[0]).toMatchObject({ status: "denied", reason: "matter-not-allowed" });

    const type = "household.cache-registration";
    const before = await noHousing({ evidence: [{ type }] });
    expect(before.body.type).toMatch(/unknown-evidence-type$/);
    const put = await admin("PUT", `/v1/catalog/evidence-types/${type}`, { name: "户籍证明", issuerKind: "public-security", sensitivity: "ordinary", claims: { type: "object", properties: { householdHead: { type: "boolean" } } }, defaultFields: [] });
    expect(put.status).toBe(201);
    expect((await noHousing({ evidence: [{ type }] })).body.results[0]).toMatchObject({ type, status: "denied", reason: "no-policy" });
  });

  it("an adapter disabled through the admin API answers no more; re-enabled, the ledger names its new version", async () => {
    const disabled = await admin("PUT", "/v1/adapters/cc-housing-fixture", housingAdapter(false));
    expect(disabled.status).toBe(200);
    expect((await noHousing()).body.results[0]).toMatchObject({ status: "unavailable", reason: "no-adapter" });
    const enabled = await admin("PUT", "/v1/adapters/cc-housing-fixture", housingAdapter(true));
    expect(enabled.body.version).toBe(disabled.body.version + 1);
    const after = await noHousing();
    expect(after.body.results[0]).toMatchObject({ status: "verified", source: "cc-housing-fixture" });
    const [row] = await h.deps.db.select().from(ledgerEntries).where(eq(ledgerEntries.verificationId, after.body.verificationId));
    expect(JSON.parse(row!.entryJson).items[0].adapterVersion).toBe(enabled.body.version);
  });

  it("a member change through the admin API: a department moved out of the area no longer answers; a disabled window is refused", async () => {
    const housing = (await admin("GET", "/v1/members/cc-housing")).body;
    const { id: _id, createdAt: _c, updatedAt: _u, ...body } = housing;
    expect((await admin("PUT", "/v1/members/cc-housing", { ...body, region: "110000" })).status).toBe(200);
    expect((await noHousing()).body.results[0]).toMatchObject({ status: "unavailable", reason: "no-adapter" });
    expect((await admin("PUT", "/v1/members/cc-housing", { ...body, region: "220100" })).status).toBe(200);
    expect((await noHousing()).body.results[0].status).toBe("verified");

    const window = (await admin("GET", `/v1/members/${w.window.id}`)).body;
    const { id: _wid, createdAt: _wc, updatedAt: _wu, ...windowBody } = window;
    expect((await admin("PUT", `/v1/members/${w.window.id}`, { ...windowBody, enabled: false })).status).toBe(200);
    expect((await noHousing()).status).toBe(401);
    expect((await admin("PUT", `/v1/members/${w.window.id}`, { ...windowBody, enabled: true })).status).toBe(200);
    expect((await noHousing()).status).toBe(200);
  });

  it("a change the database announces (NOTIFY) reaches the cache without any write through this process", async () => {
    expect((await noHousing()).body.results[0].status).toBe("verified");
    await other.exec(`update policies set document = jsonb_set(document, '{rules,0,matters}', '["220100-business-permit"]') where id = 'no-property'`);
    expect(await eventually(async () => (await noHousing()).body.results[0].reason === "matter-not-allowed")).toBe(true);
    await other.exec(`update policies set document = jsonb_set(document, '{rules,0,matters}', '["220100-public-rental-housing"]') where id = 'no-property'`);
    await other.exec(`update adapters set enabled = false where id = 'cc-housing-fixture'`);
    expect(await eventually(async () => (await noHousing()).body.results[0].reason === "no-adapter")).toBe(true);
    await other.exec(`update adapters set enabled = true where id = 'cc-housing-fixture'`);
    expect(await eventually(async () => (await noHousing()).body.results[0].status === "verified")).toBe(true);
    // The department's region lives in members: the adapter choice depends on it too.
    await other.exec(`update members set region = '110000' where id = 'cc-housing'`);
    expect(await eventually(async () => (await noHousing()).body.results[0].reason === "no-adapter")).toBe(true);
    await other.exec(`update members set region = '220100' where id = 'cc-housing'`);
    expect(await eventually(async () => (await noHousing()).body.results[0].status === "verified")).toBe(true);
    // A matter's list of exempt materials: with none left, there is nothing to verify unasked.
    await other.exec(`update matters set requirements = '[{"evidenceType":"housing.no-property-proof","exempt":false}]' where code = '220100-public-rental-housing'`);
    expect(await eventually(async () => (await noHousing({ evidence: undefined })).status === 422)).toBe(true);
  });
});
