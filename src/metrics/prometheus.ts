/**
 * The Metrics interface over prom-client (Node only). One Registry per gateway (no global
 * registry: tests run several gateways in one process). Under HUREN_WORKERS each process keeps
 * its own and the primary merges them (./server.ts, prom-client's AggregatorRegistry): counters
 * and histograms add up; each gauge says how it combines.
 *
 * HTTP names follow OpenTelemetry's HTTP semantic conventions as exported to Prometheus
 * (`http.server.request.duration` → `http_server_request_duration_seconds`, attributes with dots
 * as underscores); everything of Huren's own is `huren_*`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { GaugeSample, GaugeSpec, Metrics } from "./metrics.ts";

/** OpenTelemetry's advised buckets for http.server.request.duration. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const LOOKUP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];
const DB_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

export interface PrometheusMetrics extends Metrics {
  readonly registry: Registry;
}

export interface PrometheusOptions {
  /** Node process figures (CPU, memory, event loop lag, GC) under the standard `process_*` / `nodejs_*` names. Default true. */
  processMetrics?: boolean;
}

/**
 * @example
 * const metrics = createPrometheusMetrics();
 * metrics.httpRequest("GET", "/healthz", 200, 0.002);
 * await metrics.registry.metrics(); // text exposition format
 */
export function createPrometheusMetrics(options: PrometheusOptions = {}): PrometheusMetrics {
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const http = new Histogram({
    name: "http_server_request_duration_seconds",
    help: "Duration of HTTP server requests (OpenTelemetry http.server.request.duration).",
    labelNames: ["http_request_method", "http_route", "http_response_status_code"],
    buckets: HTTP_BUCKETS,
    registers,
  });
  const verifications = new Counter({
    name: "huren_verifications_total",
    help: "Verifications answered, by overall decision (permitted, denied, partial).",
    labelNames: ["decision"],
    registers,
  });
  const items = new Counter({
    name: "huren_verification_items_total",
    help: "Verification items answered, by evidence type, result status and policy decision.",
    labelNames: ["evidence_type", "status", "decision"],
    registers,
  });
  const lookups = new Histogram({
    name: "huren_adapter_lookup_duration_seconds",
    help: "Duration of lookups that asked the department, by adapter and outcome (ok or the unavailable code).",
    labelNames: ["adapter", "outcome"],
    buckets: LOOKUP_BUCKETS,
    registers,
  });
  const lookupErrors = new Counter({
    name: "huren_adapter_lookup_errors_total",
    help: "Lookups answered unavailable, by adapter and code (timeout, network, circuit-open, overloaded…).",
    labelNames: ["adapter", "code"],
    registers,
  });
  const batchSize = new Histogram({
    name: "huren_ledger_append_batch_size",
    help: "Entries per committed ledger batch (group commit).",
    labelNames: ["path"],
    buckets: BATCH_SIZE_BUCKETS,
    registers,
  });
  const batchSeconds = new Histogram({
    name: "huren_ledger_append_duration_seconds",
    help: "Time to commit one ledger batch, by path (one-statement or locked).",
    labelNames: ["path"],
    buckets: DB_BUCKETS,
    registers,
  });
  const replayBatches = new Histogram({
    name: "huren_replay_store_insert_duration_seconds",
    help: "Time of one replay-store insert (one statement records a batch of request jtis).",
    buckets: DB_BUCKETS,
    registers,
  });
  const replayJtis = new Counter({
    name: "huren_replay_store_jtis_total",
    help: "Request jtis checked against the replay store, by result (new or replayed).",
    labelNames: ["result"],
    registers,
  });
  const rateLimited = new Counter({
    name: "huren_rate_limited_total",
    help: "Requests refused 429 rate-limited, by member kind and limit scope (member or uid).",
    labelNames: ["member_kind", "scope"],
    registers,
  });

  const collectErrors = new Counter({
    name: "huren_metrics_collect_errors_total",
    help: "Scrape-time gauges whose collector failed (that scrape the gauge reads 0 or has no series; the count shows from the next scrape).",
    labelNames: ["metric"],
    registers,
  });

  const gauge = (spec: GaugeSpec) => {
    registry.removeSingleMetric(spec.name);
    new Gauge({
      name: spec.name,
      help: spec.help,
      labelNames: [...(spec.labelNames ?? [])],
      aggregator: spec.aggregation ?? "sum",
      registers,
      async collect() {
        this.reset();
        let samples: GaugeSample[] | number;
        try {
          samples = await spec.collect();
        } catch {
          collectErrors.inc({ metric: spec.name });
          return;
        }
        if (typeof samples === "number") this.set(samples);
        else for (const s of samples) s.labels ? this.set(s.labels, s.value) : this.set(s.value);
      },
    });
  };

  return {
    registry,
    httpRequest: (method, route, status, seconds) => http.observe({ http_request_method: method, http_route: route, http_response_status_code: String(status) }, seconds),
    verification(decision, list) {
      verifications.inc({ decision });
      for (const i of list) items.inc({ evidence_type: i.evidenceType, status: i.status, decision: i.decision });
    },
    adapterLookup(adapter, seconds, code) {
      if (seconds !== null) lookups.observe({ adapter, outcome: code ?? "ok" }, seconds);
      if (code) lookupErrors.inc({ adapter, code });
    },
    ledgerBatch(size, seconds, path) {
      batchSize.observe({ path }, size);
      batchSeconds.observe({ path }, seconds);
    },
    replayBatch(size, replayed, seconds) {
      replayBatches.observe(seconds);
      if (size > replayed) replayJtis.inc({ result: "new" }, size - replayed);
      if (replayed > 0) replayJtis.inc({ result: "replayed" }, replayed);
    },
    rateLimited: (memberKind, scope) => rateLimited.inc({ member_kind: memberKind, scope }),
    gauge,
  };
}
