/**
 * The replay store for request `jti`s, in the shared database so a token replayed against
 * another gateway process is caught too. Expired rows are swept now and then, not per request.
 */
import { lt } from "drizzle-orm";
import { requestNonces } from "../db/schema.ts";
import type { Db } from "../db/types.ts";

/**
 * @example
 * const remember = createNonceStore(db, () => new Date());
 * await remember("nanguan-window-01", jti, expiresAt); // true the first time, false after
 */
export function createNonceStore(db: Db, now: () => Date, sweepEveryMs = 60_000) {
  let lastSweep = 0;
  return async (issuer: string, jti: string, expiresAt: Date): Promise<boolean> => {
    const inserted = await db.insert(requestNonces).values({ issuer, jti, expiresAt }).onConflictDoNothing().returning({ jti: requestNonces.jti });
    const t = now().getTime();
    if (t - lastSweep > sweepEveryMs) {
      lastSweep = t;
      // A jti is only a replay within its lifetime; after that exp alone rejects the token.
      await db.delete(requestNonces).where(lt(requestNonces.expiresAt, now()));
    }
    return inserted.length === 1;
  };
}
