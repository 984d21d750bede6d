/**
 * §10 queries about departments, the data's side: fulfilment and latency per department and per
 * adapter, the daily ranking (一天一排名), who asked a department for data, and the per-day trend.
 * Every figure is a sum of rollup rows over CST days; percentiles come from merged histograms.
 */
import { sql } from "drizzle-orm";
import type { Queryable } from "../db/types.ts";
import { rowsOf } from "../db/rows.ts";
import { addFigures, type Figures } from "./fold.ts";
import { quantile } from "./histogram.ts";
import { addDays, dayStart } from "./time.ts";
import { map, n, ratio, rollups, type Range } from "./rollup-reads.ts";

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
