/** Overview (every kind): the ledger's size and checkpoint age, today's verifications, a small bar chart. */
import { Layout } from "./layout.tsx";
import { T } from "../i18n/t.tsx";
import type { ConsoleSession } from "../session.ts";

export interface OverviewFigures {
  ledgerSize: number;
  checkpointSize: number | undefined;
  checkpointAgeSeconds: number | undefined;
  /** Entries per CST hour of today, 0–23. */
  hourly: number[];
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
        <div>
          <dt>
            <T k="verificationsToday" />
          </dt>
          <dd data-figure="today">{f.hourly.reduce((a, b) => a + b, 0)}</dd>
        </div>
        <div>
          <dt>
            <T k="ledgerSize" />
          </dt>
          <dd data-figure="ledger-size">{f.ledgerSize}</dd>
        </div>
        <div>
          <dt>
            <T k="checkpointAge" />
          </dt>
          <dd data-figure="checkpoint-age">
            {f.checkpointAgeSeconds === undefined ? <T k="checkpointNone" /> : <>{f.checkpointAgeSeconds} <T k="secondsAgo" /> ({f.checkpointSize})</>}
          </dd>
        </div>
      </dl>
      <HourlyChart hourly={f.hourly} />
    </Layout>
  );
};
