/**
 * 每月统计分析 (supervisor, admin): the monthly report as a page — totals with certificate-free
 * items per day, departments with their fulfilment trend, windows, matters, denials, cards — and
 * the same report as CSV. Figures only: the supervision store holds no person.
 */
import { Layout } from "./layout.tsx";
import { Figure, TotalsFigures } from "./figures.tsx";
import { T } from "../i18n/t.tsx";
import { DailyBars, TrendChart } from "./charts.tsx";
import type { ConsoleSession } from "../session.ts";
import type { MonthlyReport } from "../../supervision/report.ts";
import type { TrendPoint } from "../../supervision/department-queries.ts";
import type { Totals } from "../../supervision/window-queries.ts";

export interface MonthlyView {
  report: MonthlyReport;
  days: { day: string; totals: Totals }[];
  trend: Map<string, TrendPoint[]>;
}

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);
const counts = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k} ${v}`).join(", ") || "0";

export function MonthlyPage({ session, view }: { session: ConsoleSession; view: MonthlyView }) {
  const r = view.report;
  const t = r.totals;
  return (
    <Layout title="monthlyTitle" session={session}>
      <form method="get" action="/console/supervision/monthly" class="actions">
        <label>
          <T k="month" />
          <input type="month" name="month" value={r.month} required />
        </label>
        <button type="submit"><T k="show" /></button>
        <a class="button" href={`/console/supervision/report.csv?month=${r.month}`} download>
          <T k="downloadCsv" />
        </a>
      </form>
      <TotalsFigures t={t} idPrefix="month-">
        <Figure k="cardsOpenedClosed">
          {r.cards.opened} / {r.cards.closed}
        </Figure>
      </TotalsFigures>
      <h2><T k="certificateFreePerDay" /></h2>
      <DailyBars id="daily-certificate-free" label={`${r.month} 每日免交材料件数 certificate-free items per day`} days={view.days.map((d) => d.day)} values={view.days.map((d) => d.totals.certificateFree)} />
      <h2><T k="department" /></h2>
      <table class="entries departments">
        <thead><tr><th scope="col"><T k="department" /></th><th scope="col"><T k="asked" /></th><th scope="col"><T k="fulfilment" /></th><th scope="col"><T k="trend" /></th><th scope="col"><T k="p95" /></th><th scope="col"><T k="unavailable" /></th><th scope="col"><T k="breaches" /></th></tr></thead>
        <tbody>
          {r.departments.map((d) => (
            <tr data-department={d.department}>
              <td>{d.name || d.department}</td>
              <td>{d.asked}</td>
              <td>{pct(d.fulfilment)}</td>
              <td>{view.trend.has(d.department) ? <TrendChart id={`trend-${d.department}`} label={d.name || d.department} points={view.trend.get(d.department)!} /> : "—"}</td>
              <td>{d.p95Ms ?? "—"}</td>
              <td>{counts(d.unavailable)}</td>
              <td>{d.breaches}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2><T k="windows" /></h2>
      <table class="entries">
        <thead><tr><th scope="col"><T k="requester" /></th><th scope="col"><T k="verifications" /></th><th scope="col"><T k="items" /></th><th scope="col"><T k="certificateFree" /></th><th scope="col"><T k="denied" /></th></tr></thead>
        <tbody>{r.windows.map((w) => <tr><td>{w.window}</td><td>{w.verifications}</td><td>{w.items}</td><td>{w.certificateFree}</td><td>{counts(w.denials)}</td></tr>)}</tbody>
      </table>
      <h2><T k="matters" /></h2>
      <table class="entries">
        <thead><tr><th scope="col"><T k="matter" /></th><th scope="col"><T k="verifications" /></th><th scope="col"><T k="items" /></th><th scope="col"><T k="certificateFree" /></th></tr></thead>
        <tbody>{r.matters.map((m) => <tr><td>{m.matter}</td><td>{m.verifications}</td><td>{m.items}</td><td>{m.certificateFree}</td></tr>)}</tbody>
      </table>
      <h2><T k="denialsByReason" /></h2>
      <p>{counts(r.denials)}</p>
    </Layout>
  );
}
