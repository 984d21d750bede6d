/**
 * `npm run bench:soak`: a steady offered load for a long time (default 10 minutes at 300
 * verifications/s through the gateway to the http department), sampling every 10 s the
 * gateway's and department's RSS and CPU and the latency of the answers completed in that
 * window. Afterwards: the least-squares slope of the gateway's RSS over time (after a one-minute
 * warm-up), the count of failed requests (must be 0), and the ledger check (every answered
 * verification has its entry; one consistent tree). Writes bench/results/soak-<time>.json and
 * docs/img/soak.svg.
 *
 * Options: --minutes 10  --rate 300  --kind gateway-http|gateway-fixture|gateway-fanout3
 *          --sample-seconds 10  --people 100000  --no-ledger-check
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO } from "./gateway.ts";
import { makeCompanies, makePeople } from "./lib/data.ts";
import { openLoop, summarise, type LoadResult } from "./lib/load.ts";
import { cpuSeconds, installCleanup, memoryMiB, stopAll } from "./lib/proc.ts";
import { answerIsGood, requestFactory, WindowSigner, type RequestKind } from "./lib/requests.ts";
import { startStack, type Stack } from "./lib/stack.ts";
import { checkLedger, type LedgerCheck } from "./lib/ledger-check.ts";
import { chart, svgDocument } from "./lib/svg.ts";

const { values: args } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    rate: { type: "string", default: "300" },
    kind: { type: "string", default: "gateway-http" },
    "sample-seconds": { type: "string", default: "10" },
    people: { type: "string", default: "100000" },
    "no-ledger-check": { type: "boolean", default: false },
  },
});
const MINUTES = Number(args.minutes);
const RATE = Number(args.rate);
const KIND = args.kind as RequestKind;
const SAMPLE_S = Number(args["sample-seconds"]);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const WARMUP_S = Math.min(60, (MINUTES * 60) / 5);

const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface Sample {
  t: number;
  /** RSS at the sample, and the lowest and highest of the 1-s readings in its window. */
  gatewayRssMiB: number;
  gatewayRssMinMiB: number;
  gatewayRssMaxMiB: number;
  departmentRssMiB: number;
  gatewayCpu: number;
  answers: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  failed: number;
}

/** Least-squares slope and intercept of y over x. */
export function linearFit(points: [number, number][]): { slope: number; intercept: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, intercept: points[0]?.[1] ?? 0 };
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

async function main() {
  installCleanup();
  const hardStop = setTimeout(() => {
    log("the soak exceeded its time bound; stopping everything");
    void stopAll().finally(() => process.exit(1));
  }, (MINUTES * 60 + 600) * 1000);
  hardStop.unref();
  if (!["gateway-http", "gateway-fixture", "gateway-fanout3"].includes(KIND)) throw new Error(`--kind must be a gateway kind, not ${KIND}`);

  const stamp = new Date().toISOString().replace(/[:]/g, "").replace(/\..*/, "");
  const dir = await mkdtemp(join(tmpdir(), "huren-soak-"));
  const people = makePeople(Number(args.people));
  const companies = makeCompanies(10_000);
  let stack: Stack | undefined;
  const samples: Sample[] = [];
  let result: LoadResult | undefined;
  let ledger: LedgerCheck | undefined;
  const answered = new Set<string>();
  const ID = /"verificationId":"([^"]+)"/;
  try {
    stack = await startStack({ dir, serverUrl: SERVER_URL, people, companies, log });
    const s = stack;
    const gw = s.gateways[0]!;
    const signer = new WindowSigner(s.world.window.privateJwk);
    const isGood = (status: number, body: string) => {
      const ok = answerIsGood(KIND, status, body);
      if (ok) answered.add(ID.exec(body)?.[1] ?? "");
      return ok;
    };
    log(`warming up for 10 s at ${RATE}/s…`);
    await openLoop({ urls: [gw.url], rate: RATE, seconds: 10, next: requestFactory(KIND, signer, people, companies), isGood });

    log(`soak: ${MINUTES} min at ${RATE}/s (${KIND}), a sample every ${SAMPLE_S} s`);
    log("    t  gwRSS   (min…max)  dRSS  gwCPU  answers   p50ms   p95ms   p99ms  failed");
    let lastCpu = cpuSeconds(gw.proc.pid);
    let lastAt = 0;
    // V8 grows its heap in steps and gives memory back late, so RSS read every 10 s is a sawtooth
    // of ±20% that hides or fakes a trend. Reading it every second and keeping each window's
    // lowest value (the trough after a collection) gives a steadier signal of live memory.
    let rssMin = Infinity;
    let rssMax = 0;
    const rssTimer = setInterval(() => {
      const rss = memoryMiB(gw.proc.pid).rss;
      rssMin = Math.min(rssMin, rss);
      rssMax = Math.max(rssMax, rss);
    }, 1000);
    result = await openLoop({
      urls: [gw.url],
      rate: RATE,
      seconds: MINUTES * 60,
      next: requestFactory(KIND, signer, people, companies),
      isGood,
      sampleMs: SAMPLE_S * 1000,
      onSample: ({ at, latencies, bad, errors }) => {
        // The last window (requests finishing after the offered load stopped) is short: fold it in.
        const last = samples.at(-1);
        if (last && at - lastAt < SAMPLE_S / 2) {
          last.failed += bad + errors;
          return;
        }
        const cpu = cpuSeconds(gw.proc.pid);
        const l = summarise(latencies);
        const rss = memoryMiB(gw.proc.pid).rss;
        const r1 = (v: number) => Math.round(v * 10) / 10;
        const sample: Sample = {
          t: Math.round(at),
          gatewayRssMiB: r1(rss),
          gatewayRssMinMiB: r1(Math.min(rssMin, rss)),
          gatewayRssMaxMiB: r1(Math.max(rssMax, rss)),
          departmentRssMiB: Math.round(memoryMiB(s.department.pid).rss * 10) / 10,
          gatewayCpu: Math.round(((cpu - lastCpu) / Math.max(0.001, at - lastAt)) * 100) / 100,
          answers: l.count,
          p50: l.p50,
          p95: l.p95,
          p99: l.p99,
          max: l.max,
          failed: bad + errors,
        };
        lastCpu = cpu;
        lastAt = at;
        rssMin = Infinity;
        rssMax = 0;
        samples.push(sample);
        log(
          `${String(sample.t).padStart(5)} ${sample.gatewayRssMiB.toFixed(0).padStart(6)} (${sample.gatewayRssMinMiB.toFixed(0).padStart(4)}…${sample.gatewayRssMaxMiB.toFixed(0).padEnd(4)}) ${sample.departmentRssMiB.toFixed(0).padStart(5)} ${sample.gatewayCpu.toFixed(2).padStart(6)} ${String(sample.answers).padStart(8)} ${sample.p50.toFixed(1).padStart(7)} ${sample.p95.toFixed(1).padStart(7)} ${sample.p99.toFixed(1).padStart(7)} ${String(sample.failed).padStart(7)}`,
        );
      },
    });
    clearInterval(rssTimer);
    if (!args["no-ledger-check"]) {
      const key = (await (await fetch(`${gw.url}/v1/ledger/key`)).text()).trim();
      ledger = await checkLedger(s.gatewayDb.url, key, answered);
      log(`ledger: ${ledger.size} entries, ${ledger.answeredMissing} answered verifications missing, consistent ${ledger.ok} (${ledger.ms} ms)`);
    }
  } finally {
    await stack?.close();
    await stopAll();
    await rm(dir, { recursive: true, force: true });
  }

  const steady = samples.filter((x) => x.t > WARMUP_S);
  // The trend is fitted to the windows' troughs (see rssTimer); the fit over the 10-s readings is reported too.
  const fit = linearFit(steady.map((x) => [x.t / 60, x.gatewayRssMinMiB]));
  const fitSamples = linearFit(steady.map((x) => [x.t / 60, x.gatewayRssMiB]));
  const meanRss = steady.reduce((a, x) => a + x.gatewayRssMinMiB, 0) / Math.max(1, steady.length);
  const growth = fit.slope * ((MINUTES * 60 - WARMUP_S) / 60);
  // "Flat": what the trend adds over the steady part of the run stays within noise — the larger
  // of 8 MiB and 3% of the mean trough (V8 grows and shrinks its heap in steps of a few MiB). A
  // falling trend is not a leak.
  const flat = growth <= Math.max(8, 0.03 * meanRss);
  const failed = result ? result.bad + result.errors + (result.shed ?? 0) : -1;
  const report = {
    kind: "huren-soak",
    startedAt: stamp,
    machine: { cpus: cpus().length, node: process.version },
    settings: { minutes: MINUTES, rate: RATE, kind: KIND, sampleSeconds: SAMPLE_S, warmupSeconds: WARMUP_S, people: people.length },
    total: result,
    failed,
    rss: {
      basis: "least-squares slope of each 10-s window's lowest RSS (read every second), after the warm-up",
      slopeMiBPerMinute: Math.round(fit.slope * 1000) / 1000,
      slopeOfTenSecondReadingsMiBPerMinute: Math.round(fitSamples.slope * 1000) / 1000,
      meanTroughMiB: Math.round(meanRss),
      growthOverSteadyMiB: Math.round(growth * 10) / 10,
      flat,
    },
    ledger: ledger && { ...ledger, answeredVerifications: answered.size },
    samples,
  };
  const resultsDir = join(REPO, "bench/results");
  await mkdir(resultsDir, { recursive: true });
  const out = join(resultsDir, `soak-${stamp}.json`);
  await writeFile(out, JSON.stringify(report, null, 2) + "\n");
  await writeFile(join(REPO, "docs/img/soak.svg"), soakPlot(samples, fit, WARMUP_S));
  log(`answers ${result?.good ?? 0} of ${result ? Math.round(RATE * MINUTES * 60) : 0} offered; failed ${failed}; latency p50 ${result?.latency.p50} p95 ${result?.latency.p95} p99 ${result?.latency.p99} ms`);
  log(`gateway RSS troughs: mean ${Math.round(meanRss)} MiB, slope ${report.rss.slopeMiBPerMinute} MiB/min after warm-up (${report.rss.growthOverSteadyMiB} MiB over the run; 10-s readings: ${report.rss.slopeOfTenSecondReadingsMiBPerMinute} MiB/min) → ${flat ? "flat: no growth trend" : "GROWING"}`);
  log(`results: ${out}; plot: docs/img/soak.svg`);
  process.exitCode = failed === 0 && flat && (ledger?.ok ?? true) ? 0 : 1;
}

function soakPlot(samples: Sample[], fit: { slope: number; intercept: number }, warmup: number): string {
  const mins = (x: Sample) => x.t / 60;
  const last = samples.at(-1)?.t ?? 0;
  const memory = chart({
    title: `Soak: memory at ${RATE}/s (${KIND})`,
    xLabel: "minutes",
    yLabel: "RSS (MiB)",
    series: [
      { name: "gateway RSS, window low (trough)", color: "#d9641c", points: samples.map((x) => [mins(x), x.gatewayRssMinMiB]) },
      { name: "gateway RSS, window high", color: "#e8a57c", dashed: true, points: samples.map((x) => [mins(x), x.gatewayRssMaxMiB]) },
      { name: "department RSS", color: "#1f5fbf", points: samples.map((x) => [mins(x), x.departmentRssMiB]) },
      { name: `trough trend ${fit.slope >= 0 ? "+" : ""}${fit.slope.toFixed(2)} MiB/min`, color: "#333", dashed: true, points: [[warmup / 60, fit.intercept + (fit.slope * warmup) / 60], [last / 60, fit.intercept + (fit.slope * last) / 60]] },
    ],
  });
  const latency = chart({
    title: "Soak: latency per 10 s window",
    xLabel: "minutes",
    yLabel: "latency (ms)",
    series: [
      { name: "p50", color: "#1f5fbf", points: samples.map((x) => [mins(x), x.p50]) },
      { name: "p95", color: "#7a3fb0", points: samples.map((x) => [mins(x), x.p95]) },
      { name: "p99", color: "#d9641c", points: samples.map((x) => [mins(x), x.p99]) },
    ],
  });
  return svgDocument([memory, latency]);
}

main().catch(async (err: unknown) => {
  log(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await stopAll();
  process.exit(1);
});
