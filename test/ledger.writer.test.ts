/**
 * The group-commit writer: a caller that appends again the moment its previous append resolved
 * (a sequential client, or any continuation in the same microtask checkpoint) must get its own
 * drain. It used to wait forever: the "draining" flag was cleared one tick after the queue was
 * seen empty, so the new entry joined a drain that had already finished.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { LedgerWriter } from "../src/ledger/writer.ts";
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
