/**
 * Mergeable latency histograms with fixed log-scale bins, so any set of buckets (an hour, a day, a
 * month) merges by adding bin counts, and a month's p95 never rereads entries. Bin 0 holds
 * latencies under 1 ms; bin i ≥ 1 holds [G^(i-1), G^i) ms with G = 2^(1/8) (each bin 9% wide), up
 * to bin 160 (about 1,048 s) which holds everything slower. A percentile is reported as its bin's
 * geometric middle: within ±4.5% of the true value.
 */
const GROWTH = 2 ** (1 / 8);
const LOG_G = Math.log(GROWTH);
export const HISTOGRAM_BINS = 161;

/** Counts per bin, trailing empty bins left off. */
export type Histogram = number[];

/** @example binOf(0.4) // 0;  binOf(1000) // 80 */
export function binOf(ms: number): number {
  if (!(ms >= 1)) return 0;
  return Math.min(HISTOGRAM_BINS - 1, Math.floor(Math.log(ms) / LOG_G + 1e-9) + 1);
}

/** Adds one latency to `h` in place. */
export function record(h: Histogram, ms: number): Histogram {
  const b = binOf(ms);
  while (h.length <= b) h.push(0);
  h[b]! += 1;
  return h;
}

/** Adds `b` into `a` in place. */
export function merge(a: Histogram, b: readonly number[]): Histogram {
  while (a.length < b.length) a.push(0);
  b.forEach((n, i) => (a[i]! += n));
  return a;
}

/**
 * The q-quantile (0 < q ≤ 1) in whole ms, or null when empty.
 * @example quantile(record(record([], 10), 20), 0.5) // 10
 */
export function quantile(h: readonly number[], q: number): number | null {
  const total = h.reduce((s, n) => s + n, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (const [i, n] of h.entries()) {
    seen += n;
    if (seen >= rank) return i === 0 ? 0 : Math.round(GROWTH ** (i - 1) * Math.sqrt(GROWTH));
  }
  return null;
}
