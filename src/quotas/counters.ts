/**
 * Per-window and per-operator hourly quotas, counted in `quota_counters` (fixed one-hour
 * windows, per evidence type). Reading is for the decision and the dry run; taking is atomic:
 * the increment carries its own `count < limit` condition, so concurrent verifications can
 * never take more than the limit between them.
 */
import { and, eq, gt, lt, sql } from "drizzle-orm";
import { quotaCounters } from "../db/schema.ts";
import type { Db, Queryable } from "../db/types.ts";
import { quotaWindowStart } from "../policies/clock.ts";
import type { QuotaLimits } from "../policies/evaluate.ts";

export interface QuotaSubject {
  evidenceType: string;
  window: string;
  /** The operator (`uid`); counted per window, since staff ids are only unique within one. */
  uid: string | undefined;
}

const scopes = (q: QuotaSubject) => ({
  window: { scope: `window:${q.evidenceType}`, key: q.window },
  operator: { scope: `operator:${q.evidenceType}`, key: `${q.window}/${q.uid ?? ""}` },
});

/**
 * This hour's counts so far.
 * @example await quotaUsage(db, { evidenceType: "housing.no-property-proof", window: "nanguan-window-01", uid: "clerk-7" }, now) // { window: 12, operator: 3 }
 */
export async function quotaUsage(db: Queryable, q: QuotaSubject, now: Date): Promise<{ window: number; operator: number }> {
  const start = quotaWindowStart(now);
  const s = scopes(q);
  const count = async ({ scope, key }: { scope: string; key: string }) => {
    const [row] = await db.select({ count: quotaCounters.count }).from(quotaCounters).where(and(eq(quotaCounters.scope, scope), eq(quotaCounters.key, key), eq(quotaCounters.windowStart, start)));
    return row?.count ?? 0;
  };
  return { window: await count(s.window), operator: await count(s.operator) };
}

class OverQuota extends Error {}

/**
 * Takes one unit of every limit that applies, all or none. False when any limit is reached.
 * @example if (!(await takeQuota(db, subject, decision.quotas, now))) deny("quota-exceeded");
 */
export async function takeQuota(db: Db, q: QuotaSubject, limits: QuotaLimits, now: Date): Promise<boolean> {
  const wanted = [
    { ...scopes(q).window, limit: limits.perWindowPerHour },
    { ...scopes(q).operator, limit: limits.perOperatorPerHour },
  ].filter((w): w is { scope: string; key: string; limit: number } => w.limit !== null);
  if (wanted.length === 0) return true;
  const windowStart = quotaWindowStart(now);
  try {
    await db.transaction(async (tx) => {
      for (const { scope, key, limit } of wanted) {
        const [row] = await tx
          .insert(quotaCounters)
          .values({ scope, key, windowStart, count: 1 })
          .onConflictDoUpdate({ target: [quotaCounters.scope, quotaCounters.key, quotaCounters.windowStart], set: { count: sql`${quotaCounters.count} + 1` }, setWhere: sql`${quotaCounters.count} < ${limit}` })
          .returning({ count: quotaCounters.count });
        if (!row) throw new OverQuota();
        // The first use of a new hour clears this counter's old hours, so the table stays small.
        if (row.count === 1) await tx.delete(quotaCounters).where(and(eq(quotaCounters.scope, scope), eq(quotaCounters.key, key), lt(quotaCounters.windowStart, windowStart)));
      }
    });
    return true;
  } catch (err) {
    if (err instanceof OverQuota) return false;
    throw err;
  }
}

/**
 * Gives back the unit {@link takeQuota} took at `takenAt`, for an item that was then refused
 * (its consent use failed) or never asked (the department's circuit was open, or it was
 * overloaded): quota counts questions put to departments, not attempts (issue #10 §8).
 * @example await giveBackQuota(db, subject, decision.quotas, now);
 */
export async function giveBackQuota(db: Db, q: QuotaSubject, limits: QuotaLimits, takenAt: Date): Promise<void> {
  const windowStart = quotaWindowStart(takenAt);
  const s = scopes(q);
  const taken = [limits.perWindowPerHour === null ? undefined : s.window, limits.perOperatorPerHour === null ? undefined : s.operator].filter((x) => x !== undefined);
  for (const { scope, key } of taken) {
    await db
      .update(quotaCounters)
      .set({ count: sql`${quotaCounters.count} - 1` })
      .where(and(eq(quotaCounters.scope, scope), eq(quotaCounters.key, key), eq(quotaCounters.windowStart, windowStart), gt(quotaCounters.count, 0)));
  }
}
