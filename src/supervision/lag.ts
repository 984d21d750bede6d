/**
 * How far supervision trails the ledger (for metrics): entries not yet folded, and how long the
 * oldest of them has waited. One statement over the watermark, the ledger head and one entry.
 */
import { sql } from "drizzle-orm";
import type { Queryable } from "../db/types.ts";
import { rowsOf } from "../db/rows.ts";

export interface SupervisionLag {
  /** Ledger entries the consumer has not folded yet (0 when caught up). */
  entries: number;
  /** Seconds since the oldest of them was recorded (0 when caught up). */
  seconds: number;
}

/**
 * @example
 * const { entries, seconds } = await supervisionLag(db, new Date()); // { entries: 0, seconds: 0 } when caught up
 */
export async function supervisionLag(db: Queryable, now: Date): Promise<SupervisionLag> {
  const [row] = rowsOf<{ next: string | number; size: string | number; oldest: string | Date | null }>(
    await db.execute(sql`
      with w as (select coalesce((select next_index from supervision_state where id = 1), 0) as next)
      select w.next as next,
             coalesce((select size from ledger_head where id = 1), 0) as size,
             (select recorded_at from ledger_entries where idx = w.next) as oldest
        from w`),
  );
  const entries = Math.max(0, Number(row?.size ?? 0) - Number(row?.next ?? 0));
  const oldest = entries > 0 && row?.oldest ? new Date(row.oldest) : undefined;
  return { entries, seconds: oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0 };
}
