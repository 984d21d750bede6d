/**
 * `npm run bench:ledger`: the access ledger on a real PostgreSQL with durable commits
 * (synchronous_commit on, fsync on — the server's defaults, recorded in the results).
 *
 *   A  appends/s, one entry per transaction (appendEntries), a single writer: the baseline
 *   B  appends/s through the group-commit LedgerWriter, 1, 8 and 64 concurrent callers
 *   C  appends/s from 2 and 4 separate connection pools (as separate gateway processes), 32 callers each
 *   D  large batches of small entries: appendEntries at 10,000 per transaction for a while, then
 *      a bulk path writing the same rows (bench/lib/ledger-bench.ts) to fill to --size (1,000,000)
 *   E  inclusion and consistency proof latency (p50/p99) at that size, as GET /v1/ledger/proofs/* computes them
 *   G  C2SP tile serving at that size (p50/p99): level-0, level-1 and partial hash tiles through the
 *      route, entry bundles read and gzipped
 *   F  export (the JSONL of /v1/audit/export) to a file, then full verification of it through
 *      verify-export (entries/s), plus the same for realistic ~1 KB entries and in --strict mode
 *   W  witnesses (bench/lib/witness-bench.ts): round trip per checkpoint with two `huren witness`
 *      servers, and verifications/s with two witnesses configured vs none (--witness-only: just W)
 *
 * It creates and drops its own database on DATABASE_URL's server (default
 * postgres://postgres@127.0.0.1:5432/test), prints a table and writes bench/results/ledger.json.
 * Every phase is bounded in time. Options: --seconds 5 (per append phase) --size 1000000
 * --fill-seconds 150 --keep (keep the database) --phases W,A,B,C,D,E,G,F (a subset; the fill to
 * --size runs with any of D, E, G, F) --database NAME (use this database, created if missing and never dropped:
 * `--database huren_bench_1m --phases G` fills once, then measures tiles again in seconds).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { connectPostgres, openPostgres } from "../src/db/postgres.ts";
import { appendEntries } from "../src/ledger/append.ts";
import { LedgerWriter } from "../src/ledger/writer.ts";
import { appendInput, bigEntryLines, bulkAppend, closedLoop, exportToFile, proofLatency, rate, type Loop } from "./lib/ledger-bench.ts";
import { splitLines, verifyExport } from "../src/ledger/verify-export.ts";
import type { Checkpoint } from "../src/ledger/note.ts";
import { CompactRange, treeHash } from "../src/ledger/merkle.ts";
import { ledgerSize, nodeReader } from "../src/ledger/store.ts";
import { tileLatency } from "./lib/tile-bench.ts";
import { witnessBench } from "./lib/witness-bench.ts";

class WitnessOnly extends Error {}

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    size: { type: "string", default: "1000000" },
    "fill-seconds": { type: "string", default: "150" },
    keep: { type: "boolean", default: false },
    "witness-only": { type: "boolean", default: false },
    "witness-rounds": { type: "string", default: "30" },
    "witness-pairs": { type: "string", default: "6" },
    phases: { type: "string", default: "W,A,B,C,D,E,G,F" },
    database: { type: "string" },
  },
});
const SECONDS = Number(args.seconds);
const SIZE = Number(args.size);
const FILL_MS = Number(args["fill-seconds"]) * 1000;
const SERVER = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);

const PHASES = new Set(args.phases.split(",").map((p) => p.trim().toUpperCase()));
const phase = (p: string) => PHASES.has(p);
/** The phases that read a ledger of --size entries. */
const needsFill = ["D", "E", "G", "F"].some(phase);
const name = args.database ?? `huren_bench_ledger_${Date.now().toString(36)}`;
if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`--database ${name}: lower-case letters, digits and _ only`);
const keep = args.keep || args.database !== undefined;
const admin = postgres(SERVER, { max: 1, onnotice: () => {} });
const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
if (!exists) await admin.unsafe(`create database "${name}"`);
const url = new URL(SERVER);
url.pathname = `/${name}`;
const database = await openPostgres({ url: url.toString(), max: 16 });
const { db } = database;
const started = performance.now();
const load = [loadavg()[0]!];
const [settings] = await admin`select current_setting('synchronous_commit') as sync, current_setting('fsync') as fsync, version() as version`;
log(`database ${name}; synchronous_commit=${settings!.sync}, fsync=${settings!.fsync}; ${cpus().length} cpus, load ${load[0]!.toFixed(1)}`);

const results: Record<string, unknown> = {};
const rows: [string, string, string][] = [];
const show = (label: string, value: string, note = "") => {
  rows.push([label, value, note]);
  log(`${label}: ${value} ${note}`);
};
const loopRow = (label: string, l: Loop, note = "") => show(label, `${Math.round(l.perSecond)} appends/s`, `p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms${note ? `; ${note}` : ""}`);

try {
  // W: witnesses — first, as it needs no fill (and --witness-only stops after it).
  if (phase("W")) {
    const w = await witnessBench({ seconds: SECONDS, rounds: Number(args["witness-rounds"]), pairs: Number(args["witness-pairs"]), log });
    show("W witness round trip per checkpoint", `p50 ${w.roundTrip.p50.toFixed(1)} ms`, `p99 ${w.roundTrip.p99.toFixed(1)} ms over ${w.roundTrip.rounds} checkpoints: sign, 2 witnesses (consistency proof, cosign, verify, store); CPU ${w.roundTrip.cpuMs.toFixed(1)} ms per checkpoint, both witnesses included`);
    const v = w.verifications;
    const pct = (r: number) => `${r >= 1 ? "+" : ""}${((r - 1) * 100).toFixed(1)} %`;
    show(
      "W verifications/s, 2 witnesses vs none",
      `${pct(v.ratio)} (median of ${v.pairRatios.length} pairs)`,
      `pairs ${pct(Math.min(...v.pairRatios))} … ${pct(Math.max(...v.pairRatios))}; CPU ${v.cpuMsPerVerification.none.toFixed(3)} vs ${v.cpuMsPerVerification.two.toFixed(3)} ms per verification (in-process, 16 callers, ABBA ${SECONDS} s runs)`,
    );
    results.witnesses = w;
  }
  if (args["witness-only"]) throw new WitnessOnly();

  // A: the baseline — every entry its own transaction, so its own fsync.
  const single = phase("A") || phase("B") || phase("C") ? await closedLoop(1, SECONDS, (i) => db.transaction((tx) => appendEntries(tx, [appendInput(i)]))) : undefined;
  if (single) {
    loopRow("A single writer, 1 entry/tx", single);
    results.single = single;
  }

  // B: group commit — callers arriving while a batch commits share the next transaction.
  const writer = new LedgerWriter(db);
  results.writer = {};
  for (const callers of phase("B") ? [1, 8, 64] : []) {
    const l = await closedLoop(callers, SECONDS, (i) => writer.append(appendInput(i)));
    loopRow(`B LedgerWriter, ${callers} callers`, l, `${(l.perSecond / single!.perSecond).toFixed(1)}× A`);
    (results.writer as Record<number, Loop>)[callers] = l;
  }

  // C: several processes on one database contend for the ledger_head row lock.
  results.pools = {};
  for (const pools of phase("C") ? [2, 4] : []) {
    const conns = Array.from({ length: pools }, () => connectPostgres({ url: url.toString(), max: 8 }));
    const writers = conns.map((c) => new LedgerWriter(c.db));
    const l = await closedLoop(32 * pools, SECONDS, (i) => writers[i % pools]!.append(appendInput(i)));
    await Promise.all(conns.map((c) => c.close()));
    loopRow(`C ${pools} pools × 32 callers`, l, `${(l.perSecond / single!.perSecond).toFixed(1)}× A`);
    (results.pools as Record<number, Loop>)[pools] = l;
  }

  // D: large batches — appendEntries itself for a while, then a bulk path (same rows) to reach --size.
  const batchRate = async (seconds: number, batch: number, append: (inputs: ReturnType<typeof appendInput>[]) => Promise<unknown>) => {
    const t = performance.now();
    let n = 0;
    while (performance.now() - t < seconds * 1000) {
      await append(Array.from({ length: batch }, (_, k) => appendInput(n + k, "fill")));
      n += batch;
    }
    return rate(n, performance.now() - t);
  };
  const viaAppend = phase("D") ? await batchRate(Math.max(SECONDS, 10), 10_000, (inputs) => db.transaction((tx) => appendEntries(tx, inputs))) : Number.NaN;
  if (phase("D")) show("D appendEntries, 10,000 entries/tx", `${Math.round(viaAppend)} appends/s`, "one jsonb parameter per table");
  const raw = postgres(url.toString(), { max: 1, onnotice: () => {}, fetch_types: false });
  const fillStart = performance.now();
  let size = await ledgerSize(db);
  const before = size;
  try {
    while (needsFill && size < SIZE && performance.now() - fillStart < FILL_MS) {
      const count = Math.min(20_000, SIZE - size);
      await bulkAppend(raw, Array.from({ length: count }, (_, k) => appendInput(size + k, "fill")));
      size += count;
      if (size % 200_000 < count) log(`  filled to ${size}`);
    }
  } finally {
    await raw.end({ timeout: 5 });
  }
  const fillRate = rate(size - before, performance.now() - fillStart);
  if (size > before) show("D bulk fill (jsonb), 20,000 entries/tx", `${Math.round(fillRate)} appends/s`, `to ${size} entries in ${((performance.now() - fillStart) / 1000).toFixed(0)} s; ${(fillRate / viaAppend).toFixed(1)}× appendEntries`);
  if (needsFill) {
    const [bytes] = (await db.execute(sql`select pg_total_relation_size('ledger_entries')::float8 as entries, pg_total_relation_size('ledger_nodes')::float8 as nodes`)) as unknown as { entries: number; nodes: number }[];
    show("D storage (tables + indexes)", `${Math.round((bytes!.entries + bytes!.nodes) / size)} B/entry`, `entries ${Math.round(bytes!.entries / size)} B + nodes ${Math.round(bytes!.nodes / size)} B per entry (~100 B synthetic entries)`);
    results.fill = { size, appendEntriesPerSecond: viaAppend, bulkPerSecond: fillRate, bytes };
  }

  // E: proofs as the routes compute them (size check + one batched node read).
  if (phase("E")) {
    const inclusion = await proofLatency(db, size, "inclusion", 2000);
    const consistency = await proofLatency(db, size, "consistency", 1000);
    show(`E inclusion proof at ${size}`, `p50 ${inclusion.p50.toFixed(2)} ms`, `p99 ${inclusion.p99.toFixed(2)} ms, ${inclusion.samples} samples, all verified`);
    show(`E consistency proof at ${size}`, `p50 ${consistency.p50.toFixed(2)} ms`, `p99 ${consistency.p99.toFixed(2)} ms, ${consistency.samples} samples, all verified`);
    results.proofs = { size, inclusion, consistency };
  }

  // G: C2SP tiles at that size (its own connection pool: the gateway deps close theirs).
  if (phase("G")) {
    // A kept database holds the gateway key sealed by the first run: every run must open it with the same secret (a benchmark's, not a real one).
    const secret = args.database ? Buffer.from(createHash("sha256").update(`huren bench ${name}`).digest()).toString("base64url") : undefined;
    const tiles = await tileLatency(await openPostgres({ url: url.toString(), max: 4 }), size, 2000, secret);
    const ms = (l: { p50: number; p99: number; samples: number }) => [`p50 ${l.p50.toFixed(2)} ms`, `p99 ${l.p99.toFixed(2)} ms, ${l.samples} samples`] as const;
    show(`G level-0 tile (GET /v1/ledger/tile/0/…) at ${size}`, ...ms(tiles.level0));
    show("G level-0 tile, the gateway's own duration", ...ms(tiles.level0Served));
    show("G level-1 tile", ...ms(tiles.level1));
    show("G partial level-0 tile (checkpointed width)", ...ms(tiles.partial));
    const [b50, b99] = ms(tiles.bundles);
    show("G entry bundle, read + gzip", b50, `${b99}; ${Math.round(tiles.bundles.bytes / 1024)} KiB → ${Math.round(tiles.bundles.gzipBytes / 1024)} KiB gzipped`);
    results.tiles = { size, ...tiles };
  }

  // F: export, then verify the whole export against a checkpoint of its size.
  if (phase("F")) {
    const dir = await mkdtemp(join(tmpdir(), "huren-bench-ledger-"));
    try {
      const file = join(dir, "ledger.jsonl");
      const exported = await exportToFile(db, file);
      show("F export to JSONL", `${Math.round(exported.perSecond)} entries/s`, `${exported.entries} entries, ${(exported.bytes / 1e6).toFixed(0)} MB`);
      const checkpoint: Checkpoint = { origin: "bench/ledger", size, rootHash: await treeHash(size, nodeReader(db)) };
      const verify = async (strict: boolean, limit?: number) => {
        const cp = limit ? { ...checkpoint, size: limit, rootHash: await treeHash(limit, nodeReader(db)) } : checkpoint;
        const cpu = process.cpuUsage();
        const t = performance.now();
        const r = await verifyExport(limited(splitLines(createReadStream(file, { highWaterMark: 1 << 20 })), cp.size), { checkpoints: [cp], strict });
        const used = process.cpuUsage(cpu);
        if (!r.ok) throw new Error(`verification failed: ${JSON.stringify(r.firstBad)}`);
        return { entries: r.checked, perSecond: rate(r.checked, performance.now() - t), perCpuSecond: r.checked / ((used.user + used.system) / 1e6) };
      };
      const full = await verify(false);
      show(`F verify ${full.entries} small entries`, `${Math.round(full.perSecond)} entries/s`, `${Math.round(full.perCpuSecond)} per CPU-second`);
      const strict = await verify(true, Math.min(size, 100_000));
      show(`F verify --strict, ${strict.entries} small entries`, `${Math.round(strict.perSecond)} entries/s`, `${Math.round(strict.perCpuSecond)} per CPU-second`);
      const big = await bigEntryLines(200_000);
      const range = new CompactRange();
      for (const leaf of big.leaves) range.push(leaf);
      const bigCp: Checkpoint = { origin: "bench/ledger", size: big.leaves.length, rootHash: range.root() };
      const cpu = process.cpuUsage();
      const t = performance.now();
      const r = await verifyExport(big.batches, { checkpoints: [bigCp] });
      const used = process.cpuUsage(cpu);
      if (!r.ok) throw new Error("realistic verification failed");
      const realistic = { entries: r.checked, bytesPerLine: big.bytesPerLine, perSecond: rate(r.checked, performance.now() - t), perCpuSecond: r.checked / ((used.user + used.system) / 1e6) };
      show(`F verify ${realistic.entries} realistic entries (~${big.bytesPerLine} B)`, `${Math.round(realistic.perSecond)} entries/s`, `${Math.round(realistic.perCpuSecond)} per CPU-second`);
      results.verify = { export: exported, full, strict, realistic };
    } finally {
      await rm(dir, { recursive: true, force: true });
  }
  }
} catch (err) {
  if (!(err instanceof WitnessOnly)) throw err;
} finally {
  await database.close();
  if (!keep) await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end({ timeout: 5 });
}

load.push(loadavg()[0]!);
const seconds = (performance.now() - started) / 1000;
const width = Math.max(...rows.map((r) => r[0].length));
process.stdout.write(`\nHuren ledger benchmark — PostgreSQL ${String(settings!.version).split(" ")[1]}, synchronous_commit=${settings!.sync}, ${cpus().length} CPUs, load ${load.map((l) => l.toFixed(1)).join(" → ")}, ${seconds.toFixed(0)} s\n\n`);
for (const [label, value, note] of rows) process.stdout.write(`${label.padEnd(width)}  ${value.padStart(18)}  ${note}\n`);
await mkdir("bench/results", { recursive: true });
// --witness-only keeps the full run's file and writes its own.
const resultsFile = args["witness-only"] ? "bench/results/ledger-witness.json" : PHASES.size < 8 ? `bench/results/ledger-${[...PHASES].join("")}.json` : "bench/results/ledger.json";
await writeFile(
  resultsFile,
  JSON.stringify({ at: new Date().toISOString(), seconds, machine: { cpus: cpus().length, model: cpus()[0]?.model, load, node: process.version }, postgres: settings, options: { seconds: SECONDS, size: SIZE }, results }, null, 2) + "\n",
);
process.stdout.write(`\nwritten ${resultsFile}\n`);

/** The first `n` lines only (for a checkpoint of a smaller size). */
async function* limited<T>(batches: AsyncIterable<T[]>, n: number): AsyncGenerator<T[]> {
  let left = n;
  for await (const batch of batches) {
    if (left <= 0) return;
    yield batch.length <= left ? batch : batch.slice(0, left);
    left -= batch.length;
  }
}
