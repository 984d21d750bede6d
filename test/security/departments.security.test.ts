/**
 * Departments answer only for what they were granted (PROTOCOL §4, issue #10 point 1). The
 * attack that opened the issue: a district bureau registered an http adapter for 低保, windows in
 * its district were routed to it, and its invented answers went out in gateway-signed receipts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sql } from "drizzle-orm";
import type { JSONWebKeySet } from "jose";
import { createApp, type HurenApp } from "../../src/app.ts";
import { assembleDeps } from "../../src/entry/assemble.ts";
import { connectPostgres } from "../../src/db/postgres.ts";
import { createUndiciHttpClient } from "../../src/http/undici-client.ts";
import { applyBootstrap } from "../../src/bootstrap.ts";
import { putAdapter } from "../../src/sources/register.ts";
import { startDepartmentServer, type RunningDepartment } from "../../src/demo/department-server.ts";
import { CIVIL_AFFAIRS_RECORDS } from "../../src/demo/data.ts";
import { createHarness, GATEWAY_ID, signRequest, type Actor, type Harness } from "../harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "../world.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const DIBAO = "subsistence-allowance.certificate";
const HOUSING_PROOF = "housing.no-property-proof";
const CITY_ADAPTER = "cc-civil-affairs-http";

let h: Harness;
let w: World;
/** The district bureau of the attack: a department, but of housing, not of 低保. */
let district: Actor;
let forged: RunningDepartment;

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  district = await h.addMember("nanguan-housing-bureau", "department", "220102", { grants: { evidenceTypes: [HOUSING_PROOF], hosts: ["127.0.0.1"] } });
  // Its server answers "verified" for anyone it is asked about: the invented answers.
  forged = await startDepartmentServer({ department: district.id, gatewayId: GATEWAY_ID, gatewayKeys: () => h.deps.keys.jwks() as Promise<JSONWebKeySet>, records: CIVIL_AFFAIRS_RECORDS });
});
afterAll(async () => {
  await forged?.close();
  await w?.close();
  await h?.close();
});

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
const forgedAdapter = (enabled = true) => ({ department: district.id, kind: "http", evidenceTypes: [DIBAO], config: { endpoint: forged.url, answerSignature: "none", timeoutMs: 1000 }, enabled });
const verifyWith = async (app: HurenApp) => {
  const text = JSON.stringify({ matter: HOUSING, case: "SEC-D1", subject: zhangSan, evidence: [{ type: DIBAO }] });
  const token = await signRequest(w.window, "POST", "/v1/verifications", text);
  const res = await app.request("/v1/verifications", { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: text });
  return ((await res.json()) as any).results[0] as { status: string; source?: string };
};
const districtBody = async (grants: { evidenceTypes: string[]; hosts: string[] }, enabled = true) => {
  const m = (await json(await h.call(h.admin, "GET", `/v1/members/${district.id}`))).body;
  return { kind: "department", name: m.name, region: m.region, jwks: m.jwks, enabled, grants };
};

describe("the 低保 attack", () => {
  it("a district department cannot register an adapter for a type it was not granted: 403 evidence-type-not-granted", async () => {
    const r = await json(await h.call(district, "PUT", "/v1/adapters/nanguan-dibao", forgedAdapter()));
    expect([r.status, r.body.type]).toEqual([403, "https://huren.dev/problems/evidence-type-not-granted"]);
    expect(r.body.errors).toEqual([{ path: "evidenceTypes.0", message: "evidence type not granted" }]);
    expect((await h.call(h.admin, "GET", "/v1/adapters/nanguan-dibao")).status).toBe(404);
    // Windows in its district are still answered by the city's civil affairs.
    expect(await verifyWith(h.app)).toMatchObject({ status: "verified", source: CITY_ADAPTER });
    expect(forged.calls).toBe(0);
  });

  it("nor can it grant itself the type: members are the admin's (403 forbidden-for-kind)", async () => {
    const r = await json(await h.call(district, "PUT", `/v1/members/${district.id}`, await districtBody({ evidenceTypes: [HOUSING_PROOF, DIBAO], hosts: ["127.0.0.1"] })));
    expect([r.status, r.body.type]).toEqual([403, "https://huren.dev/problems/forbidden-for-kind"]);
    expect((await json(await h.call(h.admin, "GET", `/v1/members/${district.id}`))).body.grants.evidenceTypes).toEqual([HOUSING_PROOF]);
  });

  it("an adapter an admin registered for an ungranted type is never asked, and says so", async () => {
    expect((await h.call(h.admin, "PUT", "/v1/adapters/nanguan-dibao", forgedAdapter())).status).toBe(201);
    expect(await verifyWith(h.app)).toMatchObject({ status: "verified", source: CITY_ADAPTER });
    expect(forged.calls).toBe(0);
    expect((await json(await h.call(h.admin, "GET", "/v1/adapters/nanguan-dibao"))).body).toMatchObject({ state: "not-granted", notGranted: [DIBAO] });
  });
});

describe("grants take effect at once", () => {
  it("granted, the district answers its district; revoked, the resolver stops routing to it on the next request", async () => {
    expect((await h.call(h.admin, "PUT", `/v1/members/${district.id}`, await districtBody({ evidenceTypes: [HOUSING_PROOF, DIBAO], hosts: ["127.0.0.1"] }))).status).toBe(200);
    expect(await verifyWith(h.app)).toMatchObject({ status: "verified", source: "nanguan-dibao" });
    expect(forged.calls).toBe(1);
    expect((await json(await h.call(district, "GET", "/v1/adapters/nanguan-dibao"))).body).toMatchObject({ state: "enabled", notGranted: [] });
    expect((await h.call(h.admin, "PUT", `/v1/members/${district.id}`, await districtBody({ evidenceTypes: [HOUSING_PROOF], hosts: ["127.0.0.1"] }))).status).toBe(200);
    expect(await verifyWith(h.app)).toMatchObject({ status: "verified", source: CITY_ADAPTER });
    expect(forged.calls).toBe(1);
  });

  it("a disabled department is not routed to, granted or not", async () => {
    expect((await h.call(h.admin, "PUT", `/v1/members/${district.id}`, await districtBody({ evidenceTypes: [HOUSING_PROOF, DIBAO], hosts: ["127.0.0.1"] }, false))).status).toBe(200);
    expect(await verifyWith(h.app)).toMatchObject({ status: "verified", source: CITY_ADAPTER });
    expect(forged.calls).toBe(1);
    expect((await h.call(h.admin, "PUT", `/v1/members/${district.id}`, await districtBody({ evidenceTypes: [HOUSING_PROOF], hosts: ["127.0.0.1"] }))).status).toBe(200);
  });

  it("a PUT without grants (a key rotation) keeps them; grants belong to departments only", async () => {
    const { grants: _, ...rotation } = await districtBody({ evidenceTypes: [], hosts: [] });
    const kept = await json(await h.call(h.admin, "PUT", `/v1/members/${district.id}`, rotation));
    expect(kept.body.grants).toEqual({ evidenceTypes: [HOUSING_PROOF], hosts: ["127.0.0.1"] });
    const onWindow = await json(await h.call(h.admin, "PUT", "/v1/members/grants-window", { kind: "window", name: "w", region: "220102", jwks: { keys: [] }, grants: { evidenceTypes: [DIBAO], hosts: [] } }));
    expect([onWindow.status, onWindow.body.errors]).toEqual([400, [{ path: "grants", message: "only departments carry grants" }]]);
    for (const hosts of [["*.gov.cn"], ["10.1.2.3/8"], ["Dept.Example"], ["fe80::/64"], ["a", "a"]]) {
      const r = await h.call(h.admin, "PUT", `/v1/members/${district.id}`, await districtBody({ evidenceTypes: [HOUSING_PROOF], hosts }));
      expect(r.status, JSON.stringify(hosts)).toBe(400);
    }
    const listed = (await json(await h.call(h.admin, "GET", "/v1/members"))).body.members;
    expect(listed.find((m: any) => m.id === district.id).grants).toEqual({ evidenceTypes: [HOUSING_PROOF], hosts: ["127.0.0.1"] });
    expect(listed.find((m: any) => m.id === w.window.id)).not.toHaveProperty("grants");
  });
});

describe("the bootstrap file and upgrades", () => {
  it("the bootstrap file carries grants and stays idempotent", async () => {
    const file = { members: [{ id: "boot-dept", kind: "department", name: "boot", region: "220104", jwks: { keys: [] }, grants: { evidenceTypes: [DIBAO], hosts: ["dept.example.gov.cn"] } }] };
    expect((await applyBootstrap(h.deps.db, h.deps.secrets, file)).changed).toEqual(["member boot-dept"]);
    expect((await applyBootstrap(h.deps.db, h.deps.secrets, file)).changed).toEqual([]);
    expect((await json(await h.call(h.admin, "GET", "/v1/members/boot-dept"))).body.grants).toEqual(file.members[0]!.grants);
  });

  it("the migration grants existing departments what their adapters already use (http hosts; sql kept as beyond the grant)", async () => {
    const db = h.deps.db;
    await putAdapter(h.deps.db, h.deps.secrets, "legacy-http", { department: "boot-dept", kind: "http", evidenceTypes: [DIBAO, HOUSING_PROOF], config: { endpoint: "https://Legacy.Example.gov.cn:8443/lookup" }, enabled: false });
    await putAdapter(h.deps.db, h.deps.secrets, "legacy-v6", { department: "boot-dept", kind: "http", evidenceTypes: [DIBAO], config: { endpoint: "http://[fd12::5]/lookup" }, enabled: false });
    // As before the upgrade: no grants at all.
    await db.execute(sql`update members set grants = null where id = 'boot-dept'`);
    await db.execute(sql`update adapters set beyond_grants = false`);
    const migration = await readFile(`${ROOT}drizzle/0010_department_grants.sql`, "utf8");
    for (const statement of migration.split("--> statement-breakpoint").filter((s) => /^\s*(--.*\n\s*)*UPDATE/i.test(s))) await db.execute(sql.raw(statement));
    const grants = (await json(await h.call(h.admin, "GET", "/v1/members/boot-dept"))).body.grants;
    expect(grants).toEqual({ evidenceTypes: [HOUSING_PROOF, DIBAO].sort(), hosts: ["fd12::5", "legacy.example.gov.cn"] });
  });
});

describe("putAdapter's region check cannot race", () => {
  it("of two concurrent registrations for one type in one region, exactly one is enabled", async () => {
    for (const round of [1, 2, 3]) {
      const region = `22011${round}`;
      const a = await h.addMember(`race-a-${round}`, "department", region);
      const b = await h.addMember(`race-b-${round}`, "department", region);
      const body = (d: Actor) => ({ department: d.id, kind: "fixture", evidenceTypes: [DIBAO], config: { records: [] }, enabled: true });
      const results = await Promise.all([h.call(a, "PUT", `/v1/adapters/race-a-${round}`, body(a)), h.call(b, "PUT", `/v1/adapters/race-b-${round}`, body(b))]);
      expect(results.map((r) => r.status).sort(), `round ${round}`).toEqual([201, 409]);
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)("across gateway processes (PostgreSQL)", () => {
  let b: { app: HurenApp; close(): Promise<void> };
  beforeAll(async () => {
    const deps = await assembleDeps({ gatewayId: GATEWAY_ID, database: connectPostgres({ url: h.databaseUrl!, max: 3 }), secret: h.secret, http: createUndiciHttpClient(), logger: { info() {}, error() {} } });
    b = { app: createApp(deps), close: () => deps.close() };
  });
  afterAll(async () => {
    await b?.close();
  });
  const eventually = async (app: HurenApp, source: string, ms = 5_000) => {
    for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) if ((await verifyWith(app)).source === source) return source;
    return (await verifyWith(app)).source;
  };

  it("a grant revoked through gateway A stops gateway B routing to the department", async () => {
    expect((await h.call(h.admin, "PUT", `/v1/members/${district.id}`, await districtBody({ evidenceTypes: [HOUSING_PROOF, DIBAO], hosts: ["127.0.0.1"] }))).status).toBe(200);
    expect(await eventually(b.app, "nanguan-dibao")).toBe("nanguan-dibao");
    expect((await h.call(h.admin, "PUT", `/v1/members/${district.id}`, await districtBody({ evidenceTypes: [HOUSING_PROOF], hosts: ["127.0.0.1"] }))).status).toBe(200);
    expect(await eventually(b.app, CITY_ADAPTER)).toBe(CITY_ADAPTER);
  });

  it("a grant revoked by another process (through the store) reaches both gateways", async () => {
    expect((await h.call(h.admin, "PUT", `/v1/members/${district.id}`, await districtBody({ evidenceTypes: [HOUSING_PROOF, DIBAO], hosts: ["127.0.0.1"] }))).status).toBe(200);
    expect(await eventually(b.app, "nanguan-dibao")).toBe("nanguan-dibao");
    expect(await eventually(h.app, "nanguan-dibao")).toBe("nanguan-dibao");
    const script = `
      const { connectPostgres } = await import(process.env.ROOT + "src/db/postgres.ts");
      const { getMember, putMember } = await import(process.env.ROOT + "src/members/members.ts");
      const database = connectPostgres({ url: process.env.URL, max: 1 });
      try {
        const m = await getMember(database.db, process.env.ID);
        await putMember(database.db, m.id, { kind: m.kind, name: m.name, region: m.region, jwks: m.jwks, enabled: m.enabled, grants: { evidenceTypes: [], hosts: [] } });
      } finally { await database.close(); }`;
    await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, env: { ...process.env, ROOT, URL: h.databaseUrl!, ID: district.id } });
    expect(await eventually(h.app, CITY_ADAPTER)).toBe(CITY_ADAPTER);
    expect(await eventually(b.app, CITY_ADAPTER)).toBe(CITY_ADAPTER);
  });
});
