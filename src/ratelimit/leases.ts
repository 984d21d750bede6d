/**
 * The shared half of the rate limiter: how much of each key's quota gateway processes have
 * leased in the current window, in `rate_limit_counters`. A lease is one upsert that takes
 * `least(want, quota − taken)` and says how much it got; leases wanted at the same time, for any
 * keys, go in one statement (src/db/grouped.ts, as the replay store's inserts), so under load a process
 * makes one round trip per batch, not per lease, and none at all per request (./limiter.ts).
 */
import { expirySweep } from "../db/expiry-sweep.ts";
import { grouped } from "../db/grouped.ts";
import { sql } from "drizzle-orm";
import type { Db } from "../db/types.ts";
import { rateLimitCounters } from "../db/schema.ts";
import { rowsOf } from "../db/rows.ts";

export interface LeaseRequest {
  scope: string;
  key: string;
  /** Start of the key's current window (ms since the epoch); the window ends at `expiresAt`. */
  windowStart: number;
  expiresAt: number;
  quota: number;
  want: number;
}

export interface LeaseGrant {
  /** Units granted (0 when the window's quota is all leased). */
  granted: number;
  /** Units leased in this window by every process, this lease included. */
  taken: number;
}

export interface LeaseStore {
  lease(request: LeaseRequest): Promise<LeaseGrant>;
  /** Round trips made so far (tests and the figures in docs/operators.md). */
  readonly statements: number;
}

interface Pending {
  request: LeaseRequest;
  resolve(grant: LeaseGrant): void;
  reject(err: unknown): void;
}

export interface DbLeaseStoreOptions {
  now: () => Date;
  /** Most leases in one statement. Default 256. */
  maxBatch?: number;
  /** How often rows of ended windows are deleted. Default 60 s. */
  sweepEveryMs?: number;
  onSweepError?: (err: unknown) => void;
}

const pairOf = (scope: string, key: string) => `${scope}\n${key}`;

async function leaseBatch(db: Db, batch: Pending[]): Promise<Map<string, LeaseGrant>> {
  const rows = batch.map(({ request: r }) => ({
    scope: r.scope,
    key: r.key,
    window_start: new Date(r.windowStart).toISOString(),
    expires_at: new Date(r.expiresAt).toISOString(),
    quota: r.quota,
    want: r.want,
  }));
  // In ON CONFLICT DO UPDATE every SET expression reads the row as it was, so `granted` and
  // `taken` move together: least(want, quota − taken) = least(excluded.granted, quota − taken),
  // since excluded.granted is least(want, quota) and taken ≥ 0.
  const result = await db.execute(sql`
    insert into ${rateLimitCounters} as c (scope, key, window_start, expires_at, quota, taken, granted)
    select scope, key, window_start, expires_at, quota, least(want, quota), least(want, quota)
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as r(scope text, key text, window_start timestamptz, expires_at timestamptz, quota int, want int)
    on conflict (scope, key, window_start) do update set
      granted = greatest(0, least(excluded.granted, excluded.quota - c.taken)),
      taken = c.taken + greatest(0, least(excluded.granted, excluded.quota - c.taken)),
      quota = excluded.quota
    returning scope, key, taken, granted`);
  return new Map(rowsOf<{ scope: string; key: string; taken: number; granted: number }>(result).map((r) => [pairOf(r.scope, r.key), { taken: Number(r.taken), granted: Number(r.granted) }]));
}

/**
 * @example
 * const store = createDbLeaseStore(db, { now: () => new Date() });
 * await store.lease({ scope: "member", key: "nanguan-window-01", windowStart, expiresAt, quota: 1200, want: 60 }); // { granted: 60, taken: 60 }
 */
export function createDbLeaseStore(db: Db, options: DbLeaseStoreOptions): LeaseStore {
  const maxBatch = options.maxBatch ?? 256;
  const sweep = expirySweep(db, rateLimitCounters, rateLimitCounters.expiresAt, { now: options.now, everyMs: options.sweepEveryMs, onError: options.onSweepError });
  const leases = grouped<Pending>({
    // One row per (scope, key) in a statement (an upsert cannot touch a row twice); a second
    // lease for the same key waits for the next statement.
    take(queue) {
      const seen = new Set<string>();
      const batch: Pending[] = [];
      const rest: Pending[] = [];
      for (const p of queue) {
        const pair = pairOf(p.request.scope, p.request.key);
        if (batch.length < maxBatch && !seen.has(pair)) {
          seen.add(pair);
          batch.push(p);
        } else rest.push(p);
      }
      return { batch, rest };
    },
    async run(batch) {
      const grants = await leaseBatch(db, batch);
      for (const p of batch) {
        const grant = grants.get(pairOf(p.request.scope, p.request.key));
        if (grant) p.resolve(grant);
        else p.reject(new Error("rate-limit lease returned no row"));
      }
    },
    drained: sweep,
  });

  return {
    lease: (request) => new Promise((resolve, reject) => leases.push({ request, resolve, reject })),
    get statements() {
      return leases.statements;
    },
  };
}
