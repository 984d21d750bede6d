/**
 * Small line charts as standalone SVG, drawn from the benchmark's own data (no network, no
 * charting dependency): axes with round ticks, optional log scale, markers, a legend.
 */

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: [number, number][];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  width?: number;
  height?: number;
  yLog?: boolean;
  xMin?: number;
  yMin?: number;
  /** Horizontal reference lines, e.g. a goal. */
  guides?: { y: number; label: string }[];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (v: number) => (Math.abs(v) >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toPrecision(3)}`);

function niceTicks(lo: number, hi: number, count = 6): number[] {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= count) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/** One chart as an SVG `<g>` of size width×height (use `svgDocument` to wrap one or more). */
export function chart(o: ChartOptions): { width: number; height: number; body: string } {
  const width = o.width ?? 640;
  const height = o.height ?? 400;
  const m = { left: 64, right: 16, top: 36, bottom: 48 + 16 * Math.ceil(o.series.length / 2) };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1])).concat((o.guides ?? []).map((g) => g.y));
  const xLo = o.xMin ?? Math.min(...xs, 0);
  const xHi = Math.max(...xs, xLo + 1);
  let yLo = o.yMin ?? (o.yLog ? Math.min(...ys.filter((y) => y > 0)) : Math.min(0, ...ys));
  let yHi = Math.max(...ys, yLo + 1e-9);
  if (o.yLog) {
    yLo = 10 ** Math.floor(Math.log10(Math.max(yLo, 1e-3)));
    yHi = 10 ** Math.ceil(Math.log10(yHi));
  } else yHi = yHi + (yHi - yLo) * 0.05;
  const X = (x: number) => m.left + ((x - xLo) / (xHi - xLo)) * pw;
  const Y = (y: number) => (o.yLog ? m.top + ph - ((Math.log10(Math.max(y, yLo)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * ph : m.top + ph - ((y - yLo) / (yHi - yLo)) * ph);

  const parts: string[] = [];
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`);
  const yTicks = o.yLog ? Array.from({ length: Math.round(Math.log10(yHi / yLo)) + 1 }, (_, i) => yLo * 10 ** i) : niceTicks(yLo, yHi);
  for (const t of yTicks) {
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${Y(t)}" y2="${Y(t)}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${m.left - 6}" y="${Y(t) + 4}" text-anchor="end" font-size="11">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(xLo, xHi)) {
    parts.push(`<line x1="${X(t)}" x2="${X(t)}" y1="${m.top}" y2="${m.top + ph}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${X(t)}" y="${m.top + ph + 16}" text-anchor="middle" font-size="11">${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${m.top + ph + 34}" text-anchor="middle" font-size="12">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(o.yLabel)}</text>`);
  for (const g of o.guides ?? []) {
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${Y(g.y)}" y2="${Y(g.y)}" stroke="#c00" stroke-dasharray="2 3"/>`);
    parts.push(`<text x="${m.left + pw - 4}" y="${Y(g.y) - 4}" text-anchor="end" font-size="10" fill="#c00">${esc(g.label)}</text>`);
  }
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    const d = s.points.map(([x, y], i) => `${i ? "L" : "M"}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ");
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    if (s.points.length <= 40) for (const [x, y] of s.points) parts.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${s.color}"/>`);
  }
  o.series.forEach((s, i) => {
    const lx = m.left + (i % 2) * (pw / 2);
    const ly = m.top + ph + 46 + Math.floor(i / 2) * 16;
    parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`);
    parts.push(`<text x="${lx + 30}" y="${ly}" font-size="11">${esc(s.name)}</text>`);
  });
  return { width, height, body: parts.join("\n") };
}

/** Charts side by side (or stacked with `columns: 1`) in one SVG document. */
export function svgDocument(charts: ReturnType<typeof chart>[], columns = charts.length): string {
  const colW = Math.max(...charts.map((c) => c.width));
  const rowH = Math.max(...charts.map((c) => c.height));
  const rows = Math.ceil(charts.length / columns);
  const w = colW * Math.min(columns, charts.length);
  const h = rowH * rows;
  const groups = charts.map((c, i) => `<g transform="translate(${(i % columns) * colW} ${Math.floor(i / columns) * rowH})">\n${c.body}\n</g>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">\n${groups.join("\n")}\n</svg>\n`;
}
