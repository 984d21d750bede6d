/**
 * The consumer in real processes on one PostgreSQL: a consumer killed (SIGKILL) in the middle of
 * a batch, then restarted, leaves the same store as a run that was never interrupted; a second
 * process consuming beside this one changes no total. PostgreSQL only: PGlite is one process's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { catchUp, consumerDepsOf } from "../../src/supervision/consumer.ts";
import { createHarness, type Harness } from "../harness.ts";
import { craft, resetStore, snapshot, traffic } from "./support.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function child(h: Harness, env: Record<string, string>): { proc: ChildProcess; lines: string[]; waitFor(re: RegExp): Promise<void>; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ["--import", "tsx", "test/supervision/consumer-child.ts"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: h.databaseUrl!, HUREN_SECRET: h.secret, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  const waiters: { re: RegExp; done(): void }[] = [];
  proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    for (const line of chunk.split("\n").filter(Boolean)) {
      lines.push(line);
      for (const w of waiters.filter((x) => x.re.test(line))) w.done();
    }
  });
  return {
    proc,
    lines,
    waitFor: (re) => new Promise<void>((done) => (lines.some((l) => re.test(l)) ? done() : waiters.push({ re, done }))),
    exited: new Promise((done) => proc.on("exit", (code) => done(code))),
  };
}

describe.skipIf(!process.env.DATABASE_URL)("supervision consumer across processes (PostgreSQL)", () => {
  let h: Harness;
  let reference: unknown;
  const deps = () => consumerDepsOf(h.deps);

  beforeAll(async () => {
    h = await createHarness();
    await craft(h, traffic(300));
    await catchUp(deps(), { maxEntries: 10_000 });
    reference = await snapshot(h.deps.db);
    await resetStore(h.deps.db);
  }, 60_000);
  afterAll(async () => h?.close());

  it("a consumer killed mid-batch, then restarted, leaves the same store as an uninterrupted run", async () => {
    const c = child(h, { SLOW_MS: "400", BATCH: "50" });
    await c.waitFor(/^batch 100$/);
    // The third batch is now inside its transaction, lingering before the watermark moves.
    await new Promise((d) => setTimeout(d, 150));
    c.proc.kill("SIGKILL");
    await c.exited;
    const before = (await snapshot(h.deps.db)) as { next: number };
    expect(before.next).toBe(100);
    // The killed process's transaction ends when its server notices the closed connection; until
    // then it holds the lock and this process stands by, as a gateway's background loop would.
    for (let i = 0; i < 100 && ((await snapshot(h.deps.db)) as { next: number }).next < 300; i++) {
      if ((await catchUp(deps(), { maxEntries: 50 })) === 0) await new Promise((d) => setTimeout(d, 100));
    }
    expect(await snapshot(h.deps.db)).toEqual(reference);
  }, 60_000);

  it("two processes consuming at once give the same totals as one", async () => {
    await resetStore(h.deps.db);
    const c = child(h, { BATCH: "13", EXIT_WHEN_DONE: "1" });
    await c.waitFor(/^batch/);
    let mine = 0;
    for (let i = 0; i < 200 && ((await snapshot(h.deps.db)) as { next: number }).next < 300; i++) mine += await catchUp(deps(), { maxEntries: 7 });
    await c.exited;
    await catchUp(deps());
    expect(await snapshot(h.deps.db)).toEqual(reference);
    expect(c.lines.some((l) => /^batch \d+$/.test(l))).toBe(true);
    expect(mine + c.lines.length).toBeGreaterThan(0);
  }, 60_000);
});
