/**
 * Recent lookups of one adapter in this gateway process: error rate and latency over a sliding
 * window, for `GET /v1/adapters`. In memory on purpose — each gateway process reports what it
 * saw itself; nothing here is worth a database write per lookup.
 */
export interface StatsSummary {
  windowSeconds: number;
  lookups: number;
  failures: number;
  /** failures / lookups, 0 when there were none. */
  errorRate: number;
  /** Of lookups that asked the department (not those refused at once: overloaded, circuit open). */
  latencyMs: { p50: number; p95: number; max: number } | null;
  /** Failures by `unavailable` code, e.g. `{ timeout: 3, "circuit-open": 12 }`. */
  errors: Record<string, number>;
  lastError: { code: string; at: string } | null;
}

interface Sample {
  at: number;
  ms: number | null;
  code: string | undefined;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/**
 * @example
 * const stats = new LookupStats();
 * stats.record(42, undefined); stats.record(3000, "timeout");
 * stats.summary().errorRate // 0.5
 */
export class LookupStats {
  private readonly samples: Sample[] = [];
  private lastError: { code: string; at: number } | undefined;

  constructor(
    private readonly windowMs = 5 * 60_000,
    /** A ring of at most this many samples bounds memory under any load. */
    private readonly capacity = 2000,
    private readonly now: () => number = Date.now,
    /** Hears every sample as it is recorded (metrics), with the same arguments as `record`. */
    private readonly onRecord?: (ms: number | null, code: string | undefined) => void,
  ) {}

  /**
   * `code` is the `unavailable` code, or undefined for an answer (found or not found); `ms` is
   * null when the department was not asked, so instant refusals do not flatter the latency.
   */
  record(ms: number | null, code: string | undefined): void {
    const at = this.now();
    this.samples.push({ at, ms, code });
    if (this.samples.length > this.capacity) this.samples.shift();
    if (code) this.lastError = { code, at };
    this.onRecord?.(ms, code);
  }

  summary(): StatsSummary {
    const since = this.now() - this.windowMs;
    const recent = this.samples.filter((s) => s.at >= since);
    const errors: Record<string, number> = {};
    for (const s of recent) if (s.code) errors[s.code] = (errors[s.code] ?? 0) + 1;
    const failures = recent.filter((s) => s.code).length;
    const sorted = recent.flatMap((s) => (s.ms === null ? [] : [s.ms])).sort((a, b) => a - b);
    const round = (n: number) => Math.round(n * 10) / 10;
    return {
      windowSeconds: this.windowMs / 1000,
      lookups: recent.length,
      failures,
      errorRate: recent.length ? Math.round((failures / recent.length) * 1000) / 1000 : 0,
      latencyMs: sorted.length ? { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted[sorted.length - 1]!) } : null,
      errors,
      lastError: this.lastError ? { code: this.lastError.code, at: new Date(this.lastError.at).toISOString() } : null,
    };
  }
}
