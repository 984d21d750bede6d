/**
 * Adapters cannot reach what they should not (PROTOCOL §4, issue #10 point 2): hosts outside a
 * department's grant, link-local and metadata addresses and the gateway's own database are
 * refused at registration; a name that resolves to a granted address when registered and to a
 * forbidden one later (DNS rebinding) is refused at connection time, for http and sql alike;
 * redirects are not followed; the check report says only codes; fixture files stay in their
 * folder, capped, with one error for every bad path.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JSONWebKeySet } from "jose";
import { createHarness, GATEWAY_ID, type Actor, type Harness } from "../harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "../world.ts";
import { createFrontDb, DIBAO_CONFIG, type FrontDb } from "../front-db.ts";
import { startDepartmentServer, type RunningDepartment } from "../../src/demo/department-server.ts";
import { CIVIL_AFFAIRS_RECORDS } from "../../src/demo/data.ts";
import { systemLookup } from "../../src/reach/system-lookup.ts";
import { ownDatabaseOf } from "../../src/reach/own-database.ts";
import { createFixtureReader, FIXTURE_FILE_REFUSED } from "../../src/adapters/fixture-files.ts";
import type { OwnDatabase } from "../../src/reach/guard.ts";

const DIBAO = "subsistence-allowance.certificate";
const NOT_GRANTED = "https://huren.dev/problems/host-not-granted";
/** On PGlite there is no server: the guard is told of one, so the check runs on both databases. */
const PRETEND_OWN: OwnDatabase = { host: "127.0.0.1", port: 5432, database: "huren_gateway_itself" };

/** A resolver the test controls: names in `dns` answer what it says now; anything else, the system's. */
const dns = new Map<string, string[]>();
const lookup = async (host: string) => {
  const answer = dns.get(host);
  return answer ? answer.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })) : systemLookup(host);
};

let h: Harness;
let w: World;
let dept: Actor;
let own: OwnDatabase;
let fixtureDir: string;
let server: RunningDepartment;
let front: FrontDb;
const servers: Server[] = [];

/** A plain HTTP server on loopback; answers with `handler`, counting requests. */
async function serve(handler: (url: string, res: import("node:http").ServerResponse) => void): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const s = createServer((req, res) => {
    hits++;
    req.resume();
    req.on("end", () => handler(req.url ?? "/", res));
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, hits: () => hits };
}

beforeAll(async () => {
  fixtureDir = await mkdtemp(join(tmpdir(), "huren-fixtures-"));
  await mkdir(join(fixtureDir, "inside"));
  h = await createHarness({
    lookup,
    ...(process.env.DATABASE_URL ? {} : { ownDatabase: PRETEND_OWN }),
    readFile: createFixtureReader({ dir: join(fixtureDir, "inside"), maxBytes: 4096 }),
  });
  own = h.databaseUrl ? ownDatabaseOf(h.databaseUrl)! : PRETEND_OWN;
  w = await createWorld(h);
  // A district department granted 低保 and loopback only, as the issue's attacker was (but granted).
  dept = await h.addMember("nanguan-civil-affairs", "department", "220102", { grants: { evidenceTypes: [DIBAO], hosts: ["127.0.0.1"] } });
  server = await startDepartmentServer({ department: dept.id, gatewayId: GATEWAY_ID, gatewayKeys: () => h.deps.keys.jwks() as Promise<JSONWebKeySet>, records: CIVIL_AFFAIRS_RECORDS });
  front = await createFrontDb([{ idNo: zhangSan.id, name: zhangSan.name, status: "1", certNo: "NG-DB-0001", validUntil: "2099-06-30", householdSize: 3, monthlyAmount: "1234.50", category: "urban" }]);
});
afterAll(async () => {
  for (const s of servers) s.close();
  await server?.close();
  await front?.drop();
  await w?.close();
  await h?.close();
  await rm(fixtureDir, { recursive: true, force: true });
});

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
const httpAdapter = (endpoint: string, extra: Record<string, unknown> = {}) => ({ department: dept.id, kind: "http", evidenceTypes: [DIBAO], config: { endpoint, timeoutMs: 1000, answerSignature: "none", ...extra }, enabled: false });
const sqlAdapter = (connectionString: string) => ({ department: dept.id, kind: "sql", evidenceTypes: [DIBAO], config: { connectionString, ...DIBAO_CONFIG, timeoutMs: 2000 }, enabled: false });
/** The front database's reader URL with another host (and optionally port and database). */
const frontVia = (host: string, port?: number, database?: string) => {
  const url = new URL(front.readerUrl);
  url.hostname = host;
  if (port !== undefined) url.port = String(port);
  if (database !== undefined) url.pathname = `/${database}`;
  return url.toString();
};
const verifyDibao = async () => (await json(await h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "SEC-1", subject: zhangSan, evidence: [{ type: DIBAO }] }))).body.results[0];

describe("registration: hosts outside the grant, never-reachable addresses, the gateway's own database", () => {
  it("a department may not point an adapter outside grants.hosts: 422 host-not-granted, http and sql", async () => {
    dns.set("elsewhere.test", ["10.20.30.40"]);
    for (const body of [httpAdapter("http://10.20.30.40:8080/lookup"), httpAdapter("http://elsewhere.test/lookup"), httpAdapter("http://[::1]:9/x"), sqlAdapter(frontVia("10.20.30.40"))]) {
      const r = await json(await h.call(dept, "PUT", "/v1/adapters/nanguan-out", body));
      expect([r.status, r.body.type], JSON.stringify(body.config)).toEqual([422, NOT_GRANTED]);
    }
    // An admin may go beyond the grant (§4)…
    expect((await h.call(h.admin, "PUT", "/v1/adapters/nanguan-out", httpAdapter("http://10.20.30.40:8080/lookup"))).status).toBe(201);
    // …and the department cannot then change it without the host being granted.
    const again = await json(await h.call(dept, "PUT", "/v1/adapters/nanguan-out", httpAdapter("http://10.20.30.40:8080/lookup", { timeoutMs: 1500 })));
    expect([again.status, again.body.type]).toEqual([422, NOT_GRANTED]);
  });

  it("link-local and metadata addresses are refused for everyone, admins included, however they are written", async () => {
    dns.set("metadata.test", ["169.254.169.254"]);
    dns.set("mixed.test", ["127.0.0.1", "169.254.0.23"]);
    const endpoints = [
      "http://169.254.169.254/latest/meta-data/",
      "http://[fe80::1]/x",
      "http://[::ffff:169.254.169.254]/x",
      "http://[::ffff:a9fe:a9fe]/x",
      "http://100.100.100.200/latest/meta-data/",
      "http://[fd00:ec2::254]/x",
      "http://0.0.0.0:8080/x",
      "http://metadata.test/x",
      "http://mixed.test/x",
    ];
    for (const endpoint of endpoints) {
      for (const actor of [h.admin, dept]) {
        const r = await json(await h.call(actor, "PUT", "/v1/adapters/nanguan-meta", httpAdapter(endpoint)));
        expect([r.status, r.body.type], `${actor.kind}: ${endpoint}`).toEqual([422, NOT_GRANTED]);
      }
    }
    const sql = await json(await h.call(h.admin, "PUT", "/v1/adapters/nanguan-meta", sqlAdapter(frontVia("169.254.1.1"))));
    expect([sql.status, sql.body.type]).toEqual([422, NOT_GRANTED]);
    // Nor can an admin grant them.
    const grant = await json(await h.call(h.admin, "PUT", `/v1/members/${dept.id}`, { kind: "department", name: "x", region: "220102", jwks: { keys: [dept.publicJwk] }, grants: { evidenceTypes: [DIBAO], hosts: ["169.254.0.0/16"] } }));
    expect(grant.status).toBe(400);
  });

  it("the gateway's own database is refused for everyone, by any name for its host", async () => {
    const user = "huren_reader";
    const url = (host: string, database = own.database, port = own.port) => `postgres://${user}:pw@${host.includes(":") ? `[${host}]` : host}:${port}/${database}`;
    for (const host of [own.host, "127.0.0.1", "localhost", "::1"]) {
      const r = await json(await h.call(h.admin, "PUT", "/v1/adapters/nanguan-own", sqlAdapter(url(host))));
      expect([r.status, r.body.type], host).toEqual([422, NOT_GRANTED]);
    }
    const byDept = await json(await h.call(dept, "PUT", "/v1/adapters/nanguan-own", sqlAdapter(url("127.0.0.1"))));
    expect([byDept.status, byDept.body.type]).toEqual([422, NOT_GRANTED]);
    // Another database on the same server is the department's front database: allowed when granted.
    expect((await h.call(dept, "PUT", "/v1/adapters/nanguan-own", sqlAdapter(frontVia("127.0.0.1")))).status).toBe(201);
  });
});

describe("connection time: DNS rebinding", () => {
  it("http: a name granted by its address at registration that later resolves elsewhere is not connected to", async () => {
    const port = new URL(server.url).port;
    dns.set("rebind-http.test", ["127.0.0.1"]);
    const put = await h.call(dept, "PUT", "/v1/adapters/nanguan-rebind-http", { ...httpAdapter(`http://rebind-http.test:${port}/huren/lookup`), enabled: true });
    expect(put.status).toBe(201);
    // Now the name answers an address outside the grant: the lookup must not reach the department.
    dns.set("rebind-http.test", ["10.255.255.1"]);
    const before = server.calls;
    expect(await verifyDibao()).toMatchObject({ status: "unavailable" });
    // And a metadata address is refused for an adapter an admin registered beyond the grant too.
    dns.set("rebind-http.test", ["169.254.169.254"]);
    expect(await verifyDibao()).toMatchObject({ status: "unavailable" });
    expect(server.calls).toBe(before);
    const health = (await json(await h.call(h.admin, "GET", "/v1/adapters/nanguan-rebind-http"))).body.health;
    expect(health.recent.errors["host-not-granted"]).toBeGreaterThanOrEqual(1);
    // Back on the granted address, the same adapter answers: the refusal was the guard's.
    dns.set("rebind-http.test", ["127.0.0.1"]);
    expect(await verifyDibao()).toMatchObject({ status: "verified" });
    expect(server.calls).toBe(before + 1);
    await h.call(dept, "PUT", "/v1/adapters/nanguan-rebind-http", httpAdapter(`http://rebind-http.test:${port}/huren/lookup`));
  });

  it("sql: the front database's name is resolved and checked before every connection, and the checked address is used", async () => {
    dns.set("rebind-sql.test", ["127.0.0.1"]);
    const put = await h.call(dept, "PUT", "/v1/adapters/nanguan-rebind-sql", { ...sqlAdapter(frontVia("rebind-sql.test")), enabled: true });
    expect(put.status).toBe(201);
    dns.set("rebind-sql.test", ["10.255.255.1"]);
    expect(await verifyDibao()).toMatchObject({ status: "unavailable" });
    const health = (await json(await h.call(h.admin, "GET", "/v1/adapters/nanguan-rebind-sql"))).body.health;
    expect(health.recent.errors["host-not-granted"]).toBeGreaterThanOrEqual(1);
    dns.set("rebind-sql.test", ["127.0.0.1"]);
    expect(await verifyDibao()).toMatchObject({ status: "verified" });
    await h.call(dept, "PUT", "/v1/adapters/nanguan-rebind-sql", sqlAdapter(frontVia("rebind-sql.test")));
  });

  it("a host revoked from the grant is not connected to by the department's adapter", async () => {
    const port = new URL(server.url).port;
    expect((await h.call(dept, "PUT", "/v1/adapters/nanguan-revoked", { ...httpAdapter(`http://127.0.0.1:${port}/huren/lookup`), enabled: true })).status).toBe(201);
    const member = (await json(await h.call(h.admin, "GET", `/v1/members/${dept.id}`))).body;
    const put = (hosts: string[]) => h.call(h.admin, "PUT", `/v1/members/${dept.id}`, { kind: "department", name: member.name, region: member.region, jwks: member.jwks, grants: { evidenceTypes: [DIBAO], hosts } });
    expect((await put(["10.0.0.0/8"])).status).toBe(200);
    const before = server.calls;
    expect(await verifyDibao()).toMatchObject({ status: "unavailable" });
    expect(server.calls).toBe(before);
    expect((await put(["127.0.0.1"])).status).toBe(200);
    await h.call(dept, "PUT", "/v1/adapters/nanguan-revoked", httpAdapter(`http://127.0.0.1:${port}/huren/lookup`));
  });
});

describe("answers", () => {
  it("redirects are not followed: a 3xx is a failed lookup, and its target is never asked", async () => {
    const target = await serve((_url, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ found: true, status: "valid", claims: { valid: true } })));
    const redirector = await serve((_url, res) => res.writeHead(307, { location: `${target.url}/steal` }).end());
    expect((await h.call(dept, "PUT", "/v1/adapters/nanguan-redirect", { ...httpAdapter(`${redirector.url}/lookup`), enabled: true })).status).toBe(201);
    expect(await verifyDibao()).toMatchObject({ status: "unavailable" });
    expect(redirector.hits()).toBe(1);
    expect(target.hits()).toBe(0);
    const check = await json(await h.call(dept, "POST", "/v1/adapters/nanguan-redirect/check"));
    expect(check.body.steps.find((s: any) => s.step === "probe")).toMatchObject({ status: "fail", code: "bad-status" });
    expect(target.hits()).toBe(0);
    await h.call(dept, "PUT", "/v1/adapters/nanguan-redirect", httpAdapter(`${redirector.url}/lookup`));
  });

  it("answerSignature defaults to required: an unsigned answer is not accepted", async () => {
    const { answerSignature: _, ...config } = httpAdapter(`${server.url}`).config;
    const put = await json(await h.call(dept, "PUT", "/v1/adapters/nanguan-default-sig", { ...httpAdapter(server.url), config, enabled: true }));
    expect(put.body.config.answerSignature).toBe("required");
    expect(await verifyDibao()).toMatchObject({ status: "unavailable" });
    await h.call(dept, "PUT", "/v1/adapters/nanguan-default-sig", { ...httpAdapter(server.url), config });
  });
});

describe("the check report tells a department codes, not what the sockets saw", () => {
  const checkOf = async (id: string, body: unknown) => {
    expect((await h.call(dept, "PUT", `/v1/adapters/${id}`, body)).status).toBeLessThan(300);
    return (await json(await h.call(dept, "POST", `/v1/adapters/${id}/check`))).body;
  };

  it("a status and a banner are a bad-status code; nobody listening is unreachable; neither says more", async () => {
    const banner = await serve((_url, res) => res.writeHead(502, { server: "internal-proxy/1.2 (10.9.8.7)" }).end("upstream 10.9.8.7:5432 refused: FATAL role"));
    const bad = await checkOf("nanguan-banner", httpAdapter(`${banner.url}/lookup`));
    const probe = bad.steps.find((s: any) => s.step === "probe");
    expect(probe).toMatchObject({ status: "fail", code: "bad-status" });
    const refused = await checkOf("nanguan-nobody", httpAdapter("http://127.0.0.1:9/lookup"));
    expect(refused.steps.find((s: any) => s.step === "reachability")).toMatchObject({ status: "fail", code: "unreachable" });
    for (const report of [bad, refused]) {
      const text = JSON.stringify(report);
      for (const leak of ["502", "10.9.8.7", "ECONNREFUSED", "internal-proxy", "FATAL", "HTTP"]) expect(text, leak).not.toContain(leak);
    }
    // Stored as lastCheck and listed: the same redacted report.
    const listed = (await json(await h.call(dept, "GET", "/v1/adapters/nanguan-banner"))).body.lastCheck;
    expect(JSON.stringify(listed)).not.toContain("502");
    // The operator's log has what happened.
    const logs = h.logs.join("\n");
    expect(logs).toMatch(/HTTP 502/);
    expect(logs).toMatch(/ECONNREFUSED/);
  });

  it("a front database that refuses the reader is query-failed, without its SQLSTATE or message", async () => {
    const report = await checkOf("nanguan-nodb", sqlAdapter(frontVia("127.0.0.1", undefined, "huren_no_such_front_db")));
    const failed = report.steps.find((s: any) => s.status === "fail");
    expect(failed).toMatchObject({ code: "query-failed" });
    expect(JSON.stringify(report)).not.toMatch(/3D000|does not exist|huren_no_such/);
    expect(h.logs.join("\n")).toMatch(/SQLSTATE 3D000/);
  });
});

describe("fixture files", () => {
  it("reads only inside HUREN_FIXTURE_DIR, capped, with one error for every bad path", async () => {
    const inside = join(fixtureDir, "inside");
    const records = { records: { [DIBAO]: [{ subject: { type: "resident-id", id: zhangSan.id }, status: "valid", claims: { valid: true } }] } };
    await writeFile(join(inside, "ok.json"), JSON.stringify(records));
    await writeFile(join(fixtureDir, "outside.json"), JSON.stringify(records));
    await symlink(join(fixtureDir, "outside.json"), join(inside, "link-out.json"));
    await symlink("/etc/hostname", join(inside, "link-etc.json"));
    await writeFile(join(inside, "big.json"), JSON.stringify({ records: { [DIBAO]: [] }, pad: "x".repeat(5000) }));

    const read = createFixtureReader({ dir: inside, maxBytes: 4096 });
    expect(JSON.parse(await read("ok.json"))).toEqual(records);
    expect(JSON.parse(await read(join(inside, "ok.json")))).toEqual(records);
    const refusals: string[] = [];
    for (const path of ["../outside.json", join(fixtureDir, "outside.json"), "../no-such-file.json", "/etc/passwd", "/no/such/file", "link-out.json", "link-etc.json", "missing.json", ".", "", "inside/../../outside.json"]) {
      refusals.push(await read(path).then(() => "read!", (err: Error) => err.message));
    }
    // Existing outside, missing outside, a link out, missing inside: indistinguishable.
    expect(new Set(refusals)).toEqual(new Set([FIXTURE_FILE_REFUSED]));
    await expect(read("big.json")).rejects.toThrow(/size cap \(4096 bytes/);

    // Through the API: the check of a department's fixture adapter gets a code, and the log one message.
    const check = async (file: string) => {
      const put = await h.call(dept, "PUT", "/v1/adapters/nanguan-fixture", { department: dept.id, kind: "fixture", evidenceTypes: [DIBAO], config: { file }, enabled: false });
      expect(put.status).toBeLessThan(300);
      return (await json(await h.call(dept, "POST", "/v1/adapters/nanguan-fixture/check"))).body;
    };
    const exists = await check("../outside.json");
    const missing = await check("../no-such-file.json");
    expect(exists.steps.find((s: any) => s.step === "probe")).toMatchObject({ status: "fail", code: "fixture-unreadable" });
    expect(exists.steps.map((s: any) => [s.code, s.detail])).toEqual(missing.steps.map((s: any) => [s.code, s.detail]));
    const failureLines = h.logs.filter((l) => l.includes("checkFailures")).slice(-2).map((l) => JSON.parse(l).checkFailures);
    expect(failureLines[0]).toEqual(failureLines[1]);
    expect((await check("ok.json")).steps.find((s: any) => s.step === "probe")).toMatchObject({ status: "pass" });
  });
});
