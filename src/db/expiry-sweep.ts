/**
 * Deleting expired rows now and then, off the request path: the replay store's `jti`s and the
 * rate limiter's counters. Call the returned function after each write; it starts a delete at
 * most once per `everyMs` and never waits for it. A failed sweep is retried at the next interval.
 */
import { lt } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./types.ts";

/**
 * @example
 * const sweep = expirySweep(db, requestNonces, requestNonces.expiresAt, { now, everyMs: 60_000 });
 * await insert(); sweep();
 */
export function expirySweep(db: Db, table: PgTable, expiresAt: PgColumn, options: { now: () => Date; everyMs?: number; onError?: ((err: unknown) => void) | undefined }): () => void {
  const everyMs = options.everyMs ?? 60_000;
  let last = 0;
  return () => {
    const now = options.now();
    if (now.getTime() - last < everyMs) return;
    last = now.getTime();
    db.delete(table)
      .where(lt(expiresAt, now))
      .then(
        () => {},
        (err: unknown) => options.onError?.(err),
      );
  };
}
