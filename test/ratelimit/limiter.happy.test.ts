/**
 * The rate limiter's logic with an injected clock and an in-memory lease store that behaves as
 * the database's upsert does (and can hold its answers back, as a slow database would): quotas,
 * window ends, leases in chunks instead of a round trip per request, several processes sharing
 * one quota, settings and overrides, and the RateLimit fields' syntax (parsed by an RFC 9651
 * parser).
 */
import { describe, expect, it } from "vitest";
import { parseList, Token } from "structured-headers";
import { RateLimiter, type Admission } from "../../src/ratelimit/limiter.ts";
import type { LeaseGrant, LeaseRequest, LeaseStore } from "../../src/ratelimit/leases.ts";
import { DEFAULT_KIND_LIMITS, parseRateLimitsText, policiesFor, rateLimitSettings } from "../../src/ratelimit/settings.ts";
import { rateLimitField, rateLimitPolicyField } from "../../src/ratelimit/headers.ts";
import { parseConfig } from "../../src/config.ts";
import { bootstrapSchema } from "../../src/bootstrap.ts";

/** The upsert's arithmetic in memory; `hold` keeps answers until `release()`. */
function memoryStore() {
  const rows = new Map<string, { taken: number }>();
  let held: (() => void)[] | undefined;
  let statements = 0;
  const store: LeaseStore & { hold(): void; release(): void; taken(scope: string, key: string, windowStart: number): number; requests: LeaseRequest[] } = {
    requests: [],
    get statements() {
      return statements;
    },
    lease(r: LeaseRequest): Promise<LeaseGrant> {
      statements++;
      store.requests.push(r);
      const answer = () => {
        const id = `${r.scope}|${r.key}|${r.windowStart}`;
        const row = rows.get(id) ?? { taken: 0 };
        const granted = Math.max(0, Math.min(r.want, r.quota - row.taken));
        row.taken += granted;
        rows.set(id, row);
        return { granted, taken: row.taken };
      };
      if (!held) return Promise.resolve(answer());
      return new Promise((resolve) => held!.push(() => resolve(answer())));
    },
    hold() {
      held = [];
    },
    release() {
      const waiting = held ?? [];
      held = undefined;
      for (const w of waiting) w();
    },
    taken: (scope, key, windowStart) => rows.get(`${scope}|${key}|${windowStart}`)?.taken ?? 0,
  };
  return store;
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const window = { id: "nanguan-window-01", kind: "window" as const };

function limiterWith(quota: number, options: { windowSeconds?: number; uid?: number; store?: ReturnType<typeof memoryStore>; clock?: { t: number } } = {}) {
  const clock = options.clock ?? { t: Date.UTC(2026, 10, 30, 9, 0, 0) };
  const store = options.store ?? memoryStore();
  const settings = rateLimitSettings({
    kinds: { window: { member: { quota, windowSeconds: options.windowSeconds ?? 60 }, uid: options.uid ? { quota: options.uid, windowSeconds: options.windowSeconds ?? 60 } : null } },
  });
  const limiter = new RateLimiter({ settings, store, now: () => clock.t });
  return { limiter, store, clock };
}

/** Admits `n` requests one after another (letting background leases land between them); how many passed. */
async function admitMany(limiter: RateLimiter, n: number, uid = "clerk-7"): Promise<{ passed: number; last: Admission }> {
  let passed = 0;
  let last!: Admission;
  for (let i = 0; i < n; i++) {
    last = await limiter.admit(window, uid);
    if (last.allowed) passed++;
    await settle();
  }
  return { passed, last };
}

describe("one process", () => {
  it("admits the quota, then refuses until the key's window ends, with Retry-After at that end", async () => {
    const { limiter, clock } = limiterWith(100);
    const { passed, last } = await admitMany(limiter, 130);
    expect(passed).toBe(100);
    expect(last.allowed).toBe(false);
    expect(last.violated).toBe("member");
    const reset = last.states[0]!.resetSeconds;
    expect(last.retryAfter).toBe(Math.max(1, reset));
    expect(reset).toBeGreaterThan(0);
    expect(reset).toBeLessThanOrEqual(60);
    // One second before the end: still refused; at the end: a fresh window.
    clock.t += (reset - 1) * 1000;
    expect((await limiter.admit(window, "clerk-7")).allowed).toBe(false);
    clock.t += 1000;
    const again = await limiter.admit(window, "clerk-7");
    expect(again.allowed).toBe(true);
    expect(again.states[0]!.resetSeconds).toBe(60);
  });

  it("makes a round trip per chunk, not per request; a refused request makes none", async () => {
    const { limiter, store } = limiterWith(1200);
    await admitMany(limiter, 600);
    // Chunks of 60 (quota / 20): about ten leases for 600 requests.
    expect(store.statements).toBeLessThanOrEqual(12);
    const { limiter: small, store: smallStore } = limiterWith(40);
    await admitMany(small, 40);
    const before = smallStore.statements;
    const { passed } = await admitMany(small, 50);
    expect(passed).toBe(0);
    expect(smallStore.statements).toBe(before);
  });

  it("answers without waiting for the database while it owes less than a chunk; past that it waits", async () => {
    const { limiter, store } = limiterWith(200); // chunk 10
    store.hold();
    const answers: (Admission | Promise<Admission>)[] = [];
    for (let i = 0; i < 12; i++) answers.push(limiter.admit(window, "clerk-7"));
    // The first ten are admitted at once, ahead of their lease; the rest wait for it.
    expect(answers.slice(0, 10).every((a) => !(a instanceof Promise) && a.allowed)).toBe(true);
    expect(answers.slice(10).every((a) => a instanceof Promise)).toBe(true);
    store.release();
    await settle();
    store.release();
    expect((await Promise.all(answers)).every((a) => a.allowed)).toBe(true);
    // The lease covered the debt: the database counts what was admitted (and one chunk ahead).
    const windowStart = store.requests[0]!.windowStart;
    expect(store.taken("member", window.id, windowStart)).toBeGreaterThanOrEqual(12);
  });

  it("spreads window ends over the window by key, the same in every process", async () => {
    const clock = { t: Date.UTC(2026, 10, 30, 9, 0, 0) };
    const ends = new Set<number>();
    for (const id of ["w-a", "w-b", "w-c", "w-d", "w-e", "w-f"]) {
      const { limiter } = limiterWith(100, { clock });
      const a = await limiter.admit({ id, kind: "window" }, "u");
      ends.add(a.states[0]!.resetSeconds);
      const { limiter: other } = limiterWith(100, { clock });
      expect((await other.admit({ id, kind: "window" }, "u")).states[0]!.resetSeconds).toBe(a.states[0]!.resetSeconds);
    }
    expect(ends.size).toBeGreaterThan(1);
  });
});

describe("per acting person (uid)", () => {
  it("limits each clerk of a window on its own, under the member's limit", async () => {
    const { limiter } = limiterWith(1000, { uid: 30 });
    expect((await admitMany(limiter, 40, "clerk-1")).passed).toBe(30);
    const refused = await limiter.admit(window, "clerk-1");
    expect(refused.violated).toBe("uid");
    expect(refused.states.map((s) => s.scope)).toEqual(["member", "uid"]);
    // Another clerk of the same window is not held back by the first.
    expect((await admitMany(limiter, 30, "clerk-2")).passed).toBe(30);
  });

  it("gives the member's unit back when the uid refuses: a refused request counts nowhere", async () => {
    const { limiter } = limiterWith(1000, { uid: 5 });
    await admitMany(limiter, 5, "clerk-1");
    const before = (await limiter.admit(window, "clerk-2")).states[0]!.remaining;
    for (let i = 0; i < 20; i++) expect((await limiter.admit(window, "clerk-1")).allowed).toBe(false);
    const after = (await limiter.admit(window, "clerk-2")).states[0]!.remaining;
    expect(after).toBe(before - 1);
  });
});

describe("memory", () => {
  it("keeps no bucket for uids a member past its quota makes up", async () => {
    const { limiter } = limiterWith(10, { uid: 5 });
    // Until the member's window is spent (one request may pass ahead of the lease that finds it so).
    for (let i = 0; (await limiter.admit(window, `clerk-${i}`)).allowed; i++) await settle();
    const buckets = limiter.stats().buckets;
    for (let i = 0; i < 200; i++) expect((await limiter.admit(window, `made-up-${i}`)).violated).toBe("member");
    expect(limiter.stats().buckets).toBe(buckets);
  });
});

describe("several processes on one quota", () => {
  it("never admits more than the quota plus a chunk per process between them", async () => {
    const store = memoryStore();
    const clock = { t: Date.UTC(2026, 10, 30, 9, 0, 30) };
    const processes = [0, 1, 2].map(() => limiterWith(300, { store, clock }).limiter); // chunk 15
    let passed = 0;
    for (let i = 0; i < 600; i++) {
      if ((await processes[i % 3]!.admit(window, "clerk-7")).allowed) passed++;
      if (i % 7 === 0) await settle();
    }
    expect(passed).toBeGreaterThanOrEqual(300 - 3 * 15);
    expect(passed).toBeLessThanOrEqual(300 + 3 * 15);
    const overshoot = processes.reduce((n, p) => n + p.stats().overshoot, 0);
    expect(passed).toBeLessThanOrEqual(300 + overshoot);
  });

  it("a process that admitted nothing refuses once the others spent the window's quota", async () => {
    const store = memoryStore();
    const clock = { t: Date.UTC(2026, 10, 30, 9, 0, 30) };
    const a = limiterWith(50, { store, clock }).limiter;
    const b = limiterWith(50, { store, clock }).limiter;
    expect((await admitMany(a, 60)).passed).toBe(50);
    // B's first request is admitted ahead of its lease (one unit of debt); the lease finds the quota spent.
    const first = await b.admit(window, "clerk-7");
    await settle();
    const { passed } = await admitMany(b, 10);
    expect(passed + (first.allowed ? 1 : 0)).toBeLessThanOrEqual(1);
    expect(b.stats().overshoot).toBe(first.allowed ? 1 : 0);
  });
});

describe("a database that fails", () => {
  it("fails open for a second, then counts again", async () => {
    const clock = { t: Date.UTC(2026, 10, 30, 9, 0, 0) };
    let fail = true;
    const inner = memoryStore();
    const store: LeaseStore = { statements: 0, lease: (r) => (fail ? Promise.reject(new Error("down")) : inner.lease(r)) };
    const errors: unknown[] = [];
    const limiter = new RateLimiter({ settings: rateLimitSettings({ kinds: { window: { member: { quota: 20 }, uid: null } } }), store, now: () => clock.t, onError: (e) => errors.push(e) });
    expect((await admitMany(limiter, 30)).passed).toBe(30);
    expect(errors.length).toBeGreaterThan(0);
    fail = false;
    clock.t += 1_000;
    const { passed } = await admitMany(limiter, 30);
    expect(passed).toBeLessThanOrEqual(20);
  });
});

describe("settings", () => {
  it("has safe defaults: generous for windows and their clerks, strict for consent collectors", () => {
    const s = rateLimitSettings();
    expect(policiesFor(s, "w", "window")).toEqual(DEFAULT_KIND_LIMITS.window);
    expect(DEFAULT_KIND_LIMITS.window.member!.quota).toBeGreaterThan(DEFAULT_KIND_LIMITS["consent-collector"].member!.quota);
    expect(policiesFor(s, "c", "consent-collector")).toEqual({ member: { quota: 60, windowSeconds: 60 }, uid: null });
  });

  it("overrides per kind and per member; null switches a scope off; off switches everything off", () => {
    const s = rateLimitSettings(
      parseRateLimitsText(
        JSON.stringify({
          kinds: { "consent-collector": { member: { quota: 30, windowSeconds: 10 } }, department: { uid: { quota: 5 } } },
          members: { "nanguan-window-01": { member: { quota: 3000 }, uid: null }, "cc-civil-affairs": { member: null } },
        }),
        "HUREN_RATE_LIMITS",
      ),
    );
    expect(policiesFor(s, "any-collector", "consent-collector").member).toEqual({ quota: 30, windowSeconds: 10 });
    expect(policiesFor(s, "nanguan-window-01", "window")).toEqual({ member: { quota: 3000, windowSeconds: 60 }, uid: null });
    expect(policiesFor(s, "other-window", "window")).toEqual(DEFAULT_KIND_LIMITS.window);
    expect(policiesFor(s, "cc-civil-affairs", "department")).toEqual({ member: null, uid: { quota: 5, windowSeconds: 60 } });
    expect(policiesFor(rateLimitSettings(parseRateLimitsText("off", "X")), "w", "window")).toEqual({ member: null, uid: null });
  });

  it("comes from HUREN_RATE_LIMITS or the bootstrap file's rateLimits", () => {
    expect(parseConfig({}).rateLimits).toBeUndefined();
    expect(parseConfig({ HUREN_RATE_LIMITS: "off" }).rateLimits).toEqual({ enabled: false });
    expect(parseConfig({ HUREN_RATE_LIMITS: '{"kinds":{"admin":{"member":{"quota":5}}}}' }).rateLimits).toEqual({ kinds: { admin: { member: { quota: 5 } } } });
    expect(() => parseConfig({ HUREN_RATE_LIMITS: '{"kinds":{"admin":{"member":{"quota":-1}}}}' })).toThrow(/invalid settings:\n  HUREN_RATE_LIMITS: kinds\.admin\.member\.quota/);
    expect(bootstrapSchema.parse({ rateLimits: { members: { "nanguan-window-01": { uid: null } } } }).rateLimits).toEqual({ members: { "nanguan-window-01": { uid: null } } });
    expect(bootstrapSchema.safeParse({ rateLimits: { kinds: { window: { member: { quota: "many" } } } } }).success).toBe(false);
  });

  it("rejects what it does not understand, naming the field", () => {
    expect(() => parseRateLimitsText("{", "HUREN_RATE_LIMITS")).toThrow(/HUREN_RATE_LIMITS: must be JSON/);
    expect(() => parseRateLimitsText(JSON.stringify({ kinds: { window: { member: { quota: 0 } } } }), "HUREN_RATE_LIMITS")).toThrow(/kinds\.window\.member\.quota/);
    expect(() => parseRateLimitsText(JSON.stringify({ kinds: { robot: {} } }), "HUREN_RATE_LIMITS")).toThrow(/kinds/);
    expect(() => parseRateLimitsText(JSON.stringify({ members: { "Bad Id": {} } }), "HUREN_RATE_LIMITS")).toThrow(/members/);
  });
});

describe("RateLimit fields (draft-ietf-httpapi-ratelimit-headers-11)", () => {
  it("are Structured Field Lists of String items with Integer parameters", async () => {
    const { limiter } = limiterWith(1200, { uid: 120 });
    const a = await limiter.admit(window, "clerk-7");
    const policy = parseList(rateLimitPolicyField(a.states));
    expect(policy.map(([name, params]) => [name, Object.fromEntries(params)])).toEqual([
      ["member", { q: 1200, w: 60 }],
      ["uid", { q: 120, w: 60 }],
    ]);
    const current = parseList(rateLimitField(a.states));
    expect(current.map(([name]) => name)).toEqual(["member", "uid"]);
    for (const [name, params] of current) {
      expect(typeof name).toBe("string"); // a String, not a Token
      expect(name).not.toBeInstanceOf(Token);
      expect(Number.isInteger(params.get("r"))).toBe(true);
      expect(Number.isInteger(params.get("t"))).toBe(true);
    }
    expect(current[0]![1].get("r")).toBe(1199);
  });
});
