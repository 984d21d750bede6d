/**
 * Time as policies see it: China Standard Time (UTC+8, no daylight saving), the one civil time of
 * the mainland, so service hours and quota windows never depend on the server's time zone.
 */
import type { ServiceHours } from "./model.ts";

const CST_OFFSET_MS = 8 * 3600_000;
const HOUR_MS = 3600_000;

/**
 * ISO weekday (1 = Monday … 7 = Sunday) and "HH:MM" in China Standard Time.
 * @example chinaClock(new Date("2026-11-23T01:30:00Z")) // { day: 1, time: "09:30" }
 */
export function chinaClock(now: Date): { day: number; time: string } {
  const local = new Date(now.getTime() + CST_OFFSET_MS);
  const day = local.getUTCDay() === 0 ? 7 : local.getUTCDay();
  const time = `${String(local.getUTCHours()).padStart(2, "0")}:${String(local.getUTCMinutes()).padStart(2, "0")}`;
  return { day, time };
}

/**
 * Is `now` inside one of the intervals? `from` is inclusive, `to` exclusive.
 * @example withinServiceHours(new Date("2026-11-23T01:30:00Z"), [{ days: [1, 2, 3, 4, 5], from: "08:30", to: "17:00" }]) // true
 */
export function withinServiceHours(now: Date, hours: ServiceHours): boolean {
  const { day, time } = chinaClock(now);
  return hours.some((h) => h.days.includes(day) && time >= h.from && time < h.to);
}

/**
 * Start of the quota window `now` falls in: the hour, on the hour (UTC+8 is a whole number of
 * hours, so this is the same instant in China time).
 * @example quotaWindowStart(new Date("2026-11-23T01:30:00Z")).toISOString() // "2026-11-23T01:00:00.000Z"
 */
export const quotaWindowStart = (now: Date): Date => new Date(Math.floor(now.getTime() / HOUR_MS) * HOUR_MS);
