/**
 * `npm run bench`: the gateway against a direct call, measured side by side in one run.
 *
 * Starts, on 127.0.0.1 only, a department process (bench/department.ts, its own PostgreSQL
 * database of 100k people) and the gateway (src/entry/node.ts on a fresh PostgreSQL database,
 * durable ledger), then measures:
 *   (a) direct     the window calls the department itself, signed with its own key
 *   (b) gateway    the same lookup as a signed verification through the gateway (http adapter)
 *   (c) fixture    a verification answered from a fixture: the gateway's own ceiling
 *   (d) fan-out    three evidence types from three departments in one verification
 *   (e) latency vs offered load for (a) and (b) at fixed rates (open loop) → docs/img plot
 *   (f) 1 and 2 gateway processes on one database, then the ledger consistency check
 * Writes bench/results/bench-<time>.json and docs/img/latency-vs-load.svg; bounded in time.
 *
 * Options: --seconds 15  --rate-seconds 10  --rates 100,200,300,400,600,1000  --connections 32
 *          --only a,b,c,d,e,f  --workers 1  --cpu-prof  --keep  --label <text>
 * "fail" counts wrong answers, errors, timeouts and (open loop) requests shed because 512 were already in flight.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO } from "./gateway.ts";
import { makeCompanies, makePeople } from "./lib/data.ts";
import { closedLoop, openLoop, type LoadResult } from "./lib/load.ts";
import { installCleanup, stopAll } from "./lib/proc.ts";
import { answerIsGood, requestFactory, WindowSigner, type RequestKind } from "./lib/requests.ts";
import { startStack, type Measured, type Stack } from "./lib/stack.ts";
import { HTTP_DEPARTMENTS } from "./lib/world.ts";
import { checkLedger, type LedgerCheck } from "./lib/ledger-check.ts";
import { chart, svgDocument } from "./lib/svg.ts";
import { formatProfile, summariseProfile } from "./profile.ts";
import { measureFloor, type Floor } from "./lib/floor.ts";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "15" },
    "rate-seconds": { type: "string", default: "10" },
    rates: { type: "string", default: "100,200,300,400,600,1000" },
    connections: { type: "string", default: "32" },
    only: { type: "string", default: "a,b,c,d,e,f" },
    people: { type: "string", default: "100000" },
    workers: { type: "string", default: "1" },
    "cpu-prof": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    label: { type: "string", default: "" },
  },
});
const SECONDS = Number(args.seconds);
const RATE_SECONDS = Number(args["rate-seconds"]);
const RATES = args.rates.split(",").map(Number);
const CONNECTIONS = Number(args.connections);
const ONLY = new Set(args.only.split(","));
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const HARD_LIMIT_MS = 15 * 60_000;

const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

function row(m: Measured): string {
  const l = m.load;
  return [
    m.label.padEnd(34),
    String(l.throughput).padStart(6),
    ...[l.latency.p50, l.latency.p95, l.latency.p99].map((v) => v.toFixed(1).padStart(7)),
    String(l.bad + l.errors + (l.shed ?? 0)).padStart(5),
    m.cpu.gateways.toFixed(2).padStart(6),
    m.cpuMsPerAnswer.gateways.toFixed(2).padStart(6),
    m.cpu.department.toFixed(2).padStart(6),
    m.cpu.postgres.toFixed(2).padStart(6),
    m.cpu.generator.toFixed(2).padStart(6),
    `${m.cpu.machineBusyPct}%`.padStart(5),
    m.peakRssMiB.gateways.join("+").padStart(8),
    String(m.peakRssMiB.department).padStart(5),
  ].join(" ");
}
const HEADER = `${"scenario".padEnd(34)} ${"req/s".padStart(6)} ${"p50ms".padStart(7)} ${"p95ms".padStart(7)} ${"p99ms".padStart(7)} ${"fail".padStart(5)} ${"gwCPU".padStart(6)} ${"gwms/r".padStart(6)} ${"dptCPU".padStart(6)} ${"pgCPU".padStart(6)} ${"genCPU".padStart(6)} ${"box".padStart(5)} ${"gwMiB".padStart(8)} ${"dMiB".padStart(5)}`;

async function main() {
  installCleanup();
  const hardStop = setTimeout(() => {
    log(`the benchmark exceeded ${HARD_LIMIT_MS / 60000} minutes; stopping everything`);
    void stopAll().finally(() => process.exit(1));
  }, HARD_LIMIT_MS);
  hardStop.unref();

  const stamp = new Date().toISOString().replace(/[:]/g, "").replace(/\..*/, "");
  const dir = await mkdtemp(join(tmpdir(), "huren-bench-"));
  const resultsDir = join(REPO, "bench/results");
  const profDir = args["cpu-prof"] ? join(resultsDir, `profiles-${stamp}`) : undefined;
  if (profDir) await mkdir(profDir, { recursive: true });
  log(`work dir ${dir}; PostgreSQL ${SERVER_URL}`);

  const people = makePeople(Number(args.people));
  const companies = makeCompanies(10_000);
  const signer = (w: Stack) => new WindowSigner(w.world.window.privateJwk);
  let stack: Stack | undefined;
  const scenarios: Measured[] = [];
  const sweep: { path: "direct" | "gateway"; rate: number; m: Measured }[] = [];
  const scale: Measured[] = [];
  /** When each scenario ran (µs, CLOCK_MONOTONIC), to cut the gateway's CPU profile per scenario. */
  const windows: { label: string; from: number; to: number }[] = [];
  let ledger: LedgerCheck | undefined;
  const floors: Floor[] = [];
  // Every verification the generator saw answered must be in the ledger (checked in (f)).
  const answered = new Set<string>();
  const ID = /"verificationId":"([^"]+)"/;
  const good = (kind: RequestKind) => (status: number, body: string) => {
    const ok = answerIsGood(kind, status, body);
    if (ok && kind !== "direct") answered.add(ID.exec(body)?.[1] ?? "");
    return ok;
  };

  try {
    stack = await startStack({ dir, serverUrl: SERVER_URL, people, companies, cpuProfDir: profDir, workers: Number(args.workers), log });
    const s = stack;
    const sign = signer(s);
    const deptUrl = s.departmentUrl;
    const target = (kind: RequestKind, urls = s.gateways.map((g) => g.url)) => (kind === "direct" ? [deptUrl] : urls);
    const closed = (kind: RequestKind, seconds: number, urls?: string[]) =>
      closedLoop({ urls: target(kind, urls), connections: CONNECTIONS, seconds, next: requestFactory(kind, sign, people, companies), isGood: good(kind) });
    const open = (kind: RequestKind, rate: number) => openLoop({ urls: target(kind), rate, seconds: RATE_SECONDS, next: requestFactory(kind, sign, people, companies), isGood: good(kind) });
    const run = async (label: string, load: () => Promise<LoadResult>) => {
      const from = Number(process.hrtime.bigint() / 1000n);
      const m = await s.measure(label, load);
      windows.push({ label, from, to: Number(process.hrtime.bigint() / 1000n) });
      log(row(m));
      return m;
    };

    log("warming up (JIT, connection pools, PostgreSQL plans)…");
    for (const kind of ["direct", "gateway-http", "gateway-fixture", "gateway-fanout3"] as const) await closed(kind, 3);
    log(HEADER);

    if (ONLY.has("a")) scenarios.push(await run("(a) direct call", () => closed("direct", SECONDS)));
    if (ONLY.has("b")) {
      scenarios.push(await run("(b) through the gateway (http)", () => closed("gateway-http", SECONDS)));
      // The protocol's CPU floor, measured now, between scenarios, in this same run.
      floors.push(measureFloor());
    }
    if (ONLY.has("c")) scenarios.push(await run("(c) gateway, fixture (no hop)", () => closed("gateway-fixture", SECONDS)));
    if (ONLY.has("d")) scenarios.push(await run("(d) gateway, fan-out 3 types", () => closed("gateway-fanout3", SECONDS)));
    if (ONLY.has("b")) floors.push(measureFloor());

    if (ONLY.has("e")) {
      for (const rate of RATES) {
        sweep.push({ path: "direct", rate, m: await run(`(e) direct @ ${rate}/s`, () => open("direct", rate)) });
        sweep.push({ path: "gateway", rate, m: await run(`(e) gateway @ ${rate}/s`, () => open("gateway-http", rate)) });
      }
    }

    if (ONLY.has("f")) {
      scale.push(await run("(f) 1 gateway process, fixture", () => closed("gateway-fixture", SECONDS)));
      await s.addGateway();
      scale.push(await run("(f) 2 gateway processes, fixture", () => closed("gateway-fixture", SECONDS)));
      scale.push(await run("(f) 2 gateway processes, http", () => closed("gateway-http", SECONDS)));
      const key = await (await fetch(`${s.gateways[0]!.url}/v1/ledger/key`)).text();
      ledger = await checkLedger(s.gatewayDb.url, key.trim(), answered);
      log(`ledger: ${ledger.size} entries; ${answered.size} answered verifications, ${ledger.answeredMissing} of them missing; gapless ${ledger.gapless}, leaf hashes ${ledger.leafHashesMatch}, root = stored tree ${ledger.rootMatchesStoredTree}, ${ledger.checkpoints} checkpoints consistent ${ledger.checkpointsConsistent} (${ledger.ms} ms)`);
      if (!ledger.ok) log(`LEDGER PROBLEM: ${ledger.problems.join("; ")}`);
    }
  } finally {
    await stack?.close();
    await stopAll();
    if (!args.keep) await rm(dir, { recursive: true, force: true });
  }

  const byLabel = (p: string) => scenarios.find((m) => m.label.startsWith(p));
  const a = byLabel("(a)");
  const b = byLabel("(b)");
  const d = byLabel("(d)");
  const floor = floors.length > 0 ? floors.reduce((x, f) => x + f.cpuMsPerVerification, 0) / floors.length : undefined;
  const at300 = (path: "direct" | "gateway") => sweep.find((x) => x.path === path && x.rate === 300)?.m.load.latency;
  const results = {
    kind: "huren-bench",
    label: args.label,
    startedAt: stamp,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadavgNote: "shared machine: other engineers' tests may run at the same time" },
    settings: { workers: Number(args.workers), seconds: SECONDS, rateSeconds: RATE_SECONDS, connections: CONNECTIONS, people: people.length, companies: companies.length, departments: HTTP_DEPARTMENTS.map((d) => d.id) },
    ratio: a && b ? { gatewayOverDirect: Math.round((100 * b.load.throughput) / Math.max(1, a.load.throughput)) / 100, xroadReference: 0.11 } : undefined,
    // Gateway CPU per verification in (b) ÷ the protocol's floor (2 Ed25519 verifications + 2 signatures). Goal ≤ 1.3.
    cpuOverFloor: b && floor ? { floorMs: Math.round(floor * 1000) / 1000, gatewayMs: Math.round(b.cpuMsPerAnswer.gateways * 1000) / 1000, ratio: Math.round((100 * b.cpuMsPerAnswer.gateways) / floor) / 100, floors } : undefined,
    // Fan-out over 3 evidence types ÷ one type, verifications/s. Goal ≥ 0.8.
    fanoutRatio: b && d ? Math.round((100 * d.load.throughput) / Math.max(1, b.load.throughput)) / 100 : undefined,
    addedP99At300: at300("gateway") && at300("direct") ? Math.round((at300("gateway")!.p99 - at300("direct")!.p99) * 100) / 100 : undefined,
    scenarios,
    sweep: sweep.map((x) => ({ path: x.path, rate: x.rate, ...x.m })),
    scale,
    scaleRatio: scale.length >= 2 ? Math.round((100 * scale[1]!.load.throughput) / Math.max(1, scale[0]!.load.throughput)) / 100 : undefined,
    ledger: ledger && { ...ledger, answeredVerifications: answered.size },
    profile: undefined as unknown,
  };

  if (profDir) {
    // Main threads only (CPU.<date>.<time>.<pid>.0.<seq>): tsx's loader thread idles after start.
    const files = (await readdir(profDir)).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
    const summaries = [];
    for (const f of files) {
      const profile = JSON.parse(await readFile(join(profDir, f), "utf8"));
      for (const w of windows.filter((x) => /^\((b|c|d)\)/.test(x.label))) {
        const summary = summariseProfile(profile, 30, [[w.from, w.to]]);
        if (summary.totalMs < 1000) continue; // this process did not serve that scenario
        summaries.push({ file: f, scenario: w.label, ...summary });
        log(`\n${f} during ${w.label}\n${formatProfile(summary)}`);
      }
    }
    results.profile = summaries;
  }

  await mkdir(resultsDir, { recursive: true });
  const out = join(resultsDir, `bench-${stamp}.json`);
  await writeFile(out, JSON.stringify(results, null, 2) + "\n");
  if (sweep.length > 0) await writeFile(join(REPO, "docs/img/latency-vs-load.svg"), sweepPlot(sweep));

  log("");
  log(HEADER);
  for (const m of [...scenarios, ...sweep.map((x) => x.m), ...scale]) log(row(m));
  if (results.ratio) log(`(b)/(a) throughput ratio: ${results.ratio.gatewayOverDirect} (X-Road report: 0.11)`);
  if (results.cpuOverFloor) log(`gateway CPU per verification (b) ÷ floor: ${results.cpuOverFloor.gatewayMs} ms ÷ ${results.cpuOverFloor.floorMs} ms = ${results.cpuOverFloor.ratio}× (goal ≤ 1.3×)`);
  if (results.fanoutRatio !== undefined) log(`fan-out (d) ÷ one type (b): ${results.fanoutRatio}× (goal ≥ 0.8×)`);
  if (results.addedP99At300 !== undefined) log(`p99 added by the gateway at 300 req/s: ${results.addedP99At300} ms`);
  if (results.scaleRatio !== undefined) log(`2 processes / 1 process (fixture): ${results.scaleRatio}×`);
  log(`results: ${out}`);
  const failed = [...scenarios, ...scale].some((m) => m.load.bad + m.load.errors > 0) || (ledger !== undefined && !ledger.ok);
  process.exitCode = failed ? 1 : 0;
}

function sweepPlot(sweep: { path: "direct" | "gateway"; rate: number; m: Measured }[]): string {
  const pts = (path: string, f: (m: Measured) => number) => sweep.filter((x) => x.path === path).map((x): [number, number] => [x.rate, f(x.m)]);
  const blue = "#1f5fbf";
  const orange = "#d9641c";
  const latency = chart({
    title: "Latency vs offered load (open loop)",
    xLabel: "offered load (requests/s)",
    yLabel: "latency (ms, log scale)",
    yLog: true,
    series: [
      { name: "direct p50", color: blue, dashed: true, points: pts("direct", (m) => m.load.latency.p50) },
      { name: "direct p99", color: blue, points: pts("direct", (m) => m.load.latency.p99) },
      { name: "gateway p50", color: orange, dashed: true, points: pts("gateway", (m) => m.load.latency.p50) },
      { name: "gateway p99", color: orange, points: pts("gateway", (m) => m.load.latency.p99) },
    ],
  });
  const throughput = chart({
    title: "Answered vs offered load",
    xLabel: "offered load (requests/s)",
    yLabel: "correct answers/s",
    series: [
      { name: "offered", color: "#999", dashed: true, points: sweep.filter((x) => x.path === "direct").map((x): [number, number] => [x.rate, x.rate]) },
      { name: "direct", color: blue, points: pts("direct", (m) => m.load.throughput) },
      { name: "gateway", color: orange, points: pts("gateway", (m) => m.load.throughput) },
    ],
  });
  return svgDocument([latency, throughput]);
}

main().catch(async (err: unknown) => {
  log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await stopAll();
  process.exit(1);
});
