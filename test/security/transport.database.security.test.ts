/**
 * Database trouble is a clean 503, fast (#10 §6): a gateway on its own private PostgreSQL cluster
 * (test/pg-cluster.ts; never the shared one on 5432) whose server is stopped and started under it.
 * While it is down, every route that needs it answers 503 `database-unavailable` within ~2 s and
 * says nothing about where the database is; /readyz says not ready; once it is back, service
 * resumes within ~2 s. Runs on the PostgreSQL leg (DATABASE_URL set) where the machine can make a
 * cluster (root, postgresql-common); the time bounds are generous for a shared machine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { createApp } from "../../src/app.ts";
import { assembleDeps } from "../../src/entry/assemble.ts";
import { listen, type RunningServer } from "../../src/entry/server.ts";
import { openPostgres } from "../../src/db/postgres.ts";
import { generateSecret } from "../../src/crypto/secrets.ts";
import { createUndiciHttpClient } from "../../src/http/undici-client.ts";
import { putMember } from "../../src/members/members.ts";
import type { AppDeps } from "../../src/deps.ts";
import { GATEWAY_ID, newKey, signRequest, type Actor } from "../harness.ts";
import { createPrivateCluster, privateClustersAvailable, type PrivateCluster } from "../pg-cluster.ts";
import { sleep } from "./transport-kit.ts";

const RUN = !!process.env.DATABASE_URL && privateClustersAvailable();
const STATEMENT_TIMEOUT_MS = 1000;

describe.skipIf(!RUN)("PostgreSQL stopped and started under a running gateway", () => {
  let pg: PrivateCluster;
  let deps: AppDeps & { close(): Promise<void> };
  let running: RunningServer;
  let base: string;
  let admin: Actor;
  let window: Actor;
  const logs: string[] = [];

  beforeAll(async () => {
    pg = await createPrivateCluster();
    await pg.start();
    const database = await openPostgres({ url: pg.url, max: 4, connectTimeoutMs: 2000, statementTimeoutMs: STATEMENT_TIMEOUT_MS });
    deps = await assembleDeps({
      gatewayId: GATEWAY_ID,
      database,
      secret: generateSecret(),
      http: createUndiciHttpClient(),
      logger: { info: (e) => logs.push(JSON.stringify(e)), error: (e) => logs.push(JSON.stringify(e)) },
    });
    const actor = async (id: string, kind: "admin" | "window"): Promise<Actor> => {
      const key = await newKey();
      await putMember(deps.db, id, { kind, name: id, ...(kind === "window" ? { region: "220102" } : {}), jwks: { keys: [key.publicJwk as never] }, enabled: true });
      return { id, kind, ...key, uid: kind === "window" ? `${id}-staff-1` : undefined };
    };
    admin = await actor("down-admin", "admin");
    window = await actor("down-window", "window");
    running = await listen(createApp(deps).fetch, { port: 0, host: "127.0.0.1", headersTimeoutMs: 5000, requestTimeoutMs: 10_000, keepAliveTimeoutMs: 5000, maxConnections: 100 });
    base = `http://127.0.0.1:${running.port}`;
  }, 180_000);

  afterAll(async () => {
    await running?.drain(0);
    await deps?.close().catch(() => {});
    await pg?.drop();
  }, 60_000);

  /** The routes a caller hits: readiness, admin reads, a window's verification, the ledger. */
  const requests = async () => {
    const signed = async (actor: Actor, method: string, path: string, body?: unknown) => {
      const text = body === undefined ? "" : JSON.stringify(body);
      return fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${await signRequest(actor, method, path, text)}`, ...(body ? { "content-type": "application/json" } : {}) },
        ...(body ? { body: text } : {}),
      });
    };
    return {
      readyz: () => fetch(`${base}/readyz`),
      members: () => signed(admin, "GET", "/v1/members"),
      verify: () => signed(window, "POST", "/v1/verifications", { matter: "220100-public-rental-housing", case: "DB-DOWN-1", subject: { type: "resident-id", id: "220102199001011239" } }),
      checkpoint: () => signed(admin, "GET", "/v1/ledger/checkpoint"),
    };
  };

  it("a statement stuck past DATABASE_STATEMENT_TIMEOUT_MS (here a lock held elsewhere) is 503 database-unavailable, not 500", async () => {
    const r = await requests();
    const other = postgres(pg.url, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    // Every signed request records its jti first: with that table locked, the insert waits.
    const holder = other.begin(async (tx) => {
      await tx`lock table request_nonces in access exclusive mode`;
      locked();
      await released;
    });
    try {
      await isLocked;
      const res = await r.members();
      const body = (await res.json()) as { type: string };
      expect(res.status).toBe(503);
      expect(body.type).toBe("https://huren.dev/problems/database-unavailable");
      expect(logs.some((l) => l.includes('"event":"database-unavailable"') && l.includes('"code":"57014"'))).toBe(true);
    } finally {
      release();
      await holder;
      await other.end();
    }
    expect((await r.members()).status).toBe(200);
  }, 60_000);

  it("answers 503 database-unavailable within ~2 s while it is down, discloses nothing, and recovers within ~2 s", async () => {
    const r = await requests();
    expect((await r.readyz()).status).toBe(200);
    expect((await r.members()).status).toBe(200);

    await pg.stop();
    for (const [name, call] of Object.entries(r)) {
      const started = performance.now();
      const res = await call();
      const ms = performance.now() - started;
      const text = await res.text();
      expect({ name, status: res.status }).toEqual({ name, status: 503 });
      expect(JSON.parse(text).type).toBe("https://huren.dev/problems/database-unavailable");
      expect(res.headers.get("retry-after")).toBe("1");
      expect(ms, `${name} took ${ms} ms`).toBeLessThan(2500);
      // Nothing about the database: no host, port, driver message, SQL or error code.
      expect(text).not.toMatch(new RegExp(`127\\.0\\.0\\.1|${pg.port}|ECONN|CONNECT|postgres|select|insert|57P0|stack`, "i"));
    }
    expect(logs.filter((l) => l.includes("unhandled-error"))).toEqual([]);
    const downLogs = logs.filter((l) => l.includes('"event":"database-unavailable"'));
    expect(downLogs.length).toBeGreaterThanOrEqual(3);
    for (const l of downLogs) expect(l).not.toMatch(new RegExp(`${pg.port}|select|insert`, "i"));

    await pg.start();
    const back = performance.now();
    let ready = 0;
    while ((ready = (await r.readyz()).status) !== 200 && performance.now() - back < 10_000) await sleep(100);
    const resumedMs = performance.now() - back;
    expect(ready).toBe(200);
    expect(resumedMs, `resumed after ${resumedMs} ms`).toBeLessThan(3000);
    expect((await r.members()).status).toBe(200);
  }, 120_000);
});
