/**
 * Supervision (supervisor, admin): the day's totals with certificate-free items as the headline,
 * the daily ranking, departments, windows and operators, and the card queue with acknowledge and
 * close. No person data: the supervision store holds none.
 */
import { Layout } from "./layout.tsx";
import { TotalsFigures } from "./figures.tsx";
import { Csrf } from "./forms.tsx";
import { T } from "../i18n/t.tsx";
import type { ConsoleSession } from "../session.ts";
import type { DepartmentFigures, RankingRow, TrendPoint } from "../../supervision/department-queries.ts";
import type { Totals, WindowFigures } from "../../supervision/window-queries.ts";
import { TrendChart } from "./charts.tsx";
import type { Card } from "../../supervision/cards.ts";

export interface SupervisionView {
  day: string;
  month: string;
  totals: Totals;
  ranking: RankingRow[];
  departments: DepartmentFigures[];
  windows: WindowFigures[];
  cards: Card[];
  /** Fulfilment per day over the last 14 days, per department. */
  trend: Map<string, TrendPoint[]>;
}

const pct = (x: number | null) => (x === null ? "—" : `${(x * 100).toFixed(1)}%`);

export function SupervisionPage({ session, view }: { session: ConsoleSession; view: SupervisionView }) {
  const t = view.totals;
  return (
    <Layout title="supervision" session={session}>
      <p>{view.day}（中国标准时间 CST）</p>
      <TotalsFigures t={t} />
      <h2><T k="ranking" /></h2>
      <table class="entries">
        <thead><tr><th scope="col"><T k="rank" /></th><th scope="col"><T k="previousRank" /></th><th scope="col"><T k="department" /></th><th scope="col"><T k="fulfilment" /></th><th scope="col"><T k="p95" /></th><th scope="col"><T k="asked" /></th></tr></thead>
        <tbody>{view.ranking.map((r) => <tr><td>{r.rank}</td><td>{r.previousRank ?? "—"}</td><td>{r.department}</td><td>{pct(r.fulfilment)}</td><td>{r.p95Ms ?? "—"}</td><td>{r.asked}</td></tr>)}</tbody>
      </table>
      <h2><T k="department" /></h2>
      <table class="entries">
        <thead><tr><th scope="col"><T k="department" /></th><th scope="col"><T k="asked" /></th><th scope="col"><T k="answered" /></th><th scope="col"><T k="unavailable" /></th><th scope="col"><T k="fulfilment" /></th><th scope="col"><T k="trend14" /></th><th scope="col"><T k="p95" /></th><th scope="col"><T k="breaches" /></th></tr></thead>
        <tbody>{view.departments.map((d) => <tr data-department={d.department}><td>{d.name || d.department}</td><td>{d.asked}</td><td>{d.answered}</td><td>{Object.entries(d.unavailable).map(([k, v]) => `${k} ${v}`).join(", ") || "0"}</td><td>{pct(d.fulfilment)}</td><td>{view.trend.has(d.department) ? <TrendChart id={`trend-${d.department}`} label={d.name || d.department} points={view.trend.get(d.department)!} /> : "—"}</td><td>{d.p95Ms ?? "—"}</td><td>{d.breaches}</td></tr>)}</tbody>
      </table>
      <h2><T k="windows" /></h2>
      <table class="entries">
        <thead><tr><th scope="col"><T k="requester" /></th><th scope="col"><T k="verifications" /></th><th scope="col"><T k="certificateFree" /></th><th scope="col"><T k="denied" /></th></tr></thead>
        <tbody>
          {view.windows.flatMap((w) => [
            <tr><td><strong>{w.window}</strong></td><td>{w.verifications}</td><td>{w.certificateFree}</td><td>{Object.entries(w.denials).map(([k, v]) => `${k} ${v}`).join(", ")}</td></tr>,
            ...w.operators.map((o) => <tr><td>　{o.operator}</td><td>{o.verifications}</td><td>{o.certificateFree}</td><td>{Object.entries(o.denials).map(([k, v]) => `${k} ${v}`).join(", ")}</td></tr>),
          ])}
        </tbody>
      </table>
      <h2><T k="cards" /></h2>
      {view.cards.length === 0 ? <p><T k="noCards" /></p> : (
        <table class="entries cards">
          <thead><tr><th scope="col"><T k="level" /></th><th scope="col"><T k="rule" /></th><th scope="col"><T k="target" /></th><th scope="col"><T k="count" /></th><th scope="col"><T k="threshold" /></th><th scope="col"><T k="evidence" /></th><th scope="col"><T k="note" /></th></tr></thead>
          <tbody>
            {view.cards.map((c) => (
              <tr data-card={c.id}>
                <td class={c.level === "red" ? "bad" : ""}>{c.level === "red" ? "红牌 red" : "黄牌 yellow"} · {c.state}</td>
                <td>{c.rule}</td>
                <td>{`${c.target.kind}: ${c.target.id}`}</td>
                <td>{c.count}</td>
                <td>{c.threshold}</td>
                <td>{c.evidence.slice(0, 10).join(", ")}{c.evidence.length > 10 ? " …" : ""}</td>
                <td>
                  <form method="post" action={`/console/supervision/cards/${c.id}`}>
                    <label><T k="note" /><input name="note" maxlength={500} required /></label>
                    <Csrf token={session.csrf} />
                    {c.state === "open" && <button type="submit" name="action" value="acknowledge"><T k="acknowledge" /></button>}
                    <button type="submit" name="action" value="close"><T k="close" /></button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="actions">
        <a href={`/console/supervision/monthly?month=${view.month}`}><T k="monthlyPage" /> {view.month}</a>
        <a href={`/console/supervision/report.csv?month=${view.month}`}><T k="monthlyReport" /> {view.month}</a>
      </p>
    </Layout>
  );
}
