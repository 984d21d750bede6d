/**
 * Rate limits that hold across gateway processes without a database round trip per request.
 *
 * Each key (a member, or a member's acting person) has a fixed window of `windowSeconds`, offset
 * per key by a hash of it so that windows do not all end on the same second (no thundering herd
 * at the top of the minute). The quota of a window lives in the shared database
 * (`rate_limit_counters`, ./leases.ts); each process *leases* it in chunks and spends the chunk
 * locally. The hot path is a Map lookup and a decrement:
 *
 * - a request spends a local token when the process holds one; below half a chunk, the next
 *   lease is fetched in the background, so a busy key never waits;
 * - a key this process holds no tokens for (its first request in the window, or a burst faster
 *   than the prefetch) is admitted *ahead* of its lease, up to one chunk of such debt, and the
 *   lease then covers it; only past that debt does a request wait for the lease;
 * - once the database has granted the window's whole quota (a lease got less than it asked
 *   for), the key is dry: requests past the local tokens are refused without any round trip
 *   until the window ends.
 *
 * Accuracy: leases never hand out more than the quota, so the admitted total stays within the
 * quota plus the debt still uncovered when a window runs dry — at most one chunk per process
 * per window (`overshoot` counts it). The other way, tokens leased by a process and not spent
 * there are lost to the others for that window (at most a chunk per process, less near the end
 * of a window, where leases shrink with what is left). Chunks are quota/20, 1 to 64.
 * A database error fails open for a second (the request is served; the replay store, which
 * needs the same database, decides whether it can be).
 */
import type { MemberKind } from "../members/members.ts";
import type { LeaseStore } from "./leases.ts";
import { policiesFor, type RateLimitSettings, type RatePolicy, type RateScope } from "./settings.ts";

/** Where a request's one unit came from, so it can be given back if another scope refuses. */
type Taken = "token" | "debt" | "open" | "denied";

interface Bucket {
  readonly scope: RateScope;
  readonly key: string;
  readonly policy: RatePolicy;
  /** The window's offset in ms (a hash of the key, whole seconds). */
  readonly offsetMs: number;
  readonly chunk: number;
  windowStart: number;
  /** Leased and not yet spent. */
  tokens: number;
  /** Admitted ahead of a lease, not yet covered by one. */
  debt: number;
  /** quota − taken in the database as of the last lease (the others' part is not seen). */
  shared: number;
  /** The database has granted the whole quota of this window. */
  dry: boolean;
  /** Until then (ms) the key is not counted: its last lease failed. */
  openUntil: number;
  pending: Promise<void> | undefined;
}

export interface LimitState {
  scope: RateScope;
  policy: RatePolicy;
  /** Quota units left in this window, as far as this process can tell (a hint, as the draft says). */
  remaining: number;
  /** Seconds until the window ends. */
  resetSeconds: number;
}

export interface Admission {
  allowed: boolean;
  /** One per scope counted, `member` first (a refusal by `member` does not reach `uid`); empty when no limit applies. */
  states: LimitState[];
  /** The scope that refused (when not allowed). */
  violated?: RateScope;
  /** When not allowed: seconds until the refusing window ends (≥ 1). */
  retryAfter?: number;
}

export interface RateLimiterOptions {
  settings: RateLimitSettings;
  store: LeaseStore;
  /** Milliseconds since the epoch (the gateway's injectable clock). */
  now: () => number;
  /**
   * The database key of a uid bucket (default: as is). The gateway passes a SHA-256, so staff ids
   * are never written to the table.
   */
  storageKey?: (key: string) => Promise<string>;
  onError?: (err: unknown) => void;
  /**
   * Workers: keeps the request that started a lease alive until it settles (`ctx.waitUntil`), since
   * other requests may wait for it (src/entry/request-scope.ts).
   */
  background?: (lease: Promise<void>) => void;
}

export interface RateLimiterStats {
  buckets: number;
  /** Requests admitted ahead of a lease that the window then had no quota for. */
  overshoot: number;
  /** Lease statements (database round trips) so far. */
  leaseStatements: number;
}

const FAIL_OPEN_MS = 1_000;
const PRUNE_EVERY_MS = 10_000;
const ALLOW_UNLIMITED: Admission = { allowed: true, states: [] };

/** FNV-1a: a cheap, stable spread of keys over the window's seconds. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const chunkOf = (quota: number) => Math.max(1, Math.min(64, Math.floor(quota / 20)));

/**
 * @example
 * const limiter = new RateLimiter({ settings: rateLimitSettings(), store: createDbLeaseStore(db, { now }), now: () => Date.now() });
 * const a = await limiter.admit({ id: "nanguan-window-01", kind: "window" }, "clerk-7");
 * if (!a.allowed) answer429(a.retryAfter);
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private overshoot = 0;
  private lastPrune = 0;

  constructor(private readonly options: RateLimiterOptions) {}

  stats(): RateLimiterStats {
    return { buckets: this.buckets.size, overshoot: this.overshoot, leaseStatements: this.options.store.statements };
  }

  /**
   * Counts one request of `member` (and of its acting person `uid`, where the kind has a uid
   * limit) and says whether it may proceed. Synchronous unless it has to wait for a lease.
   */
  admit(member: { id: string; kind: MemberKind }, uid: string | undefined): Admission | Promise<Admission> {
    const policies = policiesFor(this.options.settings, member.id, member.kind);
    const scopes: (() => Bucket)[] = [];
    if (policies.member) {
      const p = policies.member;
      scopes.push(() => this.bucket("member", member.id, p));
    }
    // The uid's bucket is made only once the member's quota admitted the request: a member past
    // its quota cannot fill memory with buckets for made-up uids.
    if (policies.uid && uid !== undefined) {
      const p = policies.uid;
      scopes.push(() => this.bucket("uid", `${member.id}\n${uid}`, p));
    }
    if (scopes.length === 0) return ALLOW_UNLIMITED;
    return this.admitFrom(scopes, [], []);
  }

  private admitFrom(scopes: (() => Bucket)[], buckets: Bucket[], taken: Taken[]): Admission | Promise<Admission> {
    for (let i = buckets.length; i < scopes.length; i++) {
      const b = scopes[i]!();
      buckets.push(b);
      const t = this.take(b);
      if (typeof t !== "string") return t.then((resolved) => this.settle(buckets, i, taken, resolved) ?? this.admitFrom(scopes, buckets, taken));
      const done = this.settle(buckets, i, taken, t);
      if (done) return done;
    }
    return this.answer(buckets, undefined);
  }

  /** Records bucket i's outcome; the refusal when it refused. */
  private settle(buckets: Bucket[], i: number, taken: Taken[], t: Taken): Admission | undefined {
    if (t === "denied") {
      // Give back what the scopes before took: a refused request counts nowhere.
      for (let j = 0; j < taken.length; j++) this.giveBack(buckets[j]!, taken[j]!);
      return this.answer(buckets, buckets[i]!);
    }
    taken.push(t);
    return undefined;
  }

  private answer(buckets: Bucket[], refused: Bucket | undefined): Admission {
    const now = this.options.now();
    const states = buckets.map((b) => this.state(b, now));
    if (!refused) return { allowed: true, states };
    const resetSeconds = states[buckets.indexOf(refused)]!.resetSeconds;
    return { allowed: false, states, violated: refused.scope, retryAfter: Math.max(1, resetSeconds) };
  }

  private state(b: Bucket, now: number): LimitState {
    const end = b.windowStart + b.policy.windowSeconds * 1000;
    return {
      scope: b.scope,
      policy: b.policy,
      remaining: Math.max(0, b.tokens + b.shared - b.debt),
      resetSeconds: Math.max(0, Math.ceil((end - now) / 1000)),
    };
  }

  private bucket(scope: RateScope, key: string, policy: RatePolicy): Bucket {
    const id = `${scope}\n${key}`;
    let b = this.buckets.get(id);
    // A changed policy (settings are per process, so only across a restart… or a test) starts afresh.
    if (!b || b.policy.quota !== policy.quota || b.policy.windowSeconds !== policy.windowSeconds) {
      const chunk = chunkOf(policy.quota);
      b = { scope, key, policy, offsetMs: (fnv1a(id) % policy.windowSeconds) * 1000, chunk, windowStart: Number.NaN, tokens: 0, debt: 0, shared: policy.quota, dry: false, openUntil: 0, pending: undefined };
      this.buckets.set(id, b);
    }
    return b;
  }

  /** Moves `b` to the window `now` is in, dropping what was leased for an earlier one. */
  private roll(b: Bucket, now: number): void {
    const w = b.policy.windowSeconds * 1000;
    const start = Math.floor((now - b.offsetMs) / w) * w + b.offsetMs;
    if (start === b.windowStart) return;
    b.windowStart = start;
    b.tokens = 0;
    b.debt = 0;
    b.shared = b.policy.quota;
    b.dry = false;
    b.openUntil = 0;
    b.pending = undefined;
  }

  private take(b: Bucket): Taken | Promise<Taken> {
    const now = this.options.now();
    this.roll(b, now);
    if (b.tokens > 0) {
      b.tokens--;
      if (b.tokens <= b.chunk >> 1 && !b.dry && !b.pending) void this.lease(b, now);
      return "token";
    }
    if (now < b.openUntil) return "open";
    if (b.dry) return "denied";
    if (b.debt < b.chunk) {
      b.debt++;
      void this.lease(b, now);
      return "debt";
    }
    // A burst past the debt: wait for the lease in flight, then look again.
    return this.lease(b, now).then(() => this.take(b));
  }

  private giveBack(b: Bucket, t: Taken): void {
    if (t === "token") b.tokens++;
    else if (t === "debt" && b.debt > 0) b.debt--;
  }

  /** The lease in flight for `b`, or a new one: this window's debt plus a chunk (smaller as the quota runs out). */
  private lease(b: Bucket, now: number): Promise<void> {
    if (b.pending) return b.pending;
    this.prune(now);
    const windowStart = b.windowStart;
    const want = b.debt + Math.min(b.chunk, Math.max(1, Math.ceil(b.shared / 8)));
    const run = (async () => {
      const key = b.scope === "uid" && this.options.storageKey ? await this.options.storageKey(b.key) : b.key;
      const grant = await this.options.store.lease({
        scope: b.scope,
        key,
        windowStart,
        expiresAt: windowStart + b.policy.windowSeconds * 1000,
        quota: b.policy.quota,
        want,
      });
      if (b.windowStart !== windowStart) return; // the window ended meanwhile: the grant is void
      const covered = Math.min(grant.granted, b.debt);
      b.debt -= covered;
      b.tokens += grant.granted - covered;
      b.shared = Math.max(0, b.policy.quota - grant.taken);
      if (grant.granted < want) b.dry = true;
      if (b.dry && b.debt > 0) {
        this.overshoot += b.debt;
        b.debt = 0;
      }
    })().then(
      () => {},
      (err: unknown) => {
        if (b.windowStart === windowStart) {
          b.openUntil = this.options.now() + FAIL_OPEN_MS;
          b.debt = 0;
        }
        this.options.onError?.(err);
      },
    );
    const settled = run.finally(() => {
      if (b.pending === settled) b.pending = undefined;
    });
    b.pending = settled;
    this.options.background?.(settled);
    return settled;
  }

  /** Forgets buckets whose window has ended (at most every 10 s, from a lease, never per request). */
  private prune(now: number): void {
    if (now - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now;
    for (const [id, b] of this.buckets) {
      if (!b.pending && b.windowStart + b.policy.windowSeconds * 1000 <= now) this.buckets.delete(id);
    }
  }
}
