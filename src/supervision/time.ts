/**
 * Supervision's calendar: China Standard Time (UTC+8, no daylight saving). Days and hours are
 * named as text (`2026-11-30`, `2026-11-30T09`) so rollup buckets sort as time and a range of
 * days is a range of keys.
 */
const CST_MS = 8 * 3600_000;
const DAY_MS = 24 * 3600_000;

const local = (t: Date) => new Date(t.getTime() + CST_MS).toISOString();

/** @example cstDay(new Date("2026-11-30T16:00:00Z")) // "2026-12-01" */
export const cstDay = (t: Date): string => local(t).slice(0, 10);

/** @example cstHour(new Date("2026-11-30T01:15:00Z")) // "2026-11-30T09" */
export const cstHour = (t: Date): string => local(t).slice(0, 13);

/** The instant a CST day starts. @example dayStart("2026-12-01").toISOString() // "2026-11-30T16:00:00.000Z" */
export const dayStart = (day: string): Date => new Date(Date.parse(`${day}T00:00:00Z`) - CST_MS);

/** @example addDays("2026-12-01", -1) // "2026-11-30" */
export const addDays = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);

/** An instant in RFC 3339 with the +08:00 offset, as §10 shows periods. */
export const rfc3339Cst = (t: Date): string => `${local(t).slice(0, 19)}+08:00`;

/** A month's first and last day. @example monthDays("2026-02") // { from: "2026-02-01", to: "2026-02-28" } */
export function monthDays(month: string): { from: string; to: string } {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return { from: `${month}-01`, to: `${month}-${String(last).padStart(2, "0")}` };
}

export type RulePeriod = "1h" | "1d";

/**
 * The period a rule counts in: its key (`h:2026-11-30T09` or `d:2026-11-30`) and bounds.
 * @example periodOf("1d", new Date("2026-11-30T16:00:00Z")).key // "d:2026-12-01"
 */
export function periodOf(period: RulePeriod, t: Date): { key: string; from: Date; to: Date } {
  // Every rule asks this for every entry: remember the last few hours' answers.
  const memo = `${period}|${Math.floor(t.getTime() / 3600_000)}`;
  const known = periods.get(memo);
  if (known) return known;
  const p = computePeriod(period, t);
  if (periods.size > 256) periods.clear();
  periods.set(memo, p);
  return p;
}

const periods = new Map<string, { key: string; from: Date; to: Date }>();

function computePeriod(period: RulePeriod, t: Date): { key: string; from: Date; to: Date } {
  if (period === "1h") {
    const hour = cstHour(t);
    const from = new Date(Date.parse(`${hour}:00:00Z`) - CST_MS);
    return { key: `h:${hour}`, from, to: new Date(from.getTime() + 3600_000) };
  }
  const day = cstDay(t);
  const from = dayStart(day);
  return { key: `d:${day}`, from, to: new Date(from.getTime() + DAY_MS) };
}

/** Is this a real calendar day written YYYY-MM-DD? */
export const isDay = (s: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(s) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
