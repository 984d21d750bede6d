/**
 * src/db/grouped.ts, the one-statement-for-many queue behind the replay store and the rate-limit
 * leases: callers of one tick share a statement, a failed statement rejects only its own batch,
 * and a caller who pushes again right after being answered starts a new statement.
 */
import { describe, expect, it } from "vitest";
import { grouped } from "../src/db/grouped.ts";

interface P {
  n: number;
  resolve(v: number): void;
  reject(e: unknown): void;
}

describe("grouped statements", () => {
  it("serves the callers of one tick with one statement, at most `take`'s batch at a time", async () => {
    const batches: number[][] = [];
    const g = grouped<P>({
      take: (q) => ({ batch: q.slice(0, 3), rest: q.slice(3) }),
      async run(batch) {
        batches.push(batch.map((p) => p.n));
        for (const p of batch) p.resolve(p.n * 10);
      },
    });
    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => new Promise<number>((resolve, reject) => g.push({ n, resolve, reject }))));
    expect(answers).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
    expect(g.statements).toBe(2);
    expect(g.queued).toBe(0);
  });

  it("a failed statement rejects its own batch only; the next batch still runs, and drained is called", async () => {
    let drained = 0;
    const g = grouped<P>({
      take: (q) => ({ batch: q.slice(0, 1), rest: q.slice(1) }),
      async run([p]) {
        if (p!.n === 1) throw new Error("statement failed");
        p!.resolve(p!.n);
      },
      drained: () => drained++,
    });
    const results = await Promise.allSettled([1, 2].map((n) => new Promise<number>((resolve, reject) => g.push({ n, resolve, reject }))));
    expect(results[0]).toMatchObject({ status: "rejected", reason: new Error("statement failed") });
    expect(results[1]).toEqual({ status: "fulfilled", value: 2 });
    expect(drained).toBe(1);
  });

  it("a caller who pushes again as soon as it is answered gets a new statement, not a stranded promise", async () => {
    const g = grouped<P>({
      take: (q) => ({ batch: q, rest: [] }),
      async run(batch) {
        for (const p of batch) p.resolve(p.n);
      },
    });
    const ask = (n: number) => new Promise<number>((resolve, reject) => g.push({ n, resolve, reject }));
    expect(await ask(1).then(() => ask(2))).toBe(2);
    expect(g.statements).toBe(2);
  });
});
