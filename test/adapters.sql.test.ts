/**
 * The `sql` adapter against a real PostgreSQL front database that this file creates (another
 * database on the same server) and drops: mapping, read-only enforcement, parameters only,
 * statement timeouts, unreachable and silent servers, and a bounded pool.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import postgres from "postgres";
import { createSqlSource, sqlConfigSchema } from "../src/adapters/sql.ts";
import { buildResilientSource } from "../src/sources/build.ts";
import { parseConnectionString, queryProblem, sqlMappingIssues } from "../src/adapters/sql-config.ts";
import type { AdapterContext, EvidenceSource, LookupRequest, LookupResult } from "../src/adapters/types.ts";
import { BUILTIN_EVIDENCE_TYPES } from "../src/catalog/builtin-types.ts";
import { makeResidentId } from "../src/catalog/subject.ts";
import { createFrontDb, DIBAO_CONFIG, type FrontDb } from "./front-db.ts";

const ZHANG = makeResidentId("22010219900101123");
const LI = makeResidentId("22010219850615234");
const WANG = makeResidentId("22010219700101345");
const DUP = makeResidentId("22010219600101456");
const NOBODY = makeResidentId("22010220000101567");
const NOW = new Date("2026-11-21T09:30:00+08:00");
const TYPE = "subsistence-allowance.certificate";
const dibaoDef = BUILTIN_EVIDENCE_TYPES.find((t) => t.type === TYPE)!;

let front: FrontDb;
const sources: EvidenceSource[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  front = await createFrontDb([
    { idNo: ZHANG, name: "张三", status: "1", certNo: "DB-2201-0001", validUntil: "2027-06-30", householdSize: 3, monthlyAmount: "1234.50", category: "urban" },
    { idNo: LI, name: "李四", status: "9", certNo: "DB-2201-0002", validUntil: "2027-01-31", householdSize: 1, monthlyAmount: "800.00", category: "rural" },
    // The department forgot to flip this one: valid in its books, past its date.
    { idNo: WANG, name: "王五", status: "1", certNo: "DB-2201-0003", validUntil: "2025-12-31", householdSize: 2, monthlyAmount: "900.00", category: "urban" },
  ]);
  // A second row for one subject (the records table forbids it, so through a second view).
  await front.sql.unsafe(`create view dup_view as select * from dibao_view union all select * from dibao_view`);
  await front.sql`insert into dibao_records (id_no, holder_name, status_code, cert_no, valid_until, household_size, monthly_amount, category)
                  values (${DUP}, '赵六', '1', 'DB-2201-0004', '2027-06-30', 1, '100.00', 'urban')`;
});
afterAll(async () => {
  await Promise.all(sources.map((s) => s.close?.()));
  for (const s of servers) s.close();
  await front?.drop();
});

function source(overrides: Record<string, unknown> = {}, url = front.readerUrl, id = "cc-dibao-sql"): EvidenceSource {
  const config = sqlConfigSchema.parse({ connectionString: url, ...DIBAO_CONFIG, timeoutMs: 2000, ...overrides });
  const s = createSqlSource(id, config, undefined, [TYPE], { now: () => NOW });
  sources.push(s);
  return s;
}

const count = async (table: "dibao_records" | "loot") => (await front.sql<{ n: number }[]>`select count(*)::int as n from ${front.sql(table)}`)[0]!.n;

const request = (id: string, name?: string): LookupRequest => ({
  requestId: "vf_test#0",
  evidenceType: TYPE,
  subject: { type: "resident-id", id, ...(name ? { name } : {}) },
  fields: ["valid"],
  matter: "m",
  requester: "nanguan-window-01",
});

function expectUnavailable(result: LookupResult, code: string, detail?: RegExp) {
  expect(result.outcome).toBe("unavailable");
  if (result.outcome !== "unavailable") return;
  expect(result.error).toBe(code);
  if (detail) expect(result.detail).toMatch(detail);
  // Never the subject's id in what gets logged.
  for (const id of [ZHANG, LI, WANG, NOBODY]) expect(result.detail).not.toContain(id);
}

describe("sql config", () => {
  const base = { connectionString: "postgres://reader:pw@10.1.2.3/front", ...DIBAO_CONFIG };
  const rejects: [string, Record<string, unknown>, RegExp][] = [
    ["a DELETE", { query: "delete from dibao_view where id_no = $1" }, /single SELECT/],
    ["two statements", { query: "select * from dibao_view where id_no = $1; drop table loot" }, /no ';'/],
    ["an unused parameter", { query: "select * from dibao_view where id_no = 'x'" }, /never used/],
    ["a placeholder without a parameter", { query: "select * from dibao_view where id_no = $1 and region = $2" }, /\$2/],
    ["no parameters at all", { params: [] }, /at least 1|too small|>=1/i],
    ["a request field that is not a parameter source", { params: ["subject.id; drop"] }, /Invalid option|expected one of/i],
    ["no user", { connectionString: "postgres://10.1.2.3/front" }, /user/],
    ["no database", { connectionString: "postgres://reader@10.1.2.3" }, /database/],
    ["session settings in the URL", { connectionString: "postgres://reader@10.1.2.3/front?options=-c%20default_transaction_read_only%3Doff" }, /only sslmode/],
    ["a statement timeout over the lookup timeout", { timeoutMs: 1000, statementTimeoutMs: 2000 }, /must not exceed/],
    ["an unknown key", { poolSize: 5 }, /Unrecognized key/i],
  ];
  for (const [what, patch, message] of rejects) {
    it(`rejects ${what}`, () => {
      const parsed = sqlConfigSchema.safeParse({ ...base, ...patch });
      expect(parsed.success).toBe(false);
      const messages = parsed.error!.issues.map((i) => i.message).join(" | ");
      expect(messages).toMatch(message);
      // Secrets are never quoted back.
      expect(messages).not.toContain("pw");
    });
  }

  it("accepts a commented query with a trailing semicolon, and drops the semicolon", () => {
    const parsed = sqlConfigSchema.parse({ ...base, query: "-- 低保\n/* view v2 */ SELECT * FROM dibao_view WHERE id_no = $1;  " });
    expect(parsed.query).toBe("-- 低保\n/* view v2 */ SELECT * FROM dibao_view WHERE id_no = $1");
    expect(parsed).toMatchObject({ timeoutMs: 3000, poolMax: 2 });
    expect(queryProblem("with v as (select 1) select * from v where $1 = ''", 1)).toBeUndefined();
  });

  it("never falls back to the gateway's PG* environment: every part is explicit", () => {
    expect(parseConnectionString("postgresql://r%40x:p%2Fw@[::1]:6543/front?sslmode=disable")).toEqual({ host: "::1", port: 6543, database: "front", username: "r@x", password: "p/w", ssl: false });
    expect(parseConnectionString("postgres://r@db.dept.gov.cn/front")).toMatchObject({ port: 5432, password: "", ssl: "prefer" });
  });

  it("checks the claim mapping against the evidence types", () => {
    const config = sqlConfigSchema.parse({ ...base, claims: { householdSize: "household_size", housholdSize: "x" } });
    expect(sqlMappingIssues(config, [dibaoDef])).toEqual([{ path: "claims.housholdSize", message: `"housholdSize" is not a claim of ${TYPE}` }]);
    const housing = BUILTIN_EVIDENCE_TYPES.find((t) => t.type === "housing.no-property-proof")!;
    expect(sqlMappingIssues(sqlConfigSchema.parse({ ...base, claims: {} }), [dibaoDef, housing])).toEqual([
      { path: "params", message: "an sql adapter for several evidence types must pass evidenceType as a parameter" },
    ]);
  });
});

describe("sql adapter over a real front database", () => {
  it("maps a row to a found answer: statuses, claims with dates and amounts, name match", async () => {
    const result = await source().lookup(request(ZHANG, "张 三"));
    expect(result).toEqual({
      outcome: "found",
      status: "valid",
      certificateId: "DB-2201-0001",
      validUntil: "2027-06-30",
      nameMatches: true,
      claims: { certificateNo: "DB-2201-0001", householdSize: 3, monthlyAmount: 1234.5, category: "urban", region: "220102", validUntil: "2027-06-30" },
    });
    expect(await source().lookup(request(ZHANG, "李四"))).toMatchObject({ outcome: "found", nameMatches: false });
    expect(await source().lookup(request(LI))).toMatchObject({ outcome: "found", status: "revoked" });
    expect(await source().lookup(request(WANG))).toMatchObject({ outcome: "found", status: "expired" });
    expect(await source().lookup(request(NOBODY))).toEqual({ outcome: "not_found" });
  });

  it("passes request data only as parameters: quotes in an id find nothing and change nothing", async () => {
    const s = source();
    for (const id of [`${ZHANG}' or '1'='1`, "x'; delete from dibao_records; --", "$1"]) {
      expect(await s.lookup(request(id))).toEqual({ outcome: "not_found" });
    }
    expect(await count("dibao_records")).toBe(4);
  });

  it("runs in a read-only transaction: a view that tries to write fails, and nothing is written", async () => {
    // As the owner (who could write), so only the transaction stands in the way.
    const writes = source({ query: "select status_code, cert_no from dibao_view where id_no = $1 and steal($1) = 1", claims: {}, columns: { status: "status_code" } }, front.ownerUrl);
    expectUnavailable(await writes.lookup(request(ZHANG)), "adapter-error", /SQLSTATE 25006/);
    const nextval = source({ query: "select status_code from dibao_view where id_no = $1 and nextval('audit_seq') > 0", claims: {}, columns: { status: "status_code" } }, front.ownerUrl);
    expectUnavailable(await nextval.lookup(request(ZHANG)), "adapter-error", /SQLSTATE 25006/);
    expect(await count("loot")).toBe(0);
  });

  it("a data-modifying WITH cannot hide inside the query", async () => {
    const s = source({ query: "with w as (insert into loot values ($1) returning v) select 'valid' as status_code from w", claims: {}, columns: { status: "status_code" } }, front.ownerUrl);
    expectUnavailable(await s.lookup(request(ZHANG)), "adapter-error", /SQLSTATE/);
    expect(await count("loot")).toBe(0);
  });

  it("the restricted role reads its view and nothing else", async () => {
    const s = source({ query: "select status_code from dibao_records where id_no = $1", claims: {}, columns: { status: "status_code" } });
    expectUnavailable(await s.lookup(request(ZHANG)), "adapter-error", /SQLSTATE 42501: permission denied/);
  });

  it("refuses ambiguous and unmapped answers", async () => {
    expectUnavailable(await source({ query: DIBAO_CONFIG.query.replace("dibao_view", "dup_view") }, front.ownerUrl).lookup(request(DUP)), "malformed-answer", /more than one row/);
    expectUnavailable(await source({ claims: { householdSize: "household_members" } }).lookup(request(NOBODY)), "malformed-answer", /"household_members"/);
    expectUnavailable(await source({ statusValues: { "1": "valid" } }).lookup(request(LI)), "malformed-answer", /status value/);
  });

  it("stops a slow view at the statement timeout", async () => {
    // 57014 (query_canceled) says the server's statement timeout ended it, not the lookup deadline.
    const s = source({ query: `${DIBAO_CONFIG.query} and pg_sleep(5) is not null`, timeoutMs: 20_000, statementTimeoutMs: 300 });
    expectUnavailable(await s.lookup(request(ZHANG)), "timeout", /57014/);
  });

  it("a lookup aborted by its caller returns at once and the query is cancelled on the server", async () => {
    // Only the caller's abort can end it before pg_sleep(5) returns rows: the deadline is 30 s.
    const s = source({ query: `${DIBAO_CONFIG.query} and pg_sleep(5) is not null`, timeoutMs: 30_000 });
    expectUnavailable(await s.lookup(request(ZHANG), AbortSignal.timeout(300)), "timeout");
    // The cancel reaches the server: no huren session is left sleeping.
    await expect.poll(async () => (await front.sql`select count(*)::int as n from pg_stat_activity where application_name = 'huren:cc-dibao-sql' and query like '%pg_sleep%' and state = 'active'`)[0]!.n, { timeout: 3000 }).toBe(0);
  });

  it("unreachable and silent servers are unavailable within the timeout", async () => {
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, "127.0.0.1", () => {
        const port = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    expectUnavailable(await source({}, `postgres://reader:pw@127.0.0.1:${closed}/front?sslmode=disable`).lookup(request(ZHANG)), "network", /ECONNREFUSED/);

    // Accepts TCP and never says a word: the connect timeout (= timeoutMs) applies.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    servers.push(silent);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    expectUnavailable(await source({ timeoutMs: 500 }, `postgres://reader:pw@127.0.0.1:${(silent.address() as AddressInfo).port}/front`).lookup(request(ZHANG)), "timeout");
    for (const s of sockets) s.destroy();
  });

  it("a database that does not exist is an adapter error naming the SQLSTATE", async () => {
    const url = new URL(front.readerUrl);
    url.pathname = "/huren_dept_missing";
    expectUnavailable(await source({}, url.toString()).lookup(request(ZHANG)), "adapter-error", /3D000/);
  });

  it("ping connects read-only without looking anyone up", async () => {
    const ping = await source().ping!();
    expect(ping).toMatchObject({ ok: true, detail: expect.stringMatching(/^PostgreSQL \d+.*read-only transaction on$/) });
  });

  it("turns arrays, timestamps and json into JSON claims", async () => {
    const s = source({
      query: "select status_code, array['pension','medical'] as kinds, timestamptz '2026-03-01 08:00:00+08' as at, jsonb_build_object('a', 1) as extra from dibao_view where id_no = $1",
      columns: { status: "status_code" },
      claims: { insuranceTypes: "kinds", asOf: "at", extra: "extra" },
    });
    expect(await s.lookup(request(ZHANG))).toMatchObject({ outcome: "found", claims: { insuranceTypes: ["pension", "medical"], asOf: "2026-03-01T00:00:00.000Z", extra: { a: 1 } } });
  });

  it("a connection lost in a network black hole is dropped and the pool replaced; the slot comes back", async () => {
    // A TCP relay to the real server that can stop passing bytes, like a firewall dropping a flow.
    let blackhole = false;
    const target = new URL(front.readerUrl);
    const relay = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      client.on("data", (d) => blackhole || upstream.write(d));
      upstream.on("data", (d) => blackhole || client.write(d));
      for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
        a.on("error", () => {});
        a.on("close", () => b.destroy());
      }
    });
    servers.push(relay);
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
    const url = new URL(front.readerUrl);
    url.hostname = "127.0.0.1";
    url.port = String((relay.address() as AddressInfo).port);
    const config = sqlConfigSchema.parse({ connectionString: url.toString(), ...DIBAO_CONFIG, timeoutMs: 400, poolMax: 1 });
    const s = buildResilientSource({ id: "cc-dibao-relay", kind: "sql", config, evidenceTypes: [TYPE] }, {} as AdapterContext);
    sources.push(s);

    expect(await s.lookup(request(ZHANG))).toMatchObject({ outcome: "found" });
    blackhole = true;
    expectUnavailable(await s.lookup(request(ZHANG)), "timeout");
    expect(s.limiter.inFlight).toBe(1); // the lookup is stuck on the dead connection
    await expect.poll(() => s.limiter.inFlight, { timeout: 6000, interval: 100 }).toBe(0);
    blackhole = false;
    expect(await s.lookup(request(ZHANG))).toMatchObject({ outcome: "found" });
  });

  it("holds at most poolMax connections, however many lookups arrive", async () => {
    const s = source({ poolMax: 2, query: `${DIBAO_CONFIG.query} and pg_sleep(0.2) is not null` }, front.readerUrl, "cc-dibao-pool");
    const watcher = postgres(front.ownerUrl, { max: 1, onnotice: () => {} });
    let peak = 0;
    const poll = setInterval(async () => {
      const [row] = await watcher<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where application_name = 'huren:cc-dibao-pool' and datname = ${front.name}`;
      peak = Math.max(peak, row?.n ?? 0);
    }, 20);
    const results = await Promise.all(Array.from({ length: 8 }, () => s.lookup(request(ZHANG))));
    clearInterval(poll);
    await watcher.end({ timeout: 1 });
    expect(results.every((r) => r.outcome === "found")).toBe(true);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(2);
  });
});
