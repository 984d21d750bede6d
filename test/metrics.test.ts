/**
 * Prometheus metrics: scraped over real HTTP from the separate listener and read with a real
 * Prometheus text parser. Route templates, never paths; no person data in any label.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePrometheusText, prometheusParserMissing, sampleSum, type ParsedFamily } from "./support/prometheus-parse.ts";
import { createHarness, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";
import { createPrometheusMetrics, type PrometheusMetrics } from "../src/metrics/prometheus.ts";
import { registrySource, serveMetrics, type MetricsServer } from "../src/metrics/server.ts";
import { publishCheckpoint } from "../src/ledger/checkpoints.ts";
import { parseConfig } from "../src/config.ts";
import { cosignerFromJwk, generateCosignerJwk } from "../src/ledger/cosignature.ts";
import { witnessSettings } from "../src/ledger/witness-config.ts";
import { ledgerCosignatures } from "../src/db/schema.ts";
import { catchUp, consumerDepsOf } from "../src/supervision/consumer.ts";

let h: Harness;
let w: World;
let metrics: PrometheusMetrics;
let server: MetricsServer;
const CASE = "NG-2026-METRICS-777";
const MARKER_ID = "marker-member-4242";

// The gateway's clock, set by the test (near the real time: the department checks outbound
// tokens against its own clock); gauges of ages read it.
const clock = { t: Math.floor(Date.now() / 1000) * 1000 };
const witnessVkey = async (name: string) => (await cosignerFromJwk(name, await generateCosignerJwk())).vkey;
let auditBureau: string;

beforeAll(async () => {
  metrics = createPrometheusMetrics();
  auditBureau = await witnessVkey("audit-bureau.test/witness");
  // Two witnesses; nothing calls them here (checkpoints are published directly, not ticked).
  const witnesses = witnessSettings(
    [
      { name: "audit-bureau", vkey: auditBureau, url: "http://127.0.0.1:9/never-called" },
      { name: "supervision-office", vkey: await witnessVkey("supervision-office.test/witness"), url: "http://127.0.0.1:9/never-called" },
    ],
    1,
  );
  h = await createHarness({ metrics, witnesses, now: () => new Date(clock.t) });
  w = await createWorld(h);
  server = await serveMetrics({ host: "127.0.0.1", port: 0, source: registrySource(metrics.registry) });
});
afterAll(async () => {
  await server?.close();
  await w?.close();
  await h?.close();
});

async function scrape(): Promise<Map<string, ParsedFamily>> {
  const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  // Nothing a person or a case could be found by.
  for (const secret of [zhangSan.id, zhangSan.name, CASE, MARKER_ID, w.window.uid!]) expect(text).not.toContain(secret);
  return parsePrometheusText(text);
}

/** A counter's or gauge's value, or a histogram's count, summed over the series matching `labels`. */
const value = (f: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}) => {
  const family = f.get(name.replace(/_total$/, ""));
  const sample = family?.type === "histogram" ? `${name}_count` : name;
  return sampleSum(f, name.replace(/_total$/, ""), sample, labels);
};

const missing = prometheusParserMissing();
if (missing) console.warn(`metrics tests skipped: ${missing}`);

describe.skipIf(missing)("metrics listener", () => {
  it("serves GET /metrics only", async () => {
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${server.port}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("reports HTTP requests by route template, method and status", async () => {
    expect((await h.app.request("/healthz")).status).toBe(200);
    expect((await h.call(h.admin, "GET", "/v1/members")).status).toBe(200);
    expect((await h.call(h.admin, "GET", `/v1/members/${MARKER_ID}`)).status).toBe(404);
    expect((await h.app.request(`/v1/nothing/${MARKER_ID}`)).status).toBe(404);
    const f = await scrape();
    const name = "http_server_request_duration_seconds";
    expect(f.get(name)!.type).toBe("histogram");
    const count = (route: string, status: string) => value(f, name, { http_request_method: "GET", http_route: route, http_response_status_code: status });
    expect(count("/healthz", "200")).toBe(1);
    expect(count("/v1/members", "200")).toBe(1);
    expect(count("/v1/members/:id", "404")).toBe(1);
    expect(count("unmatched", "404")).toBe(1);
    const buckets = f.get(name)!.samples.filter((s) => s.name === `${name}_bucket` && s.labels.http_route === "/healthz").map((s) => s.labels.le);
    expect(buckets.map((le) => (le === "+Inf" ? Infinity : Number(le)))).toEqual([0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, Infinity]);
  });

  it("reports verifications, items, adapters, the ledger and the replay store", async () => {
    const res = await h.call(w.window, "POST", "/v1/verifications", {
      matter: HOUSING,
      case: CASE,
      subject: zhangSan,
      evidence: [{ type: "subsistence-allowance.certificate" }, { type: "housing.no-property-proof" }],
    });
    expect(res.status).toBe(200);
    await publishCheckpoint(h.deps.db, h.deps.ledger.signer);
    const f = await scrape();
    expect(value(f, "huren_verifications_total", { decision: "permitted" })).toBe(1);
    expect(value(f, "huren_verification_items_total", { evidence_type: "subsistence-allowance.certificate", status: "verified", decision: "permit" })).toBe(1);
    expect(value(f, "huren_verification_items_total", { evidence_type: "housing.no-property-proof", decision: "permit" })).toBe(1);
    expect(value(f, "huren_adapter_lookup_duration_seconds", { adapter: "cc-civil-affairs-http", outcome: "ok" })).toBe(1);
    expect(value(f, "huren_adapter_breaker_state", { adapter: "cc-civil-affairs-http", state: "closed" })).toBe(1);
    expect(value(f, "huren_adapter_breaker_state", { adapter: "cc-civil-affairs-http", state: "open" })).toBe(0);
    expect(value(f, "huren_adapter_in_flight", { adapter: "cc-civil-affairs-http" })).toBe(0);
    expect(value(f, "huren_ledger_entries")).toBeGreaterThanOrEqual(1);
    expect(value(f, "huren_ledger_append_batch_size")).toBeGreaterThanOrEqual(1);
    expect(value(f, "huren_ledger_append_duration_seconds")).toBeGreaterThanOrEqual(1);
    expect(value(f, "huren_ledger_checkpoint_age_seconds")).toBeGreaterThanOrEqual(0);
    expect(value(f, "huren_ledger_writer_queue")).toBe(0);
    expect(value(f, "huren_replay_store_jtis_total", { result: "new" })).toBeGreaterThanOrEqual(3);
    expect(value(f, "huren_replay_store_queue")).toBe(0);
    expect(value(f, "huren_db_pool_max_connections", { driver: h.deps.driver })).toBeGreaterThanOrEqual(1);
    expect(f.get("process_cpu_seconds")?.type).toBe("counter");
  });

  it("reports each witness's newest cosigned size and its age, from the shared database", async () => {
    // As the witness client stores a cosignature (any process may have; every process reads it).
    await h.deps.db.insert(ledgerCosignatures).values({ size: 1, witness: auditBureau, line: "— audit-bureau.test/witness AAAA", signedAt: new Date(clock.t - 42_000) });
    const f = await scrape();
    expect(value(f, "huren_witness_cosigned_size", { witness: "audit-bureau" })).toBe(1);
    expect(value(f, "huren_witness_cosigned_age_seconds", { witness: "audit-bureau" })).toBe(42);
    expect(value(f, "huren_witness_failures", { witness: "audit-bureau" })).toBe(0);
    // A witness that never cosigned has a failures figure but no size or age series.
    expect(f.get("huren_witness_cosigned_size")!.samples.map((s) => s.labels.witness)).toEqual(["audit-bureau"]);
    expect(value(f, "huren_witness_failures", { witness: "supervision-office" })).toBe(0);
    clock.t += 8_000;
    expect(value(await scrape(), "huren_witness_cosigned_age_seconds", { witness: "audit-bureau" })).toBe(50);
    // /readyz shows the same, from the database (this process never submitted to a witness).
    const ready = (await (await h.app.request("/readyz")).json()) as { witnesses: { name: string; lastCosignedSize: number | null; ageSeconds: number | null }[] };
    expect(ready.witnesses.map((w) => [w.name, w.lastCosignedSize, w.ageSeconds])).toEqual([
      ["audit-bureau", 1, 50],
      ["supervision-office", null, null],
    ]);
  });

  it("reports supervision's lag behind the ledger, in entries and in seconds, until the consumer catches up", async () => {
    const size = value(await scrape(), "huren_ledger_entries");
    expect(size).toBeGreaterThanOrEqual(1);
    clock.t += 30_000;
    let f = await scrape();
    // Nothing has folded the ledger yet (no consumer runs in the harness): the whole ledger trails.
    expect(value(f, "huren_supervision_lag_entries")).toBe(size);
    expect(value(f, "huren_supervision_lag_seconds")).toBeGreaterThanOrEqual(30);
    await catchUp(consumerDepsOf(h.deps));
    f = await scrape();
    expect(value(f, "huren_supervision_lag_entries")).toBe(0);
    expect(value(f, "huren_supervision_lag_seconds")).toBe(0);
  });

  it("lets other parts register scrape-time gauges on deps.metrics", async () => {
    h.deps.metrics.gauge({ name: "huren_test_lag_entries", help: "A test gauge", labelNames: ["part"], aggregation: "max", collect: () => [{ labels: { part: "a" }, value: 7 }] });
    h.deps.metrics.gauge({ name: "huren_test_broken", help: "A gauge whose collector throws", collect: () => Promise.reject(new Error("down")) });
    await scrape();
    const f = await scrape();
    expect(value(f, "huren_test_lag_entries", { part: "a" })).toBe(7);
    // A collector that fails is counted (seen from the next scrape), and the scrape still answers.
    expect(value(f, "huren_metrics_collect_errors_total", { metric: "huren_test_broken" })).toBeGreaterThanOrEqual(1);
  });
});

describe("metrics settings", () => {
  it("has no listener unless HUREN_METRICS_PORT is set, and binds 127.0.0.1 by default", () => {
    expect(parseConfig({}).metrics).toBeUndefined();
    expect(parseConfig({ HUREN_METRICS_PORT: "9464" }).metrics).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(parseConfig({ HUREN_METRICS_PORT: "9464", HUREN_METRICS_HOST: "10.0.0.5" }).metrics).toEqual({ host: "10.0.0.5", port: 9464 });
    expect(() => parseConfig({ HUREN_METRICS_PORT: "70000" })).toThrow(/HUREN_METRICS_PORT/);
  });
});
