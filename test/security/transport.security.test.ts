/**
 * Transport attacks (#10 §5, §7) against the real Node server: idle sockets, headers and bodies
 * trickled byte by byte, idle keep-alive connections, a connection flood, and shutdown under load.
 * These are the few tests that assert time bounds, because they test real sockets and real timers;
 * the bounds are generous multiples of the configured timeouts (the CI machine is shared), and
 * each failure they catch would otherwise be "never".
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { parseConfig } from "../../src/config.ts";
import { listen, type RunningServer, type ServerSettings } from "../../src/entry/server.ts";
import { openPglite } from "../../src/db/pglite.ts";
import { loadKeyFile, signedFetch } from "../../src/cli/client.ts";
import { DEMO_PEOPLE } from "../../src/demo/data.ts";
import { createHarness, type Harness } from "../harness.ts";
import { rawConnect, sleep, startBundle, trickle, within } from "./transport-kit.ts";

const SMALL: Omit<ServerSettings, "port" | "host"> = { headersTimeoutMs: 1000, requestTimeoutMs: 2000, keepAliveTimeoutMs: 500, maxConnections: 4 };

let h: Harness;
const servers: RunningServer[] = [];
const serve = async (settings: Partial<ServerSettings> = {}) => {
  const s = await listen(h.app.fetch, { port: 0, host: "127.0.0.1", ...SMALL, ...settings });
  servers.push(s);
  return s;
};

beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  for (const s of servers) await s.drain(0);
  await h?.close();
});

describe("slow and idle clients", () => {
  it("defaults suit a public port, and the server is built with them", async () => {
    const c = parseConfig({});
    expect(c.server).toEqual({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 2048 });
    expect(() => parseConfig({ HUREN_HEADERS_TIMEOUT_MS: "40000" })).toThrow(/HUREN_HEADERS_TIMEOUT_MS/);
    const s = await serve(c.server);
    expect([s.server.headersTimeout, s.server.requestTimeout, s.server.keepAliveTimeout, s.server.maxConnections]).toEqual([10_000, 30_000, 5_000, 2048]);
  });

  it("a socket that sends nothing is closed within seconds", async () => {
    const { port } = await serve();
    const conn = await rawConnect(port);
    await within(6000, conn.closed, "idle socket closed");
    expect(conn.received()).toMatch(/^$|^HTTP\/1\.1 408/);
  });

  it("a request head trickled byte by byte is cut at the header timeout", async () => {
    const { port } = await serve();
    const conn = await rawConnect(port);
    conn.socket.write("POST /v1/verifications HTTP/1.1\r\nHost: x\r\n");
    const sent = await within(6000, trickle(conn, 10_000, 100), "trickled head cut");
    expect(sent).toBeLessThan(60); // ~10 bytes a second for the 1 s header timeout, plus slack
    expect(conn.received()).not.toMatch(/^HTTP\/1\.1 5/);
  });

  it("a body trickled at 1 byte/s is cut at the request timeout, and logs no server error", async () => {
    const { port } = await serve();
    const conn = await rawConnect(port);
    conn.socket.write("POST /v1/verifications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n");
    const sent = await within(8000, trickle(conn, 1000, 1000), "trickled body cut");
    expect(sent).toBeLessThanOrEqual(6);
    expect(conn.received()).not.toMatch(/^HTTP\/1\.1 5/);
    await sleep(100);
    expect(h.logs.filter((l) => l.includes("unhandled-error"))).toEqual([]);
  });

  it("an idle keep-alive connection is closed after the keep-alive timeout", async () => {
    const { port } = await serve();
    const conn = await rawConnect(port);
    conn.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    while (!conn.received().includes("\r\n\r\n")) await sleep(10);
    expect(conn.received()).toMatch(/^HTTP\/1\.1 200/);
    await within(5000, conn.closed, "idle keep-alive closed");
  });

  it("connections past the cap are closed at once; a freed slot serves again", async () => {
    const { port } = await serve({ headersTimeoutMs: 20_000, requestTimeoutMs: 20_000, keepAliveTimeoutMs: 20_000 });
    const held = await Promise.all([1, 2, 3, 4].map(() => rawConnect(port)));
    await sleep(100);
    const extra = await rawConnect(port);
    extra.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    await within(3000, extra.closed, "connection over the cap closed");
    expect(extra.received()).toBe("");
    held[0]!.socket.destroy();
    await held[0]!.closed;
    await sleep(100);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    for (const c of held) c.socket.destroy();
  });
});

describe("shutdown drains", () => {
  let dataDir: string;
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("SIGTERM under load: stops accepting, closes idle keep-alive sockets, ledgers every answer, exits in seconds, no 5xx", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "huren-drain-"));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HUREN_DATA_DIR: dataDir, HUREN_LOG: "info", HUREN_SHUTDOWN_GRACE_MS: "30000" };
    delete env.DATABASE_URL;
    delete env.HUREN_BOOTSTRAP;
    const gw = await startBundle(env);
    const port = Number(new URL(gw.url).port);
    const key = await loadKeyFile(join(dataDir, "demo", "nanguan-window-01.cli.json"));
    const body = (i: number) => ({ matter: "220100-public-rental-housing", case: `DRAIN-${i}`, subject: { type: "resident-id", id: DEMO_PEOPLE.zhangSan.id, name: DEMO_PEOPLE.zhangSan.name } });

    // An idle keep-alive client, and callers that keep verifying until the gateway is gone.
    const idle = await rawConnect(port);
    idle.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    const statuses: number[] = [];
    const answered: string[] = [];
    let refused = 0;
    let stop = false;
    let n = 0;
    const caller = async () => {
      while (!stop) {
        try {
          const res = await signedFetch(key, "POST", "/v1/verifications", body(n++), gw.url);
          statuses.push(res.status);
          const id = (res.body as { verificationId?: string }).verificationId;
          if (id) answered.push(id);
        } catch {
          refused++; // connection refused or closed before any answer: not an answer, not a 5xx
          await sleep(20);
        }
      }
    };
    const callers = Array.from({ length: 6 }, caller);
    while (statuses.length < 12) await sleep(20);

    const signalled = performance.now();
    gw.child.kill("SIGTERM");
    await within(5000, idle.closed, "idle keep-alive socket closed on SIGTERM");
    const code = await within(15_000, gw.exited, "gateway exited after SIGTERM");
    const exitMs = performance.now() - signalled;
    stop = true;
    await Promise.all(callers);

    const counts = statuses.reduce<Record<number, number>>((m, s) => ((m[s] = (m[s] ?? 0) + 1), m), {});
    console.info(`drain: statuses ${JSON.stringify(counts)}, ${refused} refused, exit ${Math.round(exitMs)} ms after SIGTERM`);
    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(10_000); // "a few seconds" with slack for the shared machine
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.length).toBeGreaterThan(0);
    const stopped = gw.stdout().split("\n").filter((l) => l.includes('"event":"stopped"')).map((l) => JSON.parse(l));
    expect(stopped).toEqual([expect.objectContaining({ forced: false })]);

    // Every answer that went out is in the ledger the process left behind, and no other of this
    // test's verifications is (the demo's own first-start traffic has other case numbers).
    const database = await openPglite({ dataDir: join(dataDir, "db") });
    try {
      const rows = (await database.db.execute(sql`select verification_id from ledger_entries where case_ref like 'DRAIN-%'`)) as unknown as { rows: { verification_id: string }[] };
      expect(new Set(rows.rows.map((r) => r.verification_id))).toEqual(new Set(answered));
    } finally {
      await database.close();
    }
  }, 300_000);
});
