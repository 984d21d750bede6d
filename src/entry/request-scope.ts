/**
 * Request scopes for the Worker (#14 Operations 5): the gateway's dependencies are built once per
 * isolate, but Workers forbid one thing across requests — an I/O object (a TCP socket, so a
 * postgres.js client over Hyperdrive) used by a request other than the one that opened it. So:
 *
 * - `db` is one drizzle handle for the whole isolate that forwards every call to the current
 *   request's client (AsyncLocalStorage), so the configuration cache, the key loaders, the ledger
 *   and the rest can hold "the database" as they do on Node;
 * - `perRequest(make)` gives components that batch database work across callers (the replay
 *   store's group insert, the ledger's group commit, rate-limit leases, adapter sources that hold
 *   their own connections) one instance per request instead of one per process;
 * - `background(promise)` keeps the request that started some work alive (`ctx.waitUntil`) until
 *   it settles, and `finish()` waits for all of it, and disposes of the per-request instances
 *   (adapter sources close their connections), before the request's client is closed.
 *
 * On Node nothing of this is used: the process has one pool and one of everything.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Db } from "../db/types.ts";
import type { Scoping } from "../deps.ts";

export interface RequestScope {
  /** This request's own database handle (its postgres.js client). */
  db: Db;
  /** The Worker's `ctx.waitUntil`. */
  waitUntil(promise: Promise<unknown>): void;
}

interface Held extends RequestScope {
  readonly local: Map<object, unknown>;
  readonly pending: Set<Promise<unknown>>;
  readonly disposers: (() => Promise<void> | void)[];
}

export interface RequestScopes extends Scoping {
  /** Forwards to the current request's `db`; throws outside a request. */
  readonly db: Db;
  run<T>(scope: RequestScope, fn: () => Promise<T>): Promise<T>;
  /**
   * Ends the current request's scope: waits for its background work (more may start meanwhile),
   * then disposes of its per-request instances. Its database client can be closed after this.
   */
  finish(): Promise<void>;
}

/**
 * @example
 * const scopes = createRequestScopes();
 * const deps = await assembleDeps({ database: { db: scopes.db, driver: "postgres", close: async () => {} }, scoping: scopes, … });
 * return scopes.run({ db: connectPostgres({ url }).db, waitUntil: (p) => ctx.waitUntil(p) }, () => app.fetch(request));
 */
export function createRequestScopes(): RequestScopes {
  const als = new AsyncLocalStorage<Held>();
  const current = (): Held => {
    const scope = als.getStore();
    if (!scope) throw new Error("no request scope: on Workers the database belongs to a request");
    return scope;
  };
  const db = new Proxy({} as Db, {
    get(_target, prop) {
      const real = current().db as unknown as Record<PropertyKey, unknown>;
      const value = real[prop];
      return typeof value === "function" && prop !== "constructor" ? (value as (...a: unknown[]) => unknown).bind(real) : value;
    },
  });
  return {
    db,
    run: (scope, fn) => als.run({ ...scope, local: new Map(), pending: new Set(), disposers: [] }, fn),
    perRequest<T>(make: () => T, dispose?: (value: T) => Promise<void> | void): () => T {
      const key = {};
      let outside: T | undefined;
      return () => {
        const scope = als.getStore();
        // Outside a request (registration at start): one instance, never used for I/O there.
        if (!scope) return (outside ??= make());
        let value = scope.local.get(key) as T | undefined;
        if (value === undefined) {
          const made = make();
          scope.local.set(key, (value = made));
          if (dispose) scope.disposers.push(() => dispose(made));
        }
        return value;
      };
    },
    background(promise) {
      const scope = als.getStore();
      if (!scope) return;
      const tracked = promise.then(
        () => {},
        () => {},
      );
      scope.pending.add(tracked);
      void tracked.finally(() => scope.pending.delete(tracked));
      scope.waitUntil(tracked);
    },
    async finish() {
      const scope = current();
      while (scope.pending.size > 0) await Promise.all([...scope.pending]);
      for (const dispose of scope.disposers.splice(0)) await Promise.resolve(dispose()).catch(() => {});
    },
  };
}
