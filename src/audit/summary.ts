/**
 * Figures for the console's overview: entries per China Standard Time hour of one day, read
 * through the recorded_at index (a day is at most a day of entries, counted in the database).
 */
import { and, gte, lt, sql } from "drizzle-orm";
import { ledgerEntries } from "../db/schema.ts";
import type { Db } from "../db/types.ts";

const CST_OFFSET_MS = 8 * 3_600_000;

/** The UTC instant of 00:00 CST on the CST calendar day containing `at`. */
export const cstDayStart = (at: Date): Date => new Date(Math.floor((at.getTime() + CST_OFFSET_MS) / 86_400_000) * 86_400_000 - CST_OFFSET_MS);

/** Ledger entries per CST hour (0–23) of the CST day containing `at`. */
export async function entriesPerHour(db: Db, at: Date): Promise<number[]> {
  const start = cstDayStart(at);
  const end = new Date(start.getTime() + 86_400_000);
  const hour = sql<number>`floor(extract(epoch from (${ledgerEntries.recordedAt} - ${start.toISOString()}::timestamptz)) / 3600)::int`;
  const rows = await db
    .select({ hour, n: sql<number>`count(*)::int` })
    .from(ledgerEntries)
    .where(and(gte(ledgerEntries.recordedAt, start), lt(ledgerEntries.recordedAt, end)))
    .groupBy(sql`1`); // by position: the same expression with its parameter again would not match
  const out = new Array<number>(24).fill(0);
  for (const r of rows) if (r.hour >= 0 && r.hour < 24) out[Number(r.hour)] = Number(r.n);
  return out;
}
