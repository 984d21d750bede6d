/**
 * §10 queries about windows, the asking side: verifications, items, certificateFree (the
 * headline: copies nobody had to bring) and denials, per window and operator, in total, per
 * matter and per day. Every figure is a sum of rollup rows over CST days.
 */
import { sql } from "drizzle-orm";
import type { Queryable } from "../db/types.ts";
import { rowsOf } from "../db/rows.ts";
import { addFigures, type Figures } from "./fold.ts";
import { addDays } from "./time.ts";
import { map, n, rollups, type Range } from "./rollup-reads.ts";

export interface ClerkFigures {
  verifications: number;
  items: number;
  certificateFree: number;
  denials: Record<string, number>;
}

const clerkFigures = (f: Figures): ClerkFigures => ({ verifications: n(f, "verifications"), items: n(f, "items"), certificateFree: n(f, "certificateFree"), denials: map(f, "denials") });

export interface WindowFigures extends ClerkFigures {
  window: string;
  operators: (ClerkFigures & { operator: string })[];
}

/** Per operator (`<window>/<uid>`) over the range, summed; the raw material of windows and totals. */
export async function operators(q: Queryable, r: Range): Promise<Map<string, Figures>> {
  const out = new Map<string, Figures>();
  for (const row of await rollups(q, "operator", r)) out.set(row.key, addFigures(out.get(row.key) ?? {}, row.figures));
  return out;
}

/**
 * §10 windows: verifications, items, certificateFree (the headline: copies nobody had to bring)
 * and denials by reason, per window and per operator.
 */
export async function windows(q: Queryable, r: Range): Promise<WindowFigures[]> {
  return windowsOf(await operators(q, r));
}

/** Windows from per-operator figures already read (the monthly report reads them once). */
export function windowsOf(perOperator: Map<string, Figures>): WindowFigures[] {
  const perWindow = new Map<string, { total: Figures; operators: WindowFigures["operators"] }>();
  for (const [operator, figures] of perOperator) {
    const window = operator.slice(0, operator.indexOf("/"));
    const w = perWindow.get(window) ?? { total: {}, operators: [] };
    addFigures(w.total, structuredClone(figures));
    w.operators.push({ operator, ...clerkFigures(figures) });
    perWindow.set(window, w);
  }
  return [...perWindow.entries()]
    .map(([window, w]) => ({ window, ...clerkFigures(w.total), operators: w.operators.sort((a, b) => a.operator.localeCompare(b.operator)) }))
    .sort((a, b) => a.window.localeCompare(b.window));
}

export interface Totals {
  verifications: number;
  items: number;
  certificateFree: number;
  denied: number;
  unavailable: number;
}

/** Totals and denials by reason over the range. */
export async function totals(q: Queryable, r: Range): Promise<{ totals: Totals; denials: Record<string, number> }> {
  return totalsOf(await operators(q, r));
}

export function totalsOf(perOperator: Map<string, Figures>): { totals: Totals; denials: Record<string, number> } {
  const all: Figures = {};
  for (const f of perOperator.values()) addFigures(all, structuredClone(f));
  return {
    totals: { verifications: n(all, "verifications"), items: n(all, "items"), certificateFree: n(all, "certificateFree"), denied: n(all, "denied"), unavailable: n(all, "unavailable") },
    denials: map(all, "denials"),
  };
}

/** Per matter over the range. */
export async function matters(q: Queryable, r: Range): Promise<{ matter: string; verifications: number; items: number; certificateFree: number }[]> {
  const per = new Map<string, Figures>();
  for (const row of await rollups(q, "matter", r)) per.set(row.key, addFigures(per.get(row.key) ?? {}, row.figures));
  return [...per.entries()]
    .map(([matter, f]) => ({ matter, verifications: n(f, "verifications"), items: n(f, "items"), certificateFree: n(f, "certificateFree") }))
    .sort((a, b) => a.matter.localeCompare(b.matter));
}

/**
 * Totals per CST day of the range, in one read of the operator day rows (the monthly page's daily bars).
 * @example const days = await dailyTotals(db, { from: "2026-11-01", to: "2026-11-30" }); // [{ day, totals }]
 */
export async function dailyTotals(q: Queryable, r: Range): Promise<{ day: string; totals: Totals }[]> {
  const rows = rowsOf<{ bucket: string; figures: Figures | string }>(
    await q.execute(sql`select bucket, figures from supervision_rollups where dim = 'operator-d' and bucket >= ${r.from} and bucket <= ${r.to}`),
  );
  const per = new Map<string, Map<string, Figures>>();
  rows.forEach((row, i) => {
    const day = per.get(row.bucket) ?? new Map<string, Figures>();
    day.set(String(i), typeof row.figures === "string" ? (JSON.parse(row.figures) as Figures) : row.figures);
    per.set(row.bucket, day);
  });
  const out: { day: string; totals: Totals }[] = [];
  for (let d = r.from; d <= r.to; d = addDays(d, 1)) out.push({ day: d, totals: totalsOf(per.get(d) ?? new Map()).totals });
  return out;
}
