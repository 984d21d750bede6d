/**
 * Overview (every kind): today's verifications and items — certificate-free, denied, unavailable
 * (from the supervision rollups: counts only, no person) —, open supervision cards, the ledger's
 * size and checkpoint age, and two small charts drawn on the server.
 */
import { Layout } from "./layout.tsx";
import { Figure } from "./figures.tsx";
import type { Totals } from "../../supervision/window-queries.ts";
import { T } from "../i18n/t.tsx";
import type { ConsoleSession } from "../session.ts";

export interface OverviewFigures {
  ledgerSize: number;
  checkpointSize: number | undefined;
  checkpointAgeSeconds: number | undefined;
  /** Entries per CST hour of today, 0–23. */
  hourly: number[];
  /** Today's (CST) totals from the supervision rollups. */
  today: Totals;
  openCards: number;
}

const percent = (part: number, whole: number) => (whole === 0 ? "–" : `${((100 * part) / whole).toFixed(1)}%`);

/** Today's items as one stacked bar: answered, denied, unavailable; its title says the numbers. */
export function OutcomeBar({ today }: { today: Totals }) {
  const answered = Math.max(0, today.items - today.denied - today.unavailable);
  const whole = Math.max(1, today.items);
  const parts = [
    { n: answered, cls: "bar" },
    { n: today.denied, cls: "bar denied" },
    { n: today.unavailable, cls: "bar unavailable" },
  ];
  let x = 0;
  return (
    <svg class="chart" viewBox="0 0 240 16" role="img" aria-labelledby="outcome-title">
      <title id="outcome-title">{`今日核验事项 Items today: ${today.items}; 已答复 answered ${answered}, 拒绝 denied ${today.denied}, 不可用 unavailable ${today.unavailable}`}</title>
      {parts.map((p) => {
        const w = (p.n / whole) * 240;
        const rect = <rect x={x} y="0" width={w} height="16" class={p.cls} />;
        x += w;
        return rect;
      })}
    </svg>
  );
}

/** A bar chart drawn on the server: no script, readable by screen readers through its title. */
export function HourlyChart({ hourly }: { hourly: number[] }) {
  const max = Math.max(1, ...hourly);
  return (
    <svg class="chart" viewBox="0 0 240 60" role="img" aria-labelledby="hourly-title">
      <title id="hourly-title">{`今日每小时核验 Verifications per hour today: ${hourly.join(", ")}`}</title>
      {hourly.map((n, h) => (
        <rect x={h * 10 + 1} y={58 - (n / max) * 56} width="8" height={(n / max) * 56} class="bar" />
      ))}
    </svg>
  );
}

export const OverviewPage = (props: { session: ConsoleSession; figures: OverviewFigures }) => {
  const f = props.figures;
  return (
    <Layout title="overview" session={props.session}>
      <dl class="figures">
        <Figure k="verificationsToday" id="today">
          {f.hourly.reduce((a, b) => a + b, 0)}
        </Figure>
        <Figure k="certificateFreeToday" id="certificate-free">
          {f.today.certificateFree}
        </Figure>
        <Figure k="denyRate" id="deny-rate">
          {percent(f.today.denied, f.today.items)}
        </Figure>
        <Figure k="unavailableRate" id="unavailable-rate">
          {percent(f.today.unavailable, f.today.items)}
        </Figure>
        <Figure k="openCards" id="open-cards">
          {f.openCards}
        </Figure>
        <Figure k="ledgerSize" id="ledger-size">
          {f.ledgerSize}
        </Figure>
        <Figure k="checkpointAge" id="checkpoint-age">
          {f.checkpointAgeSeconds === undefined ? <T k="checkpointNone" /> : <>{f.checkpointAgeSeconds} <T k="secondsAgo" /> ({f.checkpointSize})</>}
        </Figure>
      </dl>
      <figure>
        <figcaption>
          <T k="chartHourly" />
        </figcaption>
        <HourlyChart hourly={f.hourly} />
      </figure>
      <figure>
        <figcaption>
          <T k="chartOutcome" />
        </figcaption>
        <OutcomeBar today={f.today} />
      </figure>
    </Layout>
  );
};
