/**
 * The config cache across gateway processes sharing one PostgreSQL: a change made anywhere
 * reaches every process through NOTIFY, and a notification lost while a listener was down is
 * made up for when it reconnects. PostgreSQL only: PGlite belongs to one process.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import postgres from "postgres";
import { createApp, type HurenApp } from "../src/app.ts";
import { assembleDeps } from "../src/entry/assemble.ts";
import { connectPostgres } from "../src/db/postgres.ts";
import { createUndiciHttpClient } from "../src/http/undici-client.ts";
import { createHarness, GATEWAY_ID, signRequest, type Actor, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);

/** The no-property policy, allowing `matter` only. */
const noProperty = (matter: string) => ({ evidenceType: "housing.no-property-proof", rules: [{ matters: [matter], basis: "statutory", citation: "test", fields: ["propertyCount", "asOf"] }] });

describe.skipIf(!process.env.DATABASE_URL)("config cache across processes (PostgreSQL)", () => {
  let h: Harness;
  let w: World;
  let b: { app: HurenApp; close(): Promise<void> };
  let superuser: postgres.Sql;

  beforeAll(async () => {
    h = await createHarness();
    w = await createWorld(h);
    // Gateway B: its own pool, listener and caches on the same database.
    const deps = await assembleDeps({ gatewayId: GATEWAY_ID, database: connectPostgres({ url: h.databaseUrl!, max: 3 }), secret: h.secret, http: createUndiciHttpClient(), logger: { info() {}, error() {} } });
    b = { app: createApp(deps), close: () => deps.close() };
    superuser = postgres(h.databaseUrl!, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    await superuser?.end({ timeout: 5 });
    await b?.close();
    await w?.close();
    await h?.close();
  });

  const call = async (app: HurenApp, actor: Actor, method: string, path: string, body: unknown) => {
    const text = JSON.stringify(body);
    const token = await signRequest(actor, method, path, text);
    const res = await app.request(path, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: text });
    return { status: res.status, body: (await res.json()) as any };
  };
  /** The decision on no-property for the housing matter, as gateway `app` makes it now. */
  const decision = async (app: HurenApp) => {
    const { body } = await call(app, w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "XP-1", subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] });
    return (body.results[0].reason ?? body.results[0].status) as string;
  };
  /** Polls (bounded) until `app` decides `expected`; notifications are asynchronous. */
  const eventually = async (app: HurenApp, expected: string, ms = 5_000) => {
    for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) if ((await decision(app)) === expected) return expected;
    return decision(app);
  };

  it("a policy changed through gateway A's admin API governs gateway B's verifications", async () => {
    expect(await decision(b.app)).toBe("verified");
    const put = await call(h.app, h.admin, "PUT", "/v1/policies/no-property", noProperty("220100-business-permit"));
    expect(put.status).toBe(200);
    expect(await decision(h.app)).toBe("matter-not-allowed"); // A: at once
    expect(await eventually(b.app, "matter-not-allowed")).toBe("matter-not-allowed");
  });

  it("a policy changed by another process (through the store, not this one's) reaches both gateways", async () => {
    expect(await decision(h.app)).toBe("matter-not-allowed");
    expect(await decision(b.app)).toBe("matter-not-allowed");
    const script = `
      const { connectPostgres } = await import(process.env.ROOT + "src/db/postgres.ts");
      const { putPolicy } = await import(process.env.ROOT + "src/policy-store/store.ts");
      const database = connectPostgres({ url: process.env.URL, max: 1 });
      try { await putPolicy(database.db, "no-property", JSON.parse(process.env.DOC)); } finally { await database.close(); }`;
    await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, env: { ...process.env, ROOT, URL: h.databaseUrl!, DOC: JSON.stringify(noProperty(HOUSING)) } });
    expect(await eventually(h.app, "verified")).toBe("verified");
    expect(await eventually(b.app, "verified")).toBe("verified");
  });

  it("a notification lost while the listener was down: the reconnect invalidates everything", async () => {
    // Warm both caches, then change the policy with its notification suppressed, as if it had
    // been sent while the listeners were disconnected.
    expect(await decision(h.app)).toBe("verified");
    expect(await decision(b.app)).toBe("verified");
    await superuser.begin(async (tx) => {
      await tx`alter table policies disable trigger policies_config_notify`;
      await tx`update policies set document = ${superuser.json(noProperty("220100-business-permit"))} where id = 'no-property'`;
      await tx`alter table policies enable trigger policies_config_notify`;
    });
    // Nothing told them: both still decide from the cached policy (the TTL is 30 s).
    expect(await decision(h.app)).toBe("verified");
    expect(await decision(b.app)).toBe("verified");

    const listeners = await superuser`select pid from pg_stat_activity where datname = current_database() and query = 'listen "huren_config"'`;
    expect(listeners.length).toBe(2);
    await superuser`select pg_terminate_backend(pid) from pg_stat_activity where pid in ${superuser(listeners.map((l) => l.pid as number))}`;

    expect(await eventually(h.app, "matter-not-allowed")).toBe("matter-not-allowed");
    expect(await eventually(b.app, "matter-not-allowed")).toBe("matter-not-allowed");
    // Listening again: a change after the reconnect arrives as usual.
    const relistened = await superuser`select count(*)::int as n from pg_stat_activity where datname = current_database() and query = 'listen "huren_config"'`;
    expect(relistened[0]!.n).toBe(2);
    await superuser`update policies set document = ${superuser.json(noProperty(HOUSING))} where id = 'no-property'`;
    expect(await eventually(b.app, "verified")).toBe("verified");
  });
});
