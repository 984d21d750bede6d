/**
 * Small charts drawn on the server as SVG: no script, and readable without sight — each has a
 * <title> (what it shows) and a <desc> (every value), referenced by aria-labelledby.
 */
import type { TrendPoint } from "../../supervision/department-queries.ts";

const pct = (x: number | null) => (x === null ? "—" : `${Math.round(x * 1000) / 10}%`);

/**
 * Fulfilment per day as a line from 0 to 100%, with a dot per day that had requests; days
 * without requests leave a gap (no answer is not a failure).
 * `id` must be unique on the page (it names the title and description).
 * @example <TrendChart id="trend-cc-civil-affairs" label="长春市民政局" points={trend.get("cc-civil-affairs")!} />
 */
export function TrendChart({ id, label, points, width = 168, height = 36 }: { id: string; label: string; points: TrendPoint[]; width?: number; height?: number }) {
  const step = points.length > 1 ? (width - 8) / (points.length - 1) : 0;
  const x = (i: number) => 4 + i * step;
  const y = (f: number) => height - 4 - f * (height - 8);
  // Runs of consecutive days with a value become one polyline each.
  const runs: string[] = [];
  let run: string[] = [];
  points.forEach((p, i) => {
    if (p.fulfilment === null) {
      if (run.length) runs.push(run.join(" ")), (run = []);
    } else run.push(`${x(i).toFixed(1)},${y(p.fulfilment).toFixed(1)}`);
  });
  if (run.length) runs.push(run.join(" "));
  const first = points[0]?.day ?? "";
  const last = points.at(-1)?.day ?? "";
  return (
    <svg class="trend" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-labelledby={`${id}-t ${id}-d`}>
      <title id={`${id}-t`}>{`${label} 履职率趋势 fulfilment trend ${first} – ${last}`}</title>
      <desc id={`${id}-d`}>{points.map((p) => `${p.day.slice(5)}: ${pct(p.fulfilment)} (${p.answered}/${p.asked})`).join("; ")}</desc>
      <line x1="4" x2={width - 4} y1={y(1)} y2={y(1)} class="grid" />
      <line x1="4" x2={width - 4} y1={y(0)} y2={y(0)} class="grid" />
      {runs.map((r) => (
        <polyline points={r} class="line" />
      ))}
      {points.map((p, i) => p.fulfilment !== null && <circle cx={x(i).toFixed(1)} cy={y(p.fulfilment).toFixed(1)} r="2" class={p.fulfilment < 0.95 ? "dot low" : "dot"} />)}
    </svg>
  );
}

/**
 * Bars of one figure per day (e.g. certificate-free items), with the same text alternatives.
 * @example <DailyBars id="daily" label="免交材料件数 certificate-free items" days={["2026-11-01", …]} values={[12, …]} />
 */
export function DailyBars({ id, label, days, values, width = 480, height = 80 }: { id: string; label: string; days: string[]; values: number[]; width?: number; height?: number }) {
  const max = Math.max(1, ...values);
  const w = (width - 8) / Math.max(1, values.length);
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-labelledby={`${id}-t ${id}-d`}>
      <title id={`${id}-t`}>{label}</title>
      <desc id={`${id}-d`}>{days.map((d, i) => `${d.slice(5)}: ${values[i] ?? 0}`).join("; ")}</desc>
      {values.map((v, i) => (
        <rect x={(4 + i * w + 1).toFixed(1)} y={(height - 2 - (v / max) * (height - 6)).toFixed(1)} width={Math.max(1, w - 2).toFixed(1)} height={((v / max) * (height - 6)).toFixed(1)} class="bar" />
      ))}
    </svg>
  );
}
