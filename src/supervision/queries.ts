/**
 * Reading the supervision store for §10: departments, the daily ranking, windows and operators.
 * Every figure is a sum of rollup rows over CST days; percentiles come from merged histograms.
 * Nothing here can name a person: the rollups hold no subject reference or case number.
 */
import { sql, type SQL } from "drizzle-orm";
import type { Queryable } from "../db/types.ts";
import { rowsOf } from "../db/rows.ts";
import { addFigures, type Figures } from "./fold.ts";
import { quantile } from "./histogram.ts";
import { addDays, dayStart, monthDays } from "./time.ts";

export interface Range {
  from: string;
  to: string;
}

/**
 * The rollup rows of `dim` (`operator`, `matter`: day rows, and month rows for whole months in
 * the range; `adapter`: day rows) over the range.
 */
async function rollups(q: Queryable, dim: "adapter" | "operator" | "matter", r: Range): Promise<{ key: string; figures: Figures }[]> {
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

const n = (f: Figures, k: string) => (typeof f[k] === "number" ? (f[k] as number) : 0);
const map = (f: Figures, k: string) => ({ ...((f[k] as Record<string, number> | undefined) ?? {}) });
const ratio = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);

export interface ServiceFigures {
  asked: number;
  answered: number;
  unavailable: Record<string, number>;
  fulfilment: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

function serviceFigures(f: Figures): ServiceFigures {
  const hist = (f.hist as number[] | undefined) ?? [];
  return {
    asked: n(f, "asked"),
    answered: n(f, "answered"),
    unavailable: map(f, "unavailable"),
    fulfilment: ratio(n(f, "answered"), n(f, "asked")),
    p50Ms: quantile(hist, 0.5),
    p95Ms: quantile(hist, 0.95),
    p99Ms: quantile(hist, 0.99),
  };
}

export interface DepartmentFigures extends ServiceFigures {
  department: string;
  name: string;
  breaches: number;
  adapters: (ServiceFigures & { adapter: string; evidenceType: string })[];
}

/** Cards of the department rules whose period starts in the range, per department. */
async function breaches(q: Queryable, r: Range): Promise<Map<string, number>> {
  const rows = rowsOf<{ target_id: string; n: string | number }>(
    await q.execute(sql`select target_id, count(*) as n from supervision_cards
      where target_kind = 'department' and period_from >= ${dayStart(r.from).toISOString()}::timestamptz and period_from < ${dayStart(addDays(r.to, 1)).toISOString()}::timestamptz
      group by target_id`),
  );
  return new Map(rows.map((row) => [row.target_id, Number(row.n)]));
}

async function memberNames(q: Queryable, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = rowsOf<{ id: string; name: string }>(await q.execute(sql`select id, name from members where id in (select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`));
  return new Map(rows.map((row) => [row.id, row.name]));
}

/**
 * §10 departments: asked, answered, unavailable by code, fulfilment, p50/p95/p99, breaches, and
 * the same figures per adapter and evidence type.
 * @example const list = await departments(db, { from: "2026-11-01", to: "2026-11-30" });
 */
export async function departments(q: Queryable, r: Range): Promise<DepartmentFigures[]> {
  const perAdapter = new Map<string, Figures>();
  for (const row of await rollups(q, "adapter", r)) perAdapter.set(row.key, addFigures(perAdapter.get(row.key) ?? {}, row.figures));
  const perDept = new Map<string, { total: Figures; adapters: DepartmentFigures["adapters"] }>();
  for (const [key, figures] of perAdapter) {
    const [department, adapter, evidenceType] = JSON.parse(key) as [string, string, string];
    const d = perDept.get(department) ?? { total: {}, adapters: [] };
    addFigures(d.total, structuredClone(figures));
    d.adapters.push({ adapter, evidenceType, ...serviceFigures(figures) });
    perDept.set(department, d);
  }
  const cards = await breaches(q, r);
  const names = await memberNames(q, [...perDept.keys()]);
  return [...perDept.entries()]
    .map(([department, d]) => ({
      department,
      name: names.get(department) ?? department,
      ...serviceFigures(d.total),
      breaches: cards.get(department) ?? 0,
      adapters: d.adapters.sort((a, b) => a.adapter.localeCompare(b.adapter) || a.evidenceType.localeCompare(b.evidenceType)),
    }))
    .sort((a, b) => a.department.localeCompare(b.department));
}

export interface RankingRow {
  rank: number;
  previousRank: number | null;
  department: string;
  fulfilment: number | null;
  p95Ms: number | null;
  asked: number;
}

async function rankDay(q: Queryable, date: string): Promise<Omit<RankingRow, "previousRank">[]> {
  const list = (await departments(q, { from: date, to: date })).filter((d) => d.asked > 0);
  list.sort((a, b) => (b.fulfilment ?? 0) - (a.fulfilment ?? 0) || (a.p95Ms ?? Infinity) - (b.p95Ms ?? Infinity) || a.department.localeCompare(b.department));
  return list.map((d, i) => ({ rank: i + 1, department: d.department, fulfilment: d.fulfilment, p95Ms: d.p95Ms, asked: d.asked }));
}

/**
 * 一天一排名: departments asked anything on `date`, by fulfilment descending then p95 ascending,
 * with the day before's rank.
 */
export async function ranking(q: Queryable, date: string): Promise<RankingRow[]> {
  const [today, yesterday] = await Promise.all([rankDay(q, date), rankDay(q, addDays(date, -1))]);
  const before = new Map(yesterday.map((d) => [d.department, d.rank]));
  return today.map((d) => ({ ...d, previousRank: before.get(d.department) ?? null }));
}

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

export interface CallerFigures {
  window: string;
  matter: string;
  asked: number;
  answered: number;
}

/**
 * Who asked `department` for data over the range, per window and matter (items asked, items
 * answered): the aggregate a department sees of its own data's use. Counted from `caller-d` rows,
 * which exist for entries folded since they were introduced.
 * @example const callers = await departmentCallers(db, "cc-civil-affairs", { from: "2026-11-01", to: "2026-11-30" });
 */
export async function departmentCallers(q: Queryable, department: string, r: Range): Promise<CallerFigures[]> {
  const prefix = `${JSON.stringify([department]).slice(0, -1)},`;
  const rows = rowsOf<{ key: string; figures: Figures | string }>(
    await q.execute(sql`select key, figures from supervision_rollups where dim = 'caller-d' and bucket >= ${r.from} and bucket <= ${r.to} and starts_with(key, ${prefix})`),
  );
  const per = new Map<string, Figures>();
  for (const row of rows) per.set(row.key, addFigures(per.get(row.key) ?? {}, typeof row.figures === "string" ? (JSON.parse(row.figures) as Figures) : row.figures));
  return [...per.entries()]
    .map(([key, f]) => {
      const [, window, matter] = JSON.parse(key) as [string, string, string];
      return { window, matter, asked: n(f, "asked"), answered: n(f, "answered") };
    })
    .sort((a, b) => b.asked - a.asked || a.window.localeCompare(b.window) || a.matter.localeCompare(b.matter));
}

export interface TrendPoint {
  day: string;
  asked: number;
  answered: number;
  fulfilment: number | null;
}

/**
 * Per department, one point per CST day of the range (days without requests have asked 0 and
 * fulfilment null): the supervision page's trend charts. One read of the range's adapter rows.
 * @example const trend = await departmentTrend(db, { from: "2026-11-17", to: "2026-11-30" }); // Map department → points
 */
export async function departmentTrend(q: Queryable, r: Range): Promise<Map<string, TrendPoint[]>> {
  const rows = rowsOf<{ bucket: string; key: string; figures: Figures | string }>(
    await q.execute(sql`select bucket, key, figures from supervision_rollups where dim = 'adapter-d' and bucket >= ${r.from} and bucket <= ${r.to}`),
  );
  const days: string[] = [];
  for (let d = r.from; d <= r.to; d = addDays(d, 1)) days.push(d);
  const out = new Map<string, TrendPoint[]>();
  for (const row of rows) {
    const [department] = JSON.parse(row.key) as [string];
    const f = typeof row.figures === "string" ? (JSON.parse(row.figures) as Figures) : row.figures;
    let points = out.get(department);
    if (!points) out.set(department, (points = days.map((day) => ({ day, asked: 0, answered: 0, fulfilment: null }))));
    const p = points[days.indexOf(row.bucket)];
    if (!p) continue;
    p.asked += n(f, "asked");
    p.answered += n(f, "answered");
    p.fulfilment = ratio(p.answered, p.asked);
  }
  return out;
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
