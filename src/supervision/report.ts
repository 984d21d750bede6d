/**
 * 每月统计分析: the monthly report, as JSON and as CSV (one section per list, one column per
 * figure; a figure that is a map — unavailable by code, denials by reason — gets a column per
 * key, `unavailable:timeout`, `denials:consent-required`, across the whole section).
 */
import type { Queryable } from "../db/types.ts";
import { cardCounts } from "./cards.ts";
import { toCsv, type Cell, type Section } from "./csv.ts";
import { departments, type DepartmentFigures } from "./department-queries.ts";
import { matters, operators, totalsOf, windowsOf, type Totals, type WindowFigures } from "./window-queries.ts";
import { addDays, dayStart, monthDays } from "./time.ts";

export interface MonthlyReport {
  month: string;
  totals: Totals;
  departments: DepartmentFigures[];
  windows: WindowFigures[];
  matters: Awaited<ReturnType<typeof matters>>;
  denials: Record<string, number>;
  cards: { opened: number; closed: number };
}

/** @example const report = await monthlyReport(db, "2026-11"); report.totals.certificateFree */
export async function monthlyReport(q: Queryable, month: string): Promise<MonthlyReport> {
  const range = monthDays(month);
  const [perOperator, d, m, c] = await Promise.all([
    operators(q, range),
    departments(q, range),
    matters(q, range),
    cardCounts(q, dayStart(range.from), dayStart(addDays(range.to, 1))),
  ]);
  const t = totalsOf(perOperator);
  return { month, totals: t.totals, departments: d, windows: windowsOf(perOperator), matters: m, denials: t.denials, cards: c };
}

const keysOf = (maps: Record<string, number>[]) => [...new Set(maps.flatMap((x) => Object.keys(x)))].sort();
const SERVICE = ["asked", "answered", "fulfilment", "p50Ms", "p95Ms", "p99Ms"] as const;
const CLERK = ["verifications", "items", "certificateFree"] as const;

/** The report as CSV sections: totals, departments, adapters, windows, operators, matters, denials, cards. */
export function reportSections(r: MonthlyReport): Section[] {
  const codes = keysOf([...r.departments.map((d) => d.unavailable), ...r.departments.flatMap((d) => d.adapters.map((a) => a.unavailable))]);
  const reasons = keysOf([...r.windows.map((w) => w.denials), ...r.windows.flatMap((w) => w.operators.map((o) => o.denials))]);
  const service = (f: DepartmentFigures | DepartmentFigures["adapters"][number]): Cell[] => [...SERVICE.map((k) => f[k]), ...codes.map((c) => f.unavailable[c] ?? 0)];
  const clerk = (f: WindowFigures | WindowFigures["operators"][number]): Cell[] => [...CLERK.map((k) => f[k]), ...reasons.map((x) => f.denials[x] ?? 0)];
  const t = r.totals;
  return [
    { name: "month", header: ["month"], rows: [[r.month]] },
    { name: "totals", header: ["verifications", "items", "certificateFree", "denied", "unavailable"], rows: [[t.verifications, t.items, t.certificateFree, t.denied, t.unavailable]] },
    {
      name: "departments",
      header: ["department", "name", ...SERVICE, ...codes.map((c) => `unavailable:${c}`), "breaches"],
      rows: r.departments.map((d) => [d.department, d.name, ...service(d), d.breaches]),
    },
    {
      name: "adapters",
      header: ["department", "adapter", "evidenceType", ...SERVICE, ...codes.map((c) => `unavailable:${c}`)],
      rows: r.departments.flatMap((d) => d.adapters.map((a) => [d.department, a.adapter, a.evidenceType, ...service(a)])),
    },
    { name: "windows", header: ["window", ...CLERK, ...reasons.map((x) => `denials:${x}`)], rows: r.windows.map((w) => [w.window, ...clerk(w)]) },
    {
      name: "operators",
      header: ["window", "operator", ...CLERK, ...reasons.map((x) => `denials:${x}`)],
      rows: r.windows.flatMap((w) => w.operators.map((o) => [w.window, o.operator, ...clerk(o)])),
    },
    { name: "matters", header: ["matter", ...CLERK], rows: r.matters.map((m) => [m.matter, m.verifications, m.items, m.certificateFree]) },
    { name: "denials", header: ["reason", "count"], rows: Object.entries(r.denials).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v]) },
    { name: "cards", header: ["opened", "closed"], rows: [[r.cards.opened, r.cards.closed]] },
  ];
}

export const reportCsv = (r: MonthlyReport): string => toCsv(reportSections(r));
