/**
 * What the gateway reports to metrics, as a small interface: the domain and the routes call
 * these verbs, never prom-client, so the Worker bundle (which cannot load prom-client: it needs
 * node:cluster) gets the no-op below and the Node entry the Prometheus one (./prometheus.ts).
 *
 * Labels are bounded by construction: routes are templates, evidence types and adapter ids come
 * from the catalog an administrator writes, statuses and decisions are enums. Never pass a case
 * number, uid, subject, member-supplied string or a path with ids in it.
 */

/** One labelled value of a gauge computed at scrape time. */
export interface GaugeSample {
  labels?: Record<string, string>;
  value: number;
}

/** How a gauge's values from several gateway processes (HUREN_WORKERS) are combined. */
export type GaugeAggregation = "sum" | "max" | "min" | "first";

export interface GaugeSpec {
  /** Prometheus name, `huren_<area>_<what>_<unit>`, e.g. `huren_witness_cosigned_age_seconds`. */
  name: string;
  help: string;
  labelNames?: readonly string[];
  /** Default "sum" (right for counts per process); "max"/"min" for figures every process reads from the shared database. */
  aggregation?: GaugeAggregation;
  /** Called on every scrape. A throw leaves the gauge without samples for that scrape. */
  collect(): GaugeSample[] | number | Promise<GaugeSample[] | number>;
}

export interface VerificationItemFigure {
  evidenceType: string;
  /** verified | not-found | denied | unavailable … (RESULT_STATUSES) */
  status: string;
  decision: "permit" | "deny";
}

export interface Metrics {
  /** One finished HTTP request. `route` is the route template (`/v1/members/:id`) or `unmatched`. */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /** One answered verification (200): its overall decision and its items. */
  verification(decision: "permitted" | "denied" | "partial", items: readonly VerificationItemFigure[]): void;
  /** One adapter lookup; `seconds` null when the department was not asked (circuit open, overloaded); `code` the `unavailable` code. */
  adapterLookup(adapterId: string, seconds: number | null, code: string | undefined): void;
  /** One ledger batch committed; `path` as in LedgerWriter (one guarded statement or the locked transaction). */
  ledgerBatch(size: number, seconds: number, path: "one-statement" | "locked"): void;
  /** One replay-store insert of `size` jtis, `replayed` of which were already known. */
  replayBatch(size: number, replayed: number, seconds: number): void;
  /** One request answered 429 rate-limited. */
  rateLimited(memberKind: string, scope: "member" | "uid"): void;
  /**
   * A gauge computed at scrape time, for other parts of the gateway (the witness client's state,
   * supervision lag…): register once at start. Re-registering a name replaces its collector.
   * @example
   * deps.metrics.gauge({ name: "huren_supervision_lag_entries", help: "Ledger entries not yet consumed by supervision", aggregation: "max",
   *   collect: async () => (await ledgerSize()) - (await consumedUpTo()) });
   */
  gauge(spec: GaugeSpec): void;
}

const nothing = () => {};

/** Metrics that go nowhere: the Worker, and anything built without a registry. */
export const noopMetrics: Metrics = {
  httpRequest: nothing,
  verification: nothing,
  adapterLookup: nothing,
  ledgerBatch: nothing,
  replayBatch: nothing,
  rateLimited: nothing,
  gauge: nothing,
};
