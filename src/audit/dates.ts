/**
 * Time bounds for audit filters and exports: an RFC 3339 timestamp with offset, or a calendar
 * day `YYYY-MM-DD` read in China Standard Time — the day the auditor sees on the wall clock.
 * `from` a day starts at its 00:00 CST; `to` a day includes the whole day (to 23:59:59.999 CST).
 */
import { z } from "zod";

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export const timeBoundSchema = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: "expected a day YYYY-MM-DD (China Standard Time) or a timestamp with offset such as 2026-11-30T08:00:00+08:00 (in a query string, write + as %2B)",
  })
  .describe("YYYY-MM-DD (a China Standard Time day) or an RFC 3339 timestamp with offset");

/** The instant a `from` bound starts at. */
export function fromBound(s: string): Date {
  const m = DAY.exec(s);
  return m ? new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00.000+08:00`) : new Date(s);
}

/** The last instant a `to` bound includes. */
export function toBound(s: string): Date {
  const m = DAY.exec(s);
  return m ? new Date(new Date(`${m[1]}-${m[2]}-${m[3]}T00:00:00.000+08:00`).getTime() + 86_400_000 - 1) : new Date(s);
}

/** An instant as China Standard Time with its offset, e.g. `2026-11-30T16:05:09.120+08:00`. */
export function toCst(d: Date): string {
  return new Date(d.getTime() + 8 * 3_600_000).toISOString().replace("Z", "+08:00");
}
