/**
 * The Worker's request scopes (src/entry/request-scope.ts), on Node's AsyncLocalStorage: the one
 * `db` of the isolate's deps reaches the current request's own client, concurrent requests never
 * see each other's, per-request instances are per request, and a request is finished only once
 * its background work is done and its instances disposed.
 */
import { describe, expect, it } from "vitest";
import { createRequestScopes } from "../src/entry/request-scope.ts";
import type { Db } from "../src/db/types.ts";

/** A stand-in client: `execute` says whose it is, after a delay so that requests interleave. */
const fakeDb = (name: string) => ({ execute: async (ms: number) => (await new Promise((r) => setTimeout(r, ms)), name) }) as unknown as Db;
const run = (db: Db, ms: number) => (db as unknown as { execute(ms: number): Promise<string> }).execute(ms);

describe("request scopes", () => {
  it("forwards the isolate's db to the current request's client, also across awaits of interleaved requests", async () => {
    const scopes = createRequestScopes();
    const request = (name: string, delays: number[]) =>
      scopes.run({ db: fakeDb(name), waitUntil: () => {} }, async () => {
        const seen: string[] = [];
        for (const ms of delays) seen.push(await run(scopes.db, ms));
        return seen;
      });
    const [a, b] = await Promise.all([request("a", [5, 1, 5]), request("b", [1, 5, 1])]);
    expect(a).toEqual(["a", "a", "a"]);
    expect(b).toEqual(["b", "b", "b"]);
    expect(() => run(scopes.db, 0)).toThrow(/no request scope/);
  });

  it("makes one instance per request, disposed when the request finishes after its background work", async () => {
    const scopes = createRequestScopes();
    const disposed: number[] = [];
    let made = 0;
    const writer = scopes.perRequest(() => ++made, (n) => void disposed.push(n));
    const waited: Promise<unknown>[] = [];
    const order: string[] = [];
    const ids = await Promise.all(
      ["a", "b"].map((name) =>
        scopes.run({ db: fakeDb(name), waitUntil: (p) => void waited.push(p) }, async () => {
          const first = writer();
          expect(writer()).toBe(first);
          scopes.background(new Promise((r) => setTimeout(r, 10)).then(() => order.push(`background ${name}`)));
          await scopes.finish();
          order.push(`finished ${name}`);
          return first;
        }),
      ),
    );
    expect(new Set(ids).size).toBe(2);
    expect(disposed.sort()).toEqual([1, 2]);
    expect(order.indexOf("background a")).toBeLessThan(order.indexOf("finished a"));
    expect(order.indexOf("background b")).toBeLessThan(order.indexOf("finished b"));
    expect(waited).toHaveLength(2); // handed to ctx.waitUntil
    // Outside a request (registration at start), one shared instance.
    expect(writer()).toBe(writer());
  });
});
