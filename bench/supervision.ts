/**
 * `npm run bench:supervision`: the supervision consumer and §10 queries on a real PostgreSQL.
 *
 *   A  consumer throughput: --entries realistic verification entries (3 items each, 200 clerks,
 *      40 adapters) appended to the ledger, then folded by catchUp (entries/s), batch 2,000 and 10,000
 *   B  lag at 1,000 verifications/s: entries appended at that rate for --lag-seconds while the
 *      background consumer (1 s tick) runs; lag sampled every 200 ms, in seconds of arrivals
 *   C  a generated year of rollups at 1 M verifications/day (rows written directly, not entries):
 *      --operators clerks (day and month rows), 60 adapters in 40 departments (day and hour rows),
 *      300 matters, 20 cards a day; then p50/p95 of a month's report and of a day's ranking
 *
 * Creates and drops its own database on DATABASE_URL's server (default
 * postgres://postgres@127.0.0.1:5432/test); writes bench/results/supervision.json.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { openPostgres } from "../src/db/postgres.ts";
import { appendEntries, type LedgerEntryInput } from "../src/ledger/append.ts";
import { ledgerSize } from "../src/ledger/store.ts";
import { catchUp, startConsumer, type ConsumerDeps } from "../src/supervision/consumer.ts";
import { monthlyReport } from "../src/supervision/report.ts";
import { ranking } from "../src/supervision/department-queries.ts";
import { record } from "../src/supervision/histogram.ts";
import { rowsOf } from "../src/db/rows.ts";

const { values: args } = parseArgs({ options: { entries: { type: "string", default: "100000" }, "lag-seconds": { type: "string", default: "20" }, operators: { type: "string", default: "10000" }, keep: { type: "boolean", default: false }, "year-only": { type: "boolean", default: false } } });
const base = new URL(process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test");
const name = `huren_bench_sup_${Date.now().toString(36)}`;
const admin = postgres(base.toString(), { max: 1, onnotice: () => {} });
await admin.unsafe(`create database "${name}"`);
const url = new URL(base);
url.pathname = `/${name}`;
const database = await openPostgres({ url: url.toString(), max: 8 });
const db = database.db;
let ids = 0;
const deps: ConsumerDeps = { db, now: () => new Date(), newId: () => String(++ids).padStart(16, "0"), caseKey: async (w, c) => `ck_${w}_${c}` };
const results: Record<string, unknown> = { machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavgAtStart: loadavg() }, shared: "two cores shared with seven other developers' builds and tests" };
const log = (line: string) => process.stdout.write(line + "\n");

// Deterministic pseudo-random, so runs are comparable.
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = (n: number) => Math.floor(rnd() * n);
const STATUSES = ["verified", "verified", "verified", "not_found", "invalid", "unavailable", "denied"] as const;

function entryInput(i: number, time: Date): LedgerEntryInput {
  const window = `w-${pick(50)}`;
  const uid = `c-${pick(4)}`;
  const subjectRef = `sr1_${pick(200_000)}`;
  const items = Array.from({ length: 3 }, () => {
    const status = STATUSES[pick(STATUSES.length)]!;
    const a = pick(40);
    const asked = status !== "denied";
    return { type: `type-${a % 12}`, decision: asked ? "permit" : "deny", reasons: asked ? [] : ["consent-required"], basis: "statutory", status, source: asked ? `a-${a}` : null, error: status === "unavailable" ? "timeout" : null, department: asked ? `d-${a % 20}` : null, adapter: asked ? `a-${a}` : null, latencyMs: asked ? 20 + pick(3000) : null };
  });
  const entry = { v: 1, verificationId: `vf_b${i}`, time: time.toISOString(), gateway: "bench", requester: window, uid, matter: `m-${pick(30)}`, case: `K-${pick(50_000)}`, subject: { type: "resident-id", ref: subjectRef }, decision: "partial", items, requestHash: "x".repeat(43), receiptHash: "y".repeat(43) };
  return { entry, verificationId: `vf_b${i}`, subjectRef, requester: window, uid, matter: entry.matter, caseRef: entry.case, decision: "partial", evidenceTypes: items.map((x) => x.type), recordedAt: time };
}

async function append(from: number, n: number, time: () => Date) {
  for (let i = 0; i < n; i += 2000) {
    const batch = Array.from({ length: Math.min(2000, n - i) }, (_, k) => entryInput(from + i + k, time()));
    await db.transaction((tx) => appendEntries(tx, batch));
  }
}
const resetStore = async () => {
  for (const t of ["supervision_rollups", "supervision_counters", "supervision_sets", "supervision_cards"]) await db.execute(sql.raw(`delete from ${t}`));
  await db.execute(sql`update supervision_state set next_index = 0`);
};

try {
  // A. Throughput
  const n = args["year-only"] ? 0 : Number(args.entries);
  if (n > 0) {
  const t0 = Date.parse("2026-11-24T01:00:00Z");
  let k = 0;
  await append(0, n, () => new Date(t0 + (k++ * 86_400_000) / n));
  log(`A: appended ${n} entries`);
  const throughput: Record<string, number> = {};
  for (const batch of [2000, 10_000]) {
    await db.execute(sql`insert into supervision_state (id, next_index) values (1, 0) on conflict do nothing`);
    await resetStore();
    const started = performance.now();
    const folded = await catchUp(deps, { maxEntries: batch });
    const s = (performance.now() - started) / 1000;
    throughput[`batch${batch}`] = Math.round(folded / s);
    log(`A: batch ${batch}: ${folded} entries in ${s.toFixed(1)} s = ${throughput[`batch${batch}`]} entries/s`);
  }
  results.throughput = throughput;

  // B. Lag at 1,000/s
  const lagSeconds = Number(args["lag-seconds"]);
  const consumer = startConsumer(deps, { intervalMs: 1000 });
  let next = n;
  const lags: number[] = [];
  const until = Date.now() + lagSeconds * 1000;
  const sampler = setInterval(async () => {
    const [row] = rowsOf<{ next_index: string }>(await db.execute(sql`select next_index from supervision_state`));
    lags.push(((await ledgerSize(db)) - Number(row!.next_index)) / 1000);
  }, 200);
  while (Date.now() < until) {
    const tick = Date.now();
    await append(next, 100, () => new Date());
    next += 100;
    await new Promise((d) => setTimeout(d, Math.max(0, 100 - (Date.now() - tick))));
  }
  clearInterval(sampler);
  await consumer.stop();
  lags.sort((a, b) => a - b);
  results.lag = { offeredPerSecond: 1000, achievedPerSecond: Math.round((next - n) / lagSeconds), maxSeconds: lags[lags.length - 1], p95Seconds: lags[Math.floor(lags.length * 0.95)] };
  log(`B: lag at ${(results.lag as { achievedPerSecond: number }).achievedPerSecond}/s: p95 ${(results.lag as any).p95Seconds} s, max ${(results.lag as any).maxSeconds} s`);
  }

  // C. A generated year
  await resetStore();
  const ops = Number(args.operators);
  const hist = JSON.stringify(Array.from({ length: 1000 }, () => 20 + pick(3000)).reduce((h, ms) => record(h, ms), [] as number[]));
  const g = performance.now();
  // 1 M verifications/day: per clerk per day 1e6/ops verifications; per adapter-day 1e6*2/60 items.
  const perOp = Math.round(1e6 / ops);
  await db.execute(sql.raw(`
    insert into supervision_rollups (dim, bucket, key, figures)
    select 'operator-d', to_char(date '2025-12-01' + d, 'YYYY-MM-DD'), 'w-' || (o / 5) || '/c-' || (o % 5),
      jsonb_build_object('verifications', ${perOp}, 'items', ${perOp * 2}, 'certificateFree', ${Math.round(perOp * 1.5)}, 'denied', 3, 'unavailable', 2, 'denials', jsonb_build_object('consent-required', 2, 'matter-not-allowed', 1))
    from generate_series(0, 364) d, generate_series(0, ${ops - 1}) o`));
  await db.execute(sql.raw(`
    insert into supervision_rollups (dim, bucket, key, figures)
    select 'operator-m', to_char(date '2025-12-01' + (m || ' month')::interval, 'YYYY-MM'), 'w-' || (o / 5) || '/c-' || (o % 5),
      jsonb_build_object('verifications', ${perOp * 30}, 'items', ${perOp * 60}, 'certificateFree', ${Math.round(perOp * 45)}, 'denied', 90, 'unavailable', 60, 'denials', jsonb_build_object('consent-required', 60, 'matter-not-allowed', 30))
    from generate_series(0, 11) m, generate_series(0, ${ops - 1}) o`));
  for (const [dim, buckets] of [["adapter-d", `select to_char(date '2025-12-01' + d, 'YYYY-MM-DD') as b from generate_series(0, 364) d`], ["adapter-h", `select to_char(date '2025-12-01' + d, 'YYYY-MM-DD') || 'T' || lpad(h::text, 2, '0') as b from generate_series(0, 364) d, generate_series(0, 23) h`]] as const) {
    const per = dim === "adapter-d" ? 33_000 : 1_400;
    await db.execute(sql.raw(`
      insert into supervision_rollups (dim, bucket, key, figures)
      select '${dim}', b, jsonb_build_array('d-' || (a % 40), 'a-' || a, 'type-' || (a % 12))::text,
        jsonb_build_object('asked', ${per} + a, 'answered', ${per} - a * 7, 'unavailable', jsonb_build_object('timeout', a * 5, 'http-status', a * 2), 'hist', '${hist}'::jsonb)
      from (${buckets}) days, generate_series(0, 59) a`));
  }
  await db.execute(sql.raw(`
    insert into supervision_rollups (dim, bucket, key, figures)
    select dim, b, 'matter-' || m, jsonb_build_object('verifications', 3333, 'items', 6666, 'certificateFree', 5000)
    from (select 'matter-d' as dim, to_char(date '2025-12-01' + d, 'YYYY-MM-DD') as b from generate_series(0, 364) d
          union all select 'matter-m', to_char(date '2025-12-01' + (m || ' month')::interval, 'YYYY-MM') from generate_series(0, 11) m) buckets, generate_series(0, 299) m`));
  await db.execute(sql.raw(`
    insert into supervision_cards (id, rule, counter_key, period, period_from, period_to, target_kind, target_id, level, count, yellow, red, evidence, state, notes, opened_at)
    select 'card_' || d || '_' || c, 'department-slow', 'd-' || c, 'd:' || d, timestamptz '2025-11-30 16:00Z' + (d || ' day')::interval, timestamptz '2025-12-01 16:00Z' + (d || ' day')::interval,
      'department', 'd-' || c, 'yellow', 7, 5, 20, '[1,2,3]'::jsonb, 'open', '[]'::jsonb, timestamptz '2025-12-01 02:00Z' + (d || ' day')::interval
    from generate_series(0, 364) d, generate_series(0, 19) c`));
  await db.execute(sql`analyze supervision_rollups`);
  const [count] = rowsOf<{ n: string }>(await db.execute(sql`select count(*) as n from supervision_rollups`));
  const generated = { rows: Number(count!.n), seconds: Math.round((performance.now() - g) / 100) / 10, operators: ops, adapters: 60, matters: 300 };
  log(`C: generated ${generated.rows} rollup rows in ${generated.seconds} s`);

  const time = async (f: (i: number) => Promise<unknown>, runs: number) => {
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const s = performance.now();
      await f(i);
      ms.push(performance.now() - s);
    }
    ms.sort((a, b) => a - b);
    return { runs, p50Ms: Math.round(ms[Math.floor(runs / 2)]!), p95Ms: Math.round(ms[Math.min(runs - 1, Math.floor(runs * 0.95))]!) };
  };
  const months = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"];
  const report = await time((i) => monthlyReport(db, months[i % 12]!), 20);
  const rank = await time((i) => ranking(db, new Date(Date.parse("2026-01-10") + i * 86_400_000 * 9).toISOString().slice(0, 10)), 20);
  results.year = { generated, monthlyReport: report, dailyRanking: rank };
  log(`C: monthly report p50 ${report.p50Ms} ms, p95 ${report.p95Ms} ms; daily ranking p50 ${rank.p50Ms} ms, p95 ${rank.p95Ms} ms`);
  results.loadavgAtEnd = loadavg();
  await mkdir("bench/results", { recursive: true });
  // --year-only keeps the consumer figures of the last full run beside the new query figures.
  const previous = args["year-only"] ? JSON.parse(await readFile("bench/results/supervision.json", "utf8").catch(() => "{}")) : {};
  await writeFile("bench/results/supervision.json", JSON.stringify({ ...previous, ...results }, null, 2) + "\n");
} finally {
  await database.close();
  if (!args.keep) await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end({ timeout: 5 });
}
