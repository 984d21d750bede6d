/**
 * HUREN_WORKERS: the Node entry as an operator runs it on a multi-core machine — one primary that
 * migrates and applies the bootstrap file once, N gateway processes on one port. PostgreSQL only
 * (the embedded database belongs to one process).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { generateSecret } from "../src/crypto/secrets.ts";
import { GATEWAY_ID, newKey, signRequest, type Actor } from "./harness.ts";
import { parsePrometheusText, prometheusParserMissing, sampleSum } from "./support/prometheus-parse.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const SERVER = process.env.DATABASE_URL;

/** Pids of the live gateway processes whose parent is `ppid` (from /proc; tsx's esbuild is a child too). */
async function childrenOf(ppid: number): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid …; comm may contain spaces, so read after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) !== ppid || fields[0] === "Z") continue;
      if ((await readFile(`/proc/${name}/cmdline`, "utf8")).includes("src/entry/node.ts")) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out.sort((a, b) => a - b);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!SERVER)("HUREN_WORKERS=2 on PostgreSQL", () => {
  let dir: string;
  let dbName: string;
  let admin: Actor;
  let limited: Actor;
  let proc: ChildProcess;
  let base: string;
  let metricsUrl: string;
  const server = () => postgres(SERVER!, { max: 1, onnotice: () => {} });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "huren-cluster-"));
    dbName = `huren_cluster_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
    const sql = server();
    await sql.unsafe(`create database "${dbName}"`);
    await sql.end();
    const url = new URL(SERVER!);
    url.pathname = `/${dbName}`;
    admin = { id: "cluster-admin", kind: "admin", uid: undefined, ...(await newKey()) };
    limited = { id: "cluster-limited", kind: "admin", uid: undefined, ...(await newKey()) };
    const bootstrap = {
      members: [
        { id: admin.id, kind: "admin", name: "Cluster admin", jwks: { keys: [admin.publicJwk] }, enabled: true },
        { id: limited.id, kind: "admin", name: "Cluster admin with a small quota", jwks: { keys: [limited.publicJwk] }, enabled: true },
      ],
      // Read by the primary and handed to the workers as HUREN_RATE_LIMITS. A day-long window:
      // the burst below cannot straddle its end (it lasts well under a second).
      rateLimits: { members: { [limited.id]: { member: { quota: 20, windowSeconds: 86_400 } } } },
    };
    await writeFile(join(dir, "bootstrap.json"), JSON.stringify(bootstrap));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: "0",
      DATABASE_URL: url.toString(),
      DATABASE_POOL_MAX: "3",
      HUREN_SECRET: generateSecret(),
      HUREN_GATEWAY_ID: GATEWAY_ID,
      HUREN_BOOTSTRAP: join(dir, "bootstrap.json"),
      HUREN_DATA_DIR: dir,
      HUREN_LOG: "silent",
      HUREN_WORKERS: "2",
      HUREN_METRICS_PORT: "0",
    };
    proc = spawn(process.execPath, ["--import", "tsx", "src/entry/node.ts"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    base = await until("the listening line", async () => {
      if (proc.exitCode !== null) throw new Error(`gateway exited with ${proc.exitCode}:\n${err}`);
      return /listening on (http:\/\/[^ ]+) \(postgres, 2 processes/.exec(err)?.[1];
    }, 60_000);
    metricsUrl = await until("the metrics line", async () => /Metrics \(Prometheus\): (http:\/\/\S+)/.exec(err)?.[1]);
  }, 90_000);

  afterAll(async () => {
    if (proc && proc.exitCode === null) proc.kill("SIGKILL");
    const sql = server();
    await sql.unsafe(`drop database if exists "${dbName}" with (force)`);
    await sql.end();
    await rm(dir, { recursive: true, force: true });
  });

  const getMembers = async (token?: string, as: Actor = admin) => {
    const t = token ?? (await signRequest(as, "GET", "/v1/members", ""));
    return { token: t, res: await fetch(`${base}/v1/members`, { headers: { authorization: `Bearer ${t}` } }) };
  };

  it("runs two gateway processes that serve signed requests, share the replay store, and replace a worker that dies", async () => {
    const workers = await until("two workers", async () => {
      const pids = await childrenOf(proc.pid!);
      return pids.length === 2 ? pids : undefined;
    });

    // The bootstrap file was applied (by the primary): the admin it names is a member.
    const answers = await Promise.all(Array.from({ length: 12 }, () => getMembers()));
    for (const { res } of answers) expect(res.status).toBe(200);
    const listed = (await answers[0]!.res.json()) as { members: { id: string }[] };
    expect(listed.members.map((m) => m.id)).toContain(admin.id);

    // A token used once is refused whichever process gets it.
    const { token } = answers[1]!;
    const replays = await Promise.all(Array.from({ length: 4 }, () => getMembers(token)));
    for (const { res } of replays) expect(res.status).toBe(401);

    // One rate limit across both processes: a member with a quota of 20 (leased a unit at a time).
    const burst = await Promise.all(Array.from({ length: 40 }, () => getMembers(undefined, limited)));
    const statuses = burst.map(({ res }) => res.status);
    const passed = statuses.filter((st) => st === 200).length;
    expect(statuses.every((st) => st === 200 || st === 429)).toBe(true);
    expect(passed).toBeGreaterThanOrEqual(20 - 2);
    expect(passed).toBeLessThanOrEqual(20 + 2);
    const refused = burst.find(({ res }) => res.status === 429)!.res;
    expect(refused.headers.get("ratelimit-policy")).toBe('"member";q=20;w=86400');
    expect(((await refused.json()) as { type: string }).type).toBe("https://huren.dev/problems/rate-limited");

    // One scrape of the primary's listener counts every process's requests (AggregatorRegistry).
    if (!prometheusParserMissing()) {
      const families = parsePrometheusText(await (await fetch(metricsUrl)).text());
      const count = (status: string) => sampleSum(families, "http_server_request_duration_seconds", "http_server_request_duration_seconds_count", { http_route: "/v1/members", http_response_status_code: status });
      expect(count("200")).toBe(12 + passed);
      expect(count("429")).toBe(40 - passed);
      expect(count("401")).toBe(4);
      expect(sampleSum(families, "huren_replay_store_jtis", "huren_replay_store_jtis_total", { result: "replayed" })).toBe(4);
      expect(sampleSum(families, "huren_rate_limited", "huren_rate_limited_total", { member_kind: "admin", scope: "member" })).toBe(40 - passed);
    }

    // A worker killed outright is replaced; the gateway keeps answering.
    process.kill(workers[0]!, "SIGKILL");
    const replaced = await until("a replacement worker", async () => {
      const pids = await childrenOf(proc.pid!);
      return pids.length === 2 && !pids.includes(workers[0]!) ? pids : undefined;
    });
    expect(replaced).toContain(workers[1]);
    const after = await until("an answer after the replacement", async () => {
      const { res } = await getMembers().catch(() => ({ res: undefined }));
      return res?.status === 200 ? res.status : undefined;
    });
    expect(after).toBe(200);

    // SIGTERM: the primary stops its workers and exits cleanly.
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(await childrenOf(proc.pid!)).toEqual([]);
  }, 90_000);
});
