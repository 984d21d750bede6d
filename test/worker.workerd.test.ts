/**
 * The Worker bundle under workerd, Cloudflare's Workers runtime (the npm package `workerd`, pinned
 * in the lockfile), on the PostgreSQL of DATABASE_URL through a Hyperdrive binding, calling a
 * department on 127.0.0.1 with the runtime's fetch. It answers health, signed reads and a signed
 * verification (ledgered, receipt signed), refuses a replayed token, rate-limits, builds its
 * dependencies once for the isolate, not per request (the `x-huren-isolate` header of /readyz),
 * and starts the console's OpenID Connect sign-in against a real provider (oidc-provider on
 * loopback): discovery and the PKCE redirect under the Workers runtime, and a forged callback
 * refused.
 *
 * Skips, saying why, without DATABASE_URL (Workers have no embedded database) or when the workerd
 * binary does not run here. workerd itself needs no Node ≥ 22: only wrangler does, and this test
 * does not use wrangler (it writes workerd's own configuration).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { createServer as createHttpServer } from "node:http";
import Provider from "oidc-provider";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createHarness, GATEWAY_ID, signRequest, type Actor, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";
import { ledgerSize } from "../src/ledger/store.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const WORKERD = join(ROOT, "node_modules/.bin/workerd");

function workerdMissing(): string | undefined {
  if (!process.env.DATABASE_URL) return "DATABASE_URL is not set (the Worker needs PostgreSQL)";
  const probe = spawnSync(WORKERD, ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return `workerd does not run here (${probe.error?.message ?? probe.stderr.trim().split("\n")[0]}); npm ci installs it from the lockfile`;
  return undefined;
}
const missing = workerdMissing();
if (missing) console.warn(`workerd tests skipped: ${missing}`);

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });

/** A capnp string literal. */
const text = (v: string) => JSON.stringify(v);

describe.skipIf(missing)("the Worker bundle under workerd", () => {
  let h: Harness;
  let w: World;
  let dir: string;
  let proc: ChildProcess;
  let base: string;
  let limited: Actor;
  let output = "";
  let issuer: string;
  let closeIdp: (() => void) | undefined;

  beforeAll(async () => {
    h = await createHarness();
    w = await createWorld(h);
    limited = await h.addMember("workerd-limited", "supervisor");
    dir = await mkdtemp(join(tmpdir(), "huren-workerd-"));
    execFileSync(process.execPath, ["scripts/build-worker.mjs", `--outfile=${join(dir, "worker.js")}`], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    const db = new URL(h.databaseUrl!);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const rateLimits = JSON.stringify({ members: { [limited.id]: { member: { quota: 3, windowSeconds: 3600 } } } });
    // The identity provider for the console's sign-in, on loopback (plain http is allowed there).
    const idpPort = await freePort();
    issuer = `http://127.0.0.1:${idpPort}`;
    const provider = new Provider(issuer, {
      clients: [{ client_id: "huren-console", client_secret: "a-test-secret-of-the-console-client", redirect_uris: [`${base}/console/oidc/callback`], grant_types: ["authorization_code"], response_types: ["code"] }],
      cookies: { keys: ["oidc-provider-test-cookie-key"] },
      pkce: { required: () => true },
    });
    const idp = createHttpServer(provider.callback());
    await new Promise<void>((resolve) => idp.listen(idpPort, "127.0.0.1", resolve));
    closeIdp = () => idp.close();
    await writeFile(
      join(dir, "config.capnp"),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .gateway),
    (name = "postgres", external = (address = ${text(`${db.hostname}:${db.port || 5432}`)}, tcp = ())),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [ (name = "http", address = ${text(`127.0.0.1:${port}`)}, http = (), service = "main") ],
);
const gateway :Workerd.Worker = (
  modules = [ (name = "worker.js", esModule = embed "worker.js") ],
  compatibilityDate = "2026-11-01",
  bindings = [
    (name = "HYPERDRIVE", hyperdrive = (designator = "postgres", database = ${text(db.pathname.slice(1))}, user = ${text(decodeURIComponent(db.username) || "postgres")}, password = ${text(decodeURIComponent(db.password) || "unused")}, scheme = "postgresql")),
    (name = "HUREN_SECRET", text = ${text(h.secret)}),
    (name = "HUREN_GATEWAY_ID", text = ${text(GATEWAY_ID)}),
    (name = "HUREN_LOG", text = "warn"),
    (name = "HUREN_RATE_LIMITS", text = ${text(rateLimits)}),
    (name = "HUREN_OIDC_ISSUER", text = ${text(issuer)}),
    (name = "HUREN_OIDC_CLIENT_ID", text = "huren-console"),
    (name = "HUREN_OIDC_CLIENT_SECRET", text = "a-test-secret-of-the-console-client"),
    (name = "HUREN_OIDC_REDIRECT_URL", text = ${text(`${base}/console/oidc/callback`)}),
  ],
  globalOutbound = "internet",
);
`,
    );
    proc = spawn(WORKERD, ["serve", join(dir, "config.capnp")], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout!.on("data", (d: Buffer) => (output += d.toString()));
    proc.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    for (const until = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 100))) {
      if (proc.exitCode !== null) throw new Error(`workerd exited with ${proc.exitCode}:\n${output}`);
      if ((await fetch(`${base}/healthz`).catch(() => undefined))?.ok) break;
      if (Date.now() > until) throw new Error(`workerd did not answer:\n${output}`);
    }
  }, 120_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      await exited;
    }
    closeIdp?.();
    await w?.close();
    await h?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const signed = async (actor: Actor, method: string, path: string, body?: unknown, token?: string) => {
    const raw = body === undefined ? "" : JSON.stringify(body);
    const t = token ?? (await signRequest(actor, method, path, raw));
    const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${t}`, ...(body === undefined ? {} : { "content-type": "application/json" }) }, ...(body === undefined ? {} : { body: raw }) });
    return { res, token: t };
  };

  it("answers health and readiness, and a signed read", async () => {
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${base}/readyz`);
    expect(await ready.json()).toMatchObject({ status: "ready", database: "postgres" });
    const { res } = await signed(h.admin, "GET", "/v1/members");
    expect(res.status).toBe(200);
    const ids = ((await res.json()) as { members: { id: string }[] }).members.map((m) => m.id);
    expect(ids).toContain(w.window.id);
  });

  it("verifies through a real department, ledgers the access and signs the receipt; a replayed token is refused", async () => {
    const before = await ledgerSize(h.deps.db);
    const calls = w.department.calls;
    const body = { matter: HOUSING, case: "NG-2026-WORKERD-1", subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate" }, { type: "housing.no-property-proof" }] };
    const { res, token } = await signed(w.window, "POST", "/v1/verifications", body);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { results: { type: string; status: string }[]; receipt: string; ledger: { index: number } };
    expect(answer.results.map((r) => r.status)).toEqual(["verified", "verified"]);
    expect(answer.receipt.split(".")).toHaveLength(3);
    expect(w.department.calls).toBe(calls + 1);
    expect(await ledgerSize(h.deps.db)).toBe(before + 1);
    expect(answer.ledger.index).toBe(before);
    // The same token again: the replay store (shared with Node gateways) has it.
    const replay = await signed(w.window, "POST", "/v1/verifications", body, token);
    expect(replay.res.status).toBe(401);
    expect(((await replay.res.json()) as { type: string }).type).toBe("https://huren.dev/problems/replayed");
  });

  it("serves concurrent requests, each on its own database client, from the one set of deps", async () => {
    const before = await ledgerSize(h.deps.db);
    const reads = Array.from({ length: 16 }, () => signed(h.admin, "GET", "/v1/catalog/matters"));
    const verifications = Array.from({ length: 6 }, (_, i) =>
      signed(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: `NG-2026-WORKERD-C${i}`, subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] }),
    );
    const answers = await Promise.all([...reads, ...verifications]);
    expect(answers.map(({ res }) => res.status)).toEqual(answers.map(() => 200));
    expect(await ledgerSize(h.deps.db)).toBe(before + 6);
  });

  it("rate-limits as the Node gateway does, with the RateLimit fields", async () => {
    const statuses: number[] = [];
    let last!: Response;
    for (let i = 0; i < 5; i++) {
      last = (await signed(limited, "GET", "/v1/catalog/matters")).res;
      statuses.push(last.status);
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(4); // at most one admitted ahead of its lease
    expect(last.status).toBe(429);
    expect(last.headers.get("ratelimit-policy")).toBe('"member";q=3;w=3600');
    expect(Number(last.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("starts the console's OpenID Connect sign-in from its settings: discovery, PKCE redirect; a forged callback is refused", async () => {
    const start = await fetch(`${base}/console/oidc/start`, { redirect: "manual" });
    expect(start.status, output).toBe(303);
    const to = new URL(start.headers.get("location")!);
    expect(to.origin).toBe(issuer);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      client_id: "huren-console",
      redirect_uri: `${base}/console/oidc/callback`,
      response_type: "code",
      code_challenge_method: "S256",
    });
    expect(to.searchParams.get("state")).toBeTruthy();
    const cookie = start.headers.get("set-cookie")!.split(";")[0]!;
    expect(cookie).toMatch(/^huren_oidc=/);
    // An answer that is not this sign-in's (another state): the browser's to start again, no session.
    const forged = await fetch(`${base}/console/oidc/callback?code=forged&state=not-the-state`, { redirect: "manual", headers: { cookie } });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain("登录已超时或已失效");
    expect(forged.headers.get("set-cookie") ?? "").not.toMatch(/huren_console=[^;]/);
  });

  it("built its dependencies once for the isolate, not per request", async () => {
    const ready = await fetch(`${base}/readyz`);
    const figures = /^builds=(\d+); requests=(\d+)$/.exec(ready.headers.get("x-huren-isolate") ?? "");
    expect(figures, output).not.toBeNull();
    expect(Number(figures![1])).toBe(1);
    expect(Number(figures![2])).toBeGreaterThanOrEqual(30);
  });
});
