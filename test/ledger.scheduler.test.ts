/**
 * Checkpoints on a schedule (PROTOCOL §5, issue #10 point 8): the scheduler signs while entries
 * arrive and only then; GET /v1/ledger/checkpoint serves the stored checkpoint and never signs
 * or writes; with two gateway processes one holds the lease and signs. The timer is injected:
 * the test runs the scheduled callbacks itself, no waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { count } from "drizzle-orm";
import { ledgerCheckpoints } from "../src/db/schema.ts";
import { appendEntries } from "../src/ledger/append.ts";
import { CheckpointScheduler, takeLease, type Timer } from "../src/ledger/scheduler.ts";
import { checkCheckpoint } from "../src/ledger/verify-export.ts";
import { createHarness, type Harness } from "./harness.ts";
import { sampleInput } from "./ledger-export-fixture.ts";

let h: Harness;
let key: string;

const input = (i: number) => sampleInput(i, "sched");
let appended = 0;
async function append(n: number) {
  const from = appended;
  appended += n;
  await h.deps.db.transaction((tx) => appendEntries(tx, Array.from({ length: n }, (_, k) => input(from + k))));
}
const checkpointRows = async () => (await h.deps.db.select({ n: count() }).from(ledgerCheckpoints))[0]!.n;
async function served() {
  const res = await h.app.request("/v1/ledger/checkpoint");
  expect(res.status).toBe(200);
  const opened = await checkCheckpoint(await res.text(), key);
  if (!opened.ok) throw new Error(opened.detail);
  return opened.checkpoint.size;
}

/** Records what the scheduler asks for; the test fires the callbacks. */
function manualTimer() {
  const pending: { run: () => void; ms: number }[] = [];
  const timer: Timer = {
    set: (run, ms) => {
      const t = { run, ms };
      pending.push(t);
      return t;
    },
    clear: (t) => {
      const i = pending.indexOf(t as (typeof pending)[number]);
      if (i >= 0) pending.splice(i, 1);
    },
  };
  return { timer, pending };
}

beforeAll(async () => {
  h = await createHarness();
  key = (await (await h.app.request("/v1/ledger/key")).text()).trim();
});
afterAll(async () => {
  await h?.close();
});

describe("GET /v1/ledger/checkpoint only reads", () => {
  it("answers 503 (a problem, not a 500) before the first checkpoint, without signing one", async () => {
    const res = await h.app.request("/v1/ledger/checkpoint");
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toMatch(/problem\+json/);
    expect(await checkpointRows()).toBe(0);
  });

  it("serves the stored checkpoint; 50 GETs while the ledger grows add no row and no newer size", async () => {
    await h.deps.ledger.checkpoints.tick(); // the empty tree: size 0
    expect(await served()).toBe(0);
    await append(7);
    const rows = await checkpointRows();
    const sizes = await Promise.all(Array.from({ length: 50 }, () => served()));
    expect(new Set(sizes)).toEqual(new Set([0]));
    expect(await checkpointRows()).toBe(rows);
    await h.deps.ledger.checkpoints.tick();
    expect(await served()).toBe(7);
  });
});

describe("the scheduler", () => {
  it("signs only when entries arrived since the newest checkpoint", async () => {
    const before = await checkpointRows();
    expect((await h.deps.ledger.checkpoints.tick()).published).toBeUndefined();
    expect(await checkpointRows()).toBe(before);
    await append(3);
    const tick = await h.deps.ledger.checkpoints.tick();
    expect(tick.published?.size).toBe(appended);
    expect(await checkpointRows()).toBe(before + 1);
  });

  it("runs on its timer: a tick at start, then every intervalMs after the previous one ends", async () => {
    const { timer, pending } = manualTimer();
    const s = new CheckpointScheduler({ db: h.deps.db, signer: h.deps.ledger.signer, holder: h.deps.ledger.checkpoints.holder, intervalMs: 750, timer });
    s.start();
    expect(pending.map((p) => p.ms)).toEqual([0]);
    await append(2);
    pending.shift()!.run();
    await s.tick(); // joins the round the timer started
    expect(await served()).toBe(appended);
    await new Promise((r) => setImmediate(r)); // let the round's .finally schedule the next
    expect(pending.map((p) => p.ms)).toEqual([750]);
    await s.stop();
    expect(pending).toEqual([]);
  });

  it("two processes: only the lease holder signs; the other takes over once the lease expires", async () => {
    const a = h.deps.ledger.checkpoints;
    const b = new CheckpointScheduler({ db: h.deps.db, signer: h.deps.ledger.signer, holder: "other-process" });
    expect((await a.tick()).leader).toBe(true);
    await append(4);
    const rows = await checkpointRows();
    expect(await b.tick()).toEqual({ leader: false });
    expect(await checkpointRows()).toBe(rows);
    // The holder stops renewing (here: its lease is set to have run out).
    await takeLease(h.deps.db, a.holder, -1000);
    const took = await b.tick();
    expect(took.leader).toBe(true);
    expect(took.published?.size).toBe(appended);
    expect((await a.tick()).leader).toBe(false);
  });
});
