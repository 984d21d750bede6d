/**
 * The member cache on the authentication hot path: bounded staleness for changes made by another
 * process, none for changes made in this one, new keys at once, unknown members never cached.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import type { CryptoKey } from "jose";
import { createMemberCache, putMember } from "../src/members/members.ts";
import { createHarness, newKey, signRequest, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

/** What another gateway process would do: change the row without this process knowing. */
const disableBehindOurBack = (id: string) => h.deps.db.execute(sql`update members set enabled = false where id = ${id}`);

describe("member cache", () => {
  it("serves a member from the cache until the TTL passes, then reads it again", async () => {
    const actor = await h.addMember("cache-window-1", "window", "220102");
    let t = 1_000;
    const cache = createMemberCache(h.deps.db, { ttlMs: 5_000, now: () => t });
    expect((await cache.get(actor.id))?.enabled).toBe(true);
    await disableBehindOurBack(actor.id);
    t += 4_999;
    expect((await cache.get(actor.id))?.enabled).toBe(true); // stale, but within the bound
    t += 2;
    expect((await cache.get(actor.id))?.enabled).toBe(false);
  });

  it("re-reads at once after a change made in this process, and on request (fresh)", async () => {
    const actor = await h.addMember("cache-window-2", "window", "220102");
    const cache = createMemberCache(h.deps.db, { ttlMs: 60_000, now: () => 0 });
    expect((await cache.get(actor.id))?.jwks.keys).toHaveLength(1);
    const next = await newKey();
    await putMember(h.deps.db, actor.id, { kind: "window", name: "x", region: "220102", jwks: { keys: [next.publicJwk as never] }, enabled: true });
    expect((await cache.get(actor.id))?.jwks.keys[0]?.kid).toBe(next.kid);
    await disableBehindOurBack(actor.id);
    expect((await cache.get(actor.id))?.enabled).toBe(true);
    expect((await cache.get(actor.id, { fresh: true }))?.enabled).toBe(false);
    expect((await cache.get(actor.id))?.enabled).toBe(false);
  });

  it("never caches an unknown member, so one registered later works at once", async () => {
    const cache = createMemberCache(h.deps.db, { ttlMs: 60_000, now: () => 0 });
    expect(await cache.get("cache-window-3")).toBeUndefined();
    await h.deps.db.execute(sql`insert into members (id, kind, name, region, jwks, enabled) values ('cache-window-3', 'window', 'x', '220102', '{"keys":[]}', true)`);
    expect((await cache.get("cache-window-3"))?.id).toBe("cache-window-3");
  });

  it("authentication accepts a key added by another process at once (a kid miss reads again)", async () => {
    const actor = await h.addMember("cache-window-4", "window", "220102");
    const send = async (kid: string, privateKey: CryptoKey) => {
      const token = await signRequest({ ...actor, kid, privateKey }, "GET", "/v1/members/cache-window-4", "");
      return (await h.app.request("/v1/members/cache-window-4", { headers: { authorization: `Bearer ${token}` } })).status;
    };
    expect(await send(actor.kid, actor.privateKey)).toBe(403); // authenticated; a window may not read members
    const next = await newKey();
    const jwks = JSON.stringify({ keys: [actor.publicJwk, next.publicJwk] });
    await h.deps.db.execute(sql`update members set jwks = ${jwks}::jsonb where id = ${actor.id}`);
    expect(await send(next.kid, next.privateKey)).toBe(403);
  });
});
