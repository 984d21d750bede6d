/**
 * The group-commit writer. A caller that appends again the moment its previous append resolved
 * (a sequential client, or any continuation in the same microtask checkpoint) must get its own
 * drain. It used to wait forever: the "draining" flag was cleared one tick after the queue was
 * seen empty, so the new entry joined a drain that had already finished.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { LedgerWriter } from "../src/ledger/writer.ts";
import { leafHash, rootFromLeaves, treeHash } from "../src/ledger/merkle.ts";
import { nodeReader, toBase64 } from "../src/ledger/store.ts";
import { rowsOf } from "../src/db/rows.ts";
import type { LedgerEntryInput } from "../src/ledger/append.ts";
import { createHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h?.close();
});

const input = (i: number): LedgerEntryInput => ({
  entry: { v: 1, n: i },
  verificationId: `vf_writer_${i}`,
  subjectRef: "sr1_x",
  requester: "w",
  uid: undefined,
  matter: undefined,
  caseRef: undefined,
  decision: "permitted",
  evidenceTypes: [],
  recordedAt: new Date(),
});

it("back-to-back appends from one caller each commit, in order", async () => {
  const writer = new LedgerWriter(h.deps.db);
  const indexes: number[] = [];
  for (let i = 0; i < 5; i++) indexes.push((await writer.append(input(i))).index);
  expect(indexes).toEqual([0, 1, 2, 3, 4]);
  await writer.idle();
}, 10_000);

it("concurrent callers that re-append at once are all served", async () => {
  const writer = new LedgerWriter(h.deps.db);
  let next = 100;
  const done = await Promise.all(
    Array.from({ length: 8 }, async () => {
      let n = 0;
      for (let k = 0; k < 4; k++, n++) await writer.append(input(next++));
      return n;
    }),
  );
  expect(done).toEqual(Array(8).fill(4));
}, 10_000);

/**
 * The whole stored tree, recomputed: indexes 0…n-1 without a gap, each leaf hash from its entry,
 * and every stored node equal to the hash of the leaves it covers (so inclusion proofs, which
 * read inner nodes, are right too, not only the root).
 */
async function checkTree(): Promise<number> {
  const entries = rowsOf<{ idx: number | string; entry_json: string; leaf_hash: string }>(
    await h.deps.db.execute(sql`select idx, entry_json, leaf_hash from ledger_entries order by idx`),
  );
  entries.forEach((e, i) => expect(Number(e.idx)).toBe(i));
  const leaves = entries.map((e) => leafHash(new TextEncoder().encode(e.entry_json)));
  entries.forEach((e, i) => expect(e.leaf_hash).toBe(toBase64(leaves[i]!)));
  const nodes = rowsOf<{ level: number; idx: number | string; hash: string }>(await h.deps.db.execute(sql`select level, idx, hash from ledger_nodes`));
  for (const n of nodes) {
    const width = 2 ** n.level;
    const from = Number(n.idx) * width;
    expect(n.hash, `node ${n.level}/${n.idx}`).toBe(toBase64(rootFromLeaves(leaves.slice(from, from + width))));
  }
  expect(toBase64(await treeHash(leaves.length, nodeReader(h.deps.db)))).toBe(toBase64(rootFromLeaves(leaves)));
  return leaves.length;
}

describe("one-statement appends", () => {
  it("a lone writer appends in one statement after its first batch, and the tree stays right", async () => {
    const writer = new LedgerWriter(h.deps.db);
    let n = 1000;
    for (let round = 0; round < 12; round++) {
      // Batches of 1 to 5 entries: odd and even sizes, so parents complete in every pattern.
      await Promise.all(Array.from({ length: 1 + (round % 5) }, () => writer.append(input(n++))));
    }
    await writer.idle();
    expect(writer.stats.locked).toBe(1);
    expect(writer.stats.oneStatement).toBeGreaterThanOrEqual(11);
    expect(writer.stats.missed).toBe(0);
    await checkTree();
  });

  it("two writers on one database take turns: misses fall back to the locked path, no gap, no fork", async () => {
    const a = new LedgerWriter(h.deps.db);
    const b = new LedgerWriter(h.deps.db);
    let n = 2000;
    const indexes: number[] = [];
    for (let round = 0; round < 20; round++) {
      const w = round % 3 === 0 ? b : a;
      const batch = await Promise.all(Array.from({ length: 1 + (round % 4) }, () => w.append(input(n++))));
      indexes.push(...batch.map((x) => x.index));
    }
    // Concurrent too: both writers at once.
    const both = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).append(input(n++))));
    indexes.push(...both.map((x) => x.index));
    await Promise.all([a.idle(), b.idle()]);
    expect(new Set(indexes).size).toBe(indexes.length);
    expect(a.stats.missed + b.stats.missed).toBeGreaterThan(0);
    const size = await checkTree();
    expect(size).toBe(Math.max(...indexes) + 1);
  });

  it("work that must share the entries' transaction takes the locked path", async () => {
    const writer = new LedgerWriter(h.deps.db);
    await writer.append(input(3000));
    await writer.append(input(3001));
    const locked = writer.stats.locked;
    const seen: number[] = [];
    const at = await writer.append(input(3002), async (_tx, appended) => {
      seen.push(appended.index);
    });
    expect(seen).toEqual([at.index]);
    expect(writer.stats.locked).toBe(locked + 1);
    await checkTree();
  });

  it("with oneStatement off every batch is locked", async () => {
    const writer = new LedgerWriter(h.deps.db, { oneStatement: false });
    for (let i = 0; i < 4; i++) await writer.append(input(4000 + i));
    expect(writer.stats).toEqual({ oneStatement: 0, locked: 4, missed: 0 });
    await checkTree();
  });
});
