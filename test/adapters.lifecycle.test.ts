/**
 * An adapter's life through the API: a department registers an sql adapter over its own front
 * database (a real PostgreSQL database made here), windows verify through it, changes become
 * versions that the ledger names, the conformance check reports each step, and
 * `GET /v1/adapters` shows state and health. Departments manage only their own adapters.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { createHarness, type Actor, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, DEMO_PEOPLE, type World } from "./world.ts";
import { createFrontDb, DIBAO_CONFIG, type FrontDb } from "./front-db.ts";
import { adapters, adapterVersions, ledgerEntries } from "../src/db/schema.ts";

let h: Harness;
let w: World;
let front: FrontDb;
let dept: Actor;
let otherDept: Actor;
const ID = "nanguan-dibao-sql";
const TYPE = "subsistence-allowance.certificate";

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
const body = (config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  department: dept.id,
  kind: "sql",
  evidenceTypes: [TYPE],
  config: { connectionString: front.readerUrl, ...DIBAO_CONFIG, timeoutMs: 2000, probe: { subject: { type: "resident-id", id: zhangSan.id }, name: zhangSan.name }, ...config },
  ...extra,
});
const verifyDibao = () =>
  h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "LC-1", subject: zhangSan, evidence: [{ type: TYPE, fields: ["householdSize", "validUntil"] }] });
const ledgerItem = async (verificationId: string) => {
  const [row] = await h.deps.db.select().from(ledgerEntries).where(eq(ledgerEntries.verificationId, verificationId));
  return JSON.parse(row!.entryJson).items[0];
};

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  // Nanguan district's own civil affairs bureau: closer to a Nanguan window than the city's.
  dept = await h.addMember("nanguan-civil-affairs", "department", "220102");
  otherDept = await h.addMember("chaoyang-civil-affairs", "department", "220104");
  front = await createFrontDb([
    { idNo: zhangSan.id, name: zhangSan.name, status: "1", certNo: "NG-DB-0001", validUntil: "2099-06-30", householdSize: 3, monthlyAmount: "1234.50", category: "urban" },
  ]);
});
afterAll(async () => {
  await w?.close();
  await h?.close();
  await front?.drop();
});

describe("registering an sql adapter", () => {
  it("refuses configs that cannot work, naming the path", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ claims: { housholdSize: "household_size" } }, "config.claims.housholdSize"],
      [{ query: "select * from dibao_view where id_no = $1; delete from dibao_records" }, "config.query"],
      [{ query: "update dibao_records set status_code = '9' where id_no = $1" }, "config.query"],
      [{ connectionString: "postgres://10.0.0.1/front" }, "config.connectionString"],
      [{ poolMax: 50 }, "config.poolMax"],
    ];
    for (const [patch, path] of cases) {
      const r = await json(await h.call(dept, "PUT", `/v1/adapters/${ID}`, body(patch)));
      expect(r.status).toBe(422);
      expect(r.body.type).toBe("https://huren.dev/problems/invalid-adapter-config");
      expect(r.body.errors.map((e: any) => e.path)).toContain(path);
      expect(JSON.stringify(r.body)).not.toContain(new URL(front.readerUrl).password);
    }
  });

  it("stores it with the connection string and probe subject sealed, and records version 1", async () => {
    const r = await json(await h.call(dept, "PUT", `/v1/adapters/${ID}`, body()));
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: ID, kind: "sql", version: 1, config: { connectionString: "(sealed)", probe: "(sealed)", query: DIBAO_CONFIG.query, poolMax: 2 } });
    const rows = JSON.stringify([await h.deps.db.select().from(adapters), await h.deps.db.select().from(adapterVersions)]);
    const password = new URL(front.readerUrl).password;
    expect(rows).not.toContain(password);
    expect(rows).not.toContain(front.name);
    expect(rows).not.toContain(zhangSan.id);
    const versions = await h.deps.db.select().from(adapterVersions).where(eq(adapterVersions.id, ID));
    expect(versions.map((v) => [v.version, v.changedBy])).toEqual([[1, dept.id]]);
  });

  it("answers verifications from the front database, and the ledger names the version", async () => {
    const r = await json(await verifyDibao());
    expect(r.status).toBe(200);
    expect(r.body.results[0]).toMatchObject({ status: "verified", source: ID, claims: { valid: true, householdSize: 3, validUntil: "2099-06-30" } });
    expect(await ledgerItem(r.body.verificationId)).toMatchObject({ source: ID, adapterVersion: 1, status: "verified" });
  });

  it("a change is a new version that the next verification names; the same PUT again is not", async () => {
    const changed = await json(await h.call(dept, "PUT", `/v1/adapters/${ID}`, body({ timeoutMs: 2500 })));
    expect([changed.status, changed.body.version]).toEqual([200, 2]);
    const again = await json(await h.call(dept, "PUT", `/v1/adapters/${ID}`, body({ timeoutMs: 2500 })));
    expect([again.status, again.body.version]).toEqual([200, 2]);
    const versions = await json(await h.call(dept, "GET", `/v1/adapters/${ID}/versions`));
    expect(versions.body.versions.map((v: any) => [v.version, v.config.timeoutMs, v.changedBy])).toEqual([
      [1, 2000, dept.id],
      [2, 2500, dept.id],
    ]);
    expect(JSON.stringify(versions.body)).not.toContain(front.name);
    const r = await json(await verifyDibao());
    expect(await ledgerItem(r.body.verificationId)).toMatchObject({ source: ID, adapterVersion: 2 });
  });
});

describe("conformance check", () => {
  it("passes every step for a healthy sql adapter and is kept as the last check", async () => {
    const r = await json(await h.call(dept, "POST", `/v1/adapters/${ID}/check`));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, adapter: ID, kind: "sql", version: 2 });
    expect(r.body.steps.map((s: any) => [s.step, s.status])).toEqual([
      ["config", "pass"],
      ["reachability", "pass"],
      ["probe", "pass"],
      ["schema", "pass"],
      ["signature", "skip"],
    ]);
    expect(r.body.steps[1].detail).toMatch(/read-only transaction on/);
    expect(r.body.steps[2].detail).toMatch(/configured test subject.*found \(status valid\)/);
    expect(JSON.stringify(r.body)).not.toContain(zhangSan.id);
    const shown = await json(await h.call(dept, "GET", `/v1/adapters/${ID}`));
    expect(shown.body).toMatchObject({ state: "enabled", lastCheck: { ok: true, version: 2 } });
  });

  it("a failing check says where, and marks the adapter failing until a new version", async () => {
    const broken = await json(await h.call(dept, "PUT", `/v1/adapters/${ID}`, body({ query: DIBAO_CONFIG.query.replace("dibao_view", "dibao_view_v2") })));
    expect(broken.body.version).toBe(3);
    const r = await json(await h.call(dept, "POST", `/v1/adapters/${ID}/check`));
    expect(r.body.ok).toBe(false);
    expect(r.body.steps.map((s: any) => [s.step, s.status])).toEqual([
      ["config", "pass"],
      ["reachability", "pass"],
      ["probe", "fail"],
      ["schema", "skip"],
      ["signature", "skip"],
    ]);
    // A stable code for the department; the SQLSTATE is in the operator's log only.
    expect(r.body.steps[2]).toMatchObject({ code: "query-failed" });
    expect(r.body.steps[2].detail).not.toMatch(/SQLSTATE|42P01/);
    expect(h.logs.join("\n")).toMatch(/SQLSTATE 42P01: relation does not exist/);
    const list = await json(await h.call(dept, "GET", "/v1/adapters"));
    expect(list.body.adapters.find((a: any) => a.id === ID)).toMatchObject({ state: "failing", lastCheck: { ok: false, version: 3 } });

    // The fix is version 4: the failed check was of version 3, so the state is enabled again.
    const fixed = await json(await h.call(dept, "PUT", `/v1/adapters/${ID}`, body({ timeoutMs: 2500 })));
    expect(fixed.body.version).toBe(4);
    expect((await json(await h.call(dept, "GET", `/v1/adapters/${ID}`))).body.state).toBe("enabled");
  });

  it("checks an http adapter end to end, including the department's answer signature; without a probe it is unproven, not passed", async () => {
    const r = await json(await h.call(h.admin, "POST", "/v1/adapters/cc-civil-affairs-http/check"));
    expect(r.body).toMatchObject({ ok: false, outcome: "unproven" });
    expect(r.body.steps.map((s: any) => [s.step, s.status])).toEqual([
      ["config", "pass"],
      ["reachability", "pass"],
      ["probe", "skip"],
      ["schema", "skip"],
      ["signature", "pass"],
    ]);
    expect(r.body.steps[2].detail).toMatch(/^unproven: a synthetic test subject .*not found.*configure a probe/);
    expect(r.body.steps[4].detail).toMatch(/signed \(EdDSA, kid .+\) and verified/);
    // Unproven is not failing: the adapter stays in service.
    expect((await json(await h.call(h.admin, "GET", "/v1/adapters/cc-civil-affairs-http"))).body.state).toBe("enabled");

    // With a probe naming a test record it passes.
    const current = (await json(await h.call(h.admin, "GET", "/v1/adapters/cc-civil-affairs-http"))).body;
    const probed = { department: current.department, kind: "http", evidenceTypes: current.evidenceTypes, enabled: true, config: { ...current.config, probe: { subject: { type: "resident-id", id: DEMO_PEOPLE.zhangSan.id } } } };
    expect((await h.call(h.admin, "PUT", "/v1/adapters/cc-civil-affairs-http", probed)).status).toBe(200);
    const proven = await json(await h.call(h.admin, "POST", "/v1/adapters/cc-civil-affairs-http/check"));
    expect(proven.body).toMatchObject({ ok: true, outcome: "passed" });
    expect(proven.body.steps[2]).toMatchObject({ step: "probe", status: "pass" });
  });

  it("an endpoint nobody listens on fails at reachability", async () => {
    const put = await h.call(h.admin, "PUT", "/v1/adapters/nowhere-http", { department: otherDept.id, kind: "http", evidenceTypes: [TYPE], config: { endpoint: "http://127.0.0.1:9/lookup", timeoutMs: 500 }, enabled: false });
    expect(put.status).toBe(201);
    const r = await json(await h.call(h.admin, "POST", "/v1/adapters/nowhere-http/check"));
    expect(r.body.steps.map((s: any) => [s.step, s.status])).toEqual([
      ["config", "pass"],
      ["reachability", "fail"],
      ["probe", "skip"],
      ["schema", "skip"],
      ["signature", "skip"],
    ]);
    expect((await json(await h.call(h.admin, "GET", "/v1/adapters/nowhere-http"))).body.state).toBe("disabled");
  });
});

describe("state, health and who may see what", () => {
  it("GET /v1/adapters shows each adapter's state and this process's recent lookups", async () => {
    const list = await json(await h.call(h.admin, "GET", "/v1/adapters"));
    const sql = list.body.adapters.find((a: any) => a.id === ID);
    expect(sql).toMatchObject({ state: "enabled", config: { connectionString: "(sealed)" }, health: { breaker: { state: "closed" } } });
    expect(sql.health.recent.lookups).toBeGreaterThanOrEqual(2);
    expect(sql.health.recent).toMatchObject({ failures: 0, errorRate: 0, latencyMs: { p50: expect.any(Number), p95: expect.any(Number) } });
    expect(list.body.adapters.find((a: any) => a.id === "cc-housing-fixture").state).toBe("enabled");
  });

  it("another department cannot see, check or take over the adapter; windows may not manage adapters", async () => {
    for (const [method, path] of [["GET", `/v1/adapters/${ID}`], ["GET", `/v1/adapters/${ID}/versions`], ["POST", `/v1/adapters/${ID}/check`]] as const) {
      expect((await h.call(otherDept, method, path)).status).toBe(404);
    }
    expect((await json(await h.call(otherDept, "GET", "/v1/adapters"))).body.adapters.map((a: any) => a.id)).toEqual(["nowhere-http"]);
    expect((await h.call(otherDept, "PUT", `/v1/adapters/${ID}`, { ...body(), department: otherDept.id })).status).toBe(403);
    const byWindow = await json(await h.call(w.window, "POST", `/v1/adapters/${ID}/check`));
    expect([byWindow.status, byWindow.body.type]).toEqual([403, "https://huren.dev/problems/forbidden-for-kind"]);
    expect((await h.call(h.admin, "POST", "/v1/adapters/no-such-adapter/check")).status).toBe(404);
  });

  it("logs no person id and no connection string", () => {
    const logs = h.logs.join("\n");
    expect(logs).not.toContain(DEMO_PEOPLE.zhangSan.id);
    expect(logs).not.toContain(new URL(front.readerUrl).password);
  });
});
