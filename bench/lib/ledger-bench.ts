/**
 * Pieces of `npm run bench:ledger` (bench/ledger.ts): synthetic entries, a closed-loop driver,
 * proof latency sampling, the export to a file, and realistic export lines held in memory.
 */
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import type { Sql } from "postgres";
import { exportEntries } from "../../src/audit/export.ts";
import type { Db } from "../../src/db/types.ts";
import { canonicalEntry, type LedgerEntryInput } from "../../src/ledger/append.ts";
import { appendLeaves, leafHash, treeHash, verifyConsistency, verifyInclusion, type Hash, type NodeId } from "../../src/ledger/merkle.ts";
import { proveConsistency, proveInclusion } from "../../src/ledger/proofs.ts";
import { fromBase64, nodeReader, toBase64 } from "../../src/ledger/store.ts";
import { prng } from "./data.ts";

export const rate = (count: number, ms: number) => (count / ms) * 1000;

/** The p-th percentile (0–100) of unsorted samples, nearest rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

let serial = 0;
/** A small synthetic entry (~100 bytes canonical) with its search columns; ids never repeat. */
export function appendInput(i: number, tag = "a"): LedgerEntryInput {
  const n = serial++;
  return {
    entry: { v: 1, kind: "bench", n: i, case: `B-${n}` },
    verificationId: `vf_bench_${tag}_${n}`,
    subjectRef: `sr1_${i % 4096}`,
    requester: "bench-window",
    uid: "bench-staff",
    matter: "bench-matter",
    caseRef: `B-${n}`,
    decision: "permitted",
    evidenceTypes: ["housing.no-property-proof"],
    recordedAt: new Date(),
  };
}

export interface Loop {
  callers: number;
  appends: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** `callers` concurrent loops of `op` for `seconds`; throughput and per-call latency. */
export async function closedLoop(callers: number, seconds: number, op: (i: number) => Promise<unknown>): Promise<Loop> {
  const latencies: number[] = [];
  let next = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await op(next++);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = performance.now() - start;
  return { callers, appends: latencies.length, perSecond: rate(latencies.length, elapsed), p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/** Latency of `samples` proofs at random positions in the tree of `size`; each proof is then verified. */
export async function proofLatency(db: Db, size: number, kind: "inclusion" | "consistency", samples: number) {
  const random = prng(kind === "inclusion" ? 1 : 2);
  const read = nodeReader(db);
  const root = await treeHash(size, read);
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const at = Math.floor(random() * size);
    const t = performance.now();
    const { hashes } = kind === "inclusion" ? await proveInclusion(db, at, size) : await proveConsistency(db, Math.max(1, at), size);
    times.push(performance.now() - t);
    const proof = hashes.map(fromBase64);
    const ok =
      kind === "inclusion"
        ? verifyInclusion((await read([{ level: 0, index: at }]))[0]!, at, size, proof, root)
        : verifyConsistency(Math.max(1, at), size, proof, await treeHash(Math.max(1, at), read), root);
    if (!ok) throw new Error(`${kind} proof at ${at} of ${size} does not verify`);
  }
  return { samples, p50: percentile(times, 50), p99: percentile(times, 99), max: Math.max(...times) };
}

/** The whole ledger as /v1/audit/export writes it (JSONL), into `file`. */
export async function exportToFile(db: Db, file: string) {
  const out = createWriteStream(file);
  const t = performance.now();
  let bytes = 0;
  let entries = 0;
  for await (const chunk of exportEntries(db, { format: "jsonl" })) {
    bytes += Buffer.byteLength(chunk);
    for (let i = chunk.indexOf("\n"); i >= 0; i = chunk.indexOf("\n", i + 1)) entries++;
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return { entries, bytes, perSecond: rate(entries, performance.now() - t) };
}

/**
 * Only to fill the benchmark's tree to a million entries in reasonable time: the same rows
 * appendEntries writes (same head lock, canonical text, leaf hashes and appendLeaves nodes), but
 * sent as one jsonb parameter per table instead of through drizzle's query builder, which costs
 * ~200 µs of CPU per entry (bench phase D measures both). Phase F then verifies the whole
 * export against the root of the stored nodes, so a wrong row here would fail the run.
 */
export async function bulkAppend(sql: Sql, inputs: LedgerEntryInput[]): Promise<void> {
  const json = (value: unknown) => JSON.stringify(value);
  await sql.begin(async (tx) => {
    const [head] = await tx`update ledger_head set size = size + ${inputs.length} where id = 1 returning size`;
    const first = Number(head!.size) - inputs.length;
    const rows = inputs.map((input, i) => {
      const entryJson = canonicalEntry({ ...input.entry, index: first + i });
      return { input, idx: first + i, entryJson, leaf: leafHash(new TextEncoder().encode(entryJson)) };
    });
    const read = async (ids: NodeId[]) => {
      const found = await tx`select n.level, n.idx, n.hash from ledger_nodes n join jsonb_to_recordset(${json(ids)}::text::jsonb) as x(level int, index bigint) on n.level = x.level and n.idx = x.index`;
      const byKey = new Map(found.map((r) => [`${r.level}/${r.idx}`, r.hash as string]));
      return ids.map((id) => fromBase64(byKey.get(`${id.level}/${id.index}`)!));
    };
    const nodes = await appendLeaves(first, rows.map((r) => r.leaf), read);
    const entries = rows.map(({ input, idx, entryJson, leaf }) => ({
      idx, verification_id: input.verificationId, entry_json: entryJson, leaf_hash: toBase64(leaf), subject_ref: input.subjectRef, requester: input.requester,
      uid: input.uid ?? null, matter: input.matter ?? null, case_ref: input.caseRef ?? null, decision: input.decision, evidence_types: input.evidenceTypes, recorded_at: input.recordedAt.toISOString(),
    }));
    await tx`insert into ledger_entries (idx, verification_id, entry_json, leaf_hash, subject_ref, requester, uid, matter, case_ref, decision, evidence_types, recorded_at)
      select * from jsonb_to_recordset(${json(entries)}::text::jsonb) as x(idx bigint, verification_id text, entry_json text, leaf_hash text, subject_ref text,
        requester text, uid text, matter text, case_ref text, decision text, evidence_types jsonb, recorded_at timestamptz)`;
    await tx`insert into ledger_nodes (level, idx, hash)
      select * from jsonb_to_recordset(${json(nodes.map((n) => ({ level: n.level, idx: n.index, hash: toBase64(n.hash) })))}::text::jsonb) as x(level int, idx bigint, hash text)`;
  });
}

const item = (type: string) => ({
  type,
  decision: "permit",
  reasons: [],
  basis: "statutory",
  citation: "《长春市公共租赁住房保障办法》第十二条",
  policyVersion: "housing-exempt@3",
  fields: ["validUntil"],
  status: "verified",
  source: "cc-housing-fixture",
  adapterVersion: 2,
  error: null,
});

/** `n` export lines of entries shaped like a two-item verification's, as file bytes in batches. */
export async function bigEntryLines(n: number): Promise<{ batches: Buffer[][]; leaves: Hash[]; bytesPerLine: number }> {
  const batches: Buffer[][] = [];
  const leaves: Hash[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const text = canonicalEntry({
      v: 1,
      verificationId: `vf_01JD${String(i).padStart(20, "0")}`,
      time: new Date(Date.UTC(2026, 10, 21) + i * 1000).toISOString(),
      gateway: "huren.changchun.gov.cn",
      requester: "nanguan-window-01",
      requesterRegion: "220102",
      uid: "nanguan-window-01-staff-1",
      matter: "220100-public-rental-housing",
      case: `NG-2026-${i}`,
      subject: { type: "resident-id", ref: `sr1_${(i * 2654435761).toString(36).padEnd(43, "x")}` },
      decision: "permitted",
      consent: null,
      consentProblem: null,
      items: [item("housing.no-property-proof"), item("subsistence-allowance.certificate")],
      requestHash: "x".repeat(43),
      receiptHash: "y".repeat(43),
      index: i,
    });
    const leaf = leafHash(new TextEncoder().encode(text));
    leaves.push(leaf);
    const line = Buffer.from(`{"index":${i},"leafHash":"${Buffer.from(leaf).toString("base64")}","entry":${text}}`);
    bytes += line.length + 1;
    if (i % 2000 === 0) batches.push([]);
    batches[batches.length - 1]!.push(line);
  }
  return { batches, leaves, bytesPerLine: Math.round(bytes / n) };
}
