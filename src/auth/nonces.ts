/**
 * The replay store for request `jti`s, in the shared database so a token replayed against
 * another gateway process is caught too. Expired rows are swept now and then, not per request.
 *
 * Group insert: every signed request records its jti before it is served, and one insert per
 * request meant one commit (one WAL flush) per request. Requests that arrive while an insert is
 * in flight wait for the next one, which records all of them in one statement; each caller
 * still learns, from that statement's `returning`, whether its own jti was new.
 */
import { expirySweep } from "../db/expiry-sweep.ts";
import { grouped } from "../db/grouped.ts";
import { sql } from "drizzle-orm";
import { requestNonces } from "../db/schema.ts";
import type { Db } from "../db/types.ts";
import { rowsOf } from "../db/rows.ts";

interface Pending {
  issuer: string;
  jti: string;
  expiresAt: Date;
  resolve(stored: boolean): void;
  reject(reason: unknown): void;
}

export interface NonceStoreOptions {
  /** How often expired rows are deleted. */
  sweepEveryMs?: number;
  /** Most jtis in one insert. */
  maxBatch?: number;
  /** A failed sweep is retried at the next interval; this hears about it. */
  onSweepError?: (err: unknown) => void;
  /** Hears every insert (metrics): jtis in it, how many were replays, seconds it took. */
  onBatch?: (size: number, replayed: number, seconds: number) => void;
}

// Issuers are member ids and jtis printable ASCII without spaces (both checked before this is
// reached), so a newline cannot occur in either.
const keyOf = (issuer: string, jti: string) => `${issuer}\n${jti}`;

async function insertBatch(db: Db, batch: Pending[]): Promise<Set<string>> {
  const rows = batch.map((p) => ({ issuer: p.issuer, jti: p.jti, expires_at: p.expiresAt.toISOString() }));
  // `on conflict do nothing` also skips a second copy of a key within the same statement.
  const result = await db.execute(sql`
    insert into ${requestNonces} (issuer, jti, expires_at)
    select issuer, jti, expires_at from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(issuer text, jti text, expires_at timestamptz)
    on conflict do nothing
    returning issuer, jti`);
  return new Set(rowsOf<{ issuer: string; jti: string }>(result).map((r) => keyOf(r.issuer, r.jti)));
}

/**
 * @example
 * const remember = createNonceStore(db, () => new Date());
 * await remember("nanguan-window-01", jti, expiresAt); // true the first time, false after
 */
export function createNonceStore(db: Db, now: () => Date, options: NonceStoreOptions = {}) {
  const maxBatch = options.maxBatch ?? 512;
  // A jti is only a replay within its lifetime; after that exp alone rejects the token.
  const sweep = expirySweep(db, requestNonces, requestNonces.expiresAt, { now, everyMs: options.sweepEveryMs, onError: options.onSweepError });
  const inserts = grouped<Pending>({
    take: (queue) => ({ batch: queue.slice(0, maxBatch), rest: queue.slice(maxBatch) }),
    async run(batch) {
      const started = performance.now();
      const stored = await insertBatch(db, batch);
      // The first caller with a key gets the row; any later one in the batch is a replay.
      let replayed = 0;
      for (const p of batch) {
        const fresh = stored.delete(keyOf(p.issuer, p.jti));
        if (!fresh) replayed++;
        p.resolve(fresh);
      }
      options.onBatch?.(batch.length, replayed, (performance.now() - started) / 1000);
    },
    drained: sweep,
  });

  const remember = (issuer: string, jti: string, expiresAt: Date): Promise<boolean> => new Promise((resolve, reject) => inserts.push({ issuer, jti, expiresAt, resolve, reject }));
  // Insert statements made so far (each records a whole batch), and jtis waiting: for tests and metrics.
  Object.defineProperty(remember, "queued", { get: () => inserts.queued });
  return Object.defineProperty(remember, "inserts", { get: () => inserts.statements }) as typeof remember & { readonly inserts: number; readonly queued: number };
}
