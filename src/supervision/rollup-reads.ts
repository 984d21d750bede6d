/**
 * Reading the supervision rollups for §10: the rows of one dimension over a range of CST days
 * (month rows wherever a whole month fits, day rows for the rest), and the helpers that turn
 * summed figures into counts and ratios. The queries are `./department-queries.ts` (departments,
 * ranking, callers, trend) and `./window-queries.ts` (windows, operators, totals, matters).
 * Nothing here can name a person: the rollups hold no subject reference or case number.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Queryable } from "../db/types.ts";
import { rowsOf } from "../db/rows.ts";
import type { Figures } from "./fold.ts";
import { addDays, monthDays } from "./time.ts";

export interface Range {
  from: string;
  to: string;
}

/**
 * The rollup rows of `dim` (`operator`, `matter`: day rows, and month rows for whole months in
 * the range; `adapter`: day rows) over the range.
 */
export async function rollups(q: Queryable, dim: "adapter" | "operator" | "matter", r: Range): Promise<{ key: string; figures: Figures }[]> {
  const parts: SQL[] = [];
  if (dim === "adapter") parts.push(sql`(dim = 'adapter-d' and bucket >= ${r.from} and bucket <= ${r.to})`);
  else {
    const { months, days } = splitRange(r);
    if (months.length > 0) parts.push(sql`(dim = ${`${dim}-m`} and bucket >= ${months[0]!} and bucket <= ${months[months.length - 1]!})`);
    for (const d of days) parts.push(sql`(dim = ${`${dim}-d`} and bucket >= ${d.from} and bucket <= ${d.to})`);
  }
  if (parts.length === 0) return [];
  const rows = rowsOf<{ key: string; figures: Figures | string }>(await q.execute(sql`select key, figures from supervision_rollups where ${sql.join(parts, sql` or `)}`));
  return rows.map((row) => ({ key: row.key, figures: typeof row.figures === "string" ? (JSON.parse(row.figures) as Figures) : row.figures }));
}

/** Whole calendar months inside the range, and the day ranges left over before and after them. */
export function splitRange(r: Range): { months: string[]; days: Range[] } {
  const months: string[] = [];
  let cursor = r.from;
  const days: Range[] = [];
  let dayFrom: string | undefined;
  while (cursor <= r.to) {
    const m = monthDays(cursor.slice(0, 7));
    if (cursor === m.from && m.to <= r.to) {
      if (dayFrom) days.push({ from: dayFrom, to: addDays(cursor, -1) }), (dayFrom = undefined);
      months.push(cursor.slice(0, 7));
      cursor = addDays(m.to, 1);
    } else {
      dayFrom ??= cursor;
      cursor = addDays(cursor, 1);
    }
  }
  if (dayFrom) days.push({ from: dayFrom, to: r.to });
  return { months, days };
}

/** A count in summed figures (0 where there is none). */
export const n = (f: Figures, k: string) => (typeof f[k] === "number" ? (f[k] as number) : 0);
/** A copy of a by-code map in summed figures (`{}` where there is none). */
export const map = (f: Figures, k: string) => ({ ...((f[k] as Record<string, number> | undefined) ?? {}) });
/** a / b to four decimals; null where b is 0. */
export const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);
