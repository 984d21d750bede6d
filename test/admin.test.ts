/** Members, catalog, adapters and policies through the admin API; bootstrap idempotence. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapters, members, policyVersions } from "../src/db/schema.ts";
import { applyBootstrap } from "../src/bootstrap.ts";
import { createHarness, type Harness } from "./harness.ts";
import { createWorld, DEMO_PEOPLE, type World } from "./world.ts";

let h: Harness;
let w: World;
beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
});
afterAll(async () => {
  await w?.close();
  await h?.close();
});

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });

describe("members", () => {
  it("PUT creates (201) then replaces (200); GET lists; a member's keys are shown to an admin only", async () => {
    const body = { kind: "auditor", name: "审计局 张审计", jwks: { keys: [w.window.publicJwk] } };
    expect((await json(await h.call(h.admin, "PUT", "/v1/members/cc-audit-01", body))).status).toBe(201);
    expect((await json(await h.call(h.admin, "PUT", "/v1/members/cc-audit-01", { ...body, name: "审计局" }))).body.name).toBe("审计局");
    const list = (await json(await h.call(h.admin, "GET", "/v1/members"))).body.members.map((m: any) => m.id);
    expect(list).toContain("cc-audit-01");
    const shown = await json(await h.call(h.admin, "GET", "/v1/members/cc-audit-01"));
    expect(shown.body.jwks.keys[0].kid).toBe(w.window.kid);
    // No public per-member JWKS (issue #10 §8): it told anyone which member ids exist.
    expect((await h.app.request("/v1/members/cc-audit-01/jwks")).status).toBe(404);
  });
  it("rejects private keys, bad ids and windows without a region", async () => {
    const withPrivate = { kind: "auditor", name: "x", jwks: { keys: [{ ...w.window.publicJwk, d: "AAAA" }] } };
    expect((await json(await h.call(h.admin, "PUT", "/v1/members/x-auditor", withPrivate))).status).toBe(400);
    expect((await json(await h.call(h.admin, "PUT", "/v1/members/Bad_ID", { kind: "auditor", name: "x", jwks: { keys: [] } }))).status).toBe(400);
    const r = await json(await h.call(h.admin, "PUT", "/v1/members/w-no-region", { kind: "window", name: "x", jwks: { keys: [] } }));
    expect(r.status).toBe(400);
    expect(r.body.errors[0].path).toBe("region");
  });
});

describe("catalog", () => {
  it("lists the five built-in types with JSON Schemas and registers a new one", async () => {
    const types = (await json(await h.call(w.window, "GET", "/v1/catalog/evidence-types"))).body.evidenceTypes;
    expect(types.filter((t: any) => t.builtin).map((t: any) => t.type).sort()).toEqual([
      "business-license.registration",
      "disability.certificate",
      "housing.no-property-proof",
      "social-insurance.record",
      "subsistence-allowance.certificate",
    ]);
    expect(types.find((t: any) => t.type === "disability.certificate").sensitivity).toBe("sensitive");
    const put = await json(await h.call(h.admin, "PUT", "/v1/catalog/evidence-types/household.registration", { name: "户籍证明", issuerKind: "public-security", sensitivity: "ordinary", claims: { type: "object", properties: { householdHead: { type: "boolean" } } }, defaultFields: [] }));
    expect(put.status).toBe(201);
    const builtin = await json(await h.call(h.admin, "PUT", "/v1/catalog/evidence-types/disability.certificate", { name: "x", issuerKind: "x", sensitivity: "ordinary", claims: { type: "object", properties: {} }, defaultFields: [] }));
    expect(builtin.status).toBe(409);
    expect(builtin.body.type).toBe("https://huren.dev/problems/builtin-type");
  });
  it("matters must list known evidence types", async () => {
    const r = await json(await h.call(h.admin, "PUT", "/v1/catalog/matters/220100-test", { name: "t", region: "220100", requirements: [{ evidenceType: "no.such-type", exempt: true }] }));
    expect(r.status).toBe(422);
  });
});

describe("adapters", () => {
  it("validates configs, never echoes fixture records, and stores no raw id", async () => {
    const bad = await json(await h.call(h.admin, "PUT", "/v1/adapters/bad-http", { department: "cc-housing", kind: "http", evidenceTypes: ["housing.no-property-proof"], config: { endpoint: "ftp://x", timeoutMs: 5 }, enabled: false }));
    expect(bad.status).toBe(422);
    expect(bad.body.errors.length).toBeGreaterThan(0);
    const list = (await json(await h.call(h.admin, "GET", "/v1/adapters"))).body.adapters;
    const fixture = list.find((a: any) => a.id === "cc-housing-fixture");
    expect(fixture.config.records).toBe("(sealed)");
    expect(JSON.stringify(list)).not.toContain(DEMO_PEOPLE.zhangSan.id);
    const rows = await h.deps.db.select().from(adapters);
    expect(JSON.stringify(rows)).not.toContain(DEMO_PEOPLE.zhangSan.id);
  });
  it("a department manages only its own adapters and sees only its own", async () => {
    const own = await json(await h.call(w.civilAffairs, "GET", "/v1/adapters"));
    expect(own.body.adapters.map((a: any) => a.id)).toEqual(["cc-civil-affairs-http"]);
    const other = await json(await h.call(w.civilAffairs, "PUT", "/v1/adapters/cc-housing-fixture", { department: "cc-housing", kind: "fixture", evidenceTypes: ["housing.no-property-proof"], config: { records: [] } }));
    expect(other.status).toBe(403);
    const hijack = await json(await h.call(w.civilAffairs, "PUT", "/v1/adapters/cc-housing-fixture", { department: "cc-civil-affairs", kind: "fixture", evidenceTypes: ["housing.no-property-proof"], config: { records: [] }, enabled: false }));
    expect(hijack.status).toBe(403);
  });
  it("409 when a second enabled adapter would answer for the same type in the same region", async () => {
    const r = await json(await h.call(h.admin, "PUT", "/v1/adapters/second-housing", { department: "cc-market-regulation", kind: "fixture", evidenceTypes: ["housing.no-property-proof"], config: { records: [] } }));
    expect(r.status).toBe(409);
  });
});

describe("bootstrap", () => {
  it("applied twice changes nothing: no new versions, no touched rows", async () => {
    const file = {
      members: [{ id: "boot-window", kind: "window", name: "Boot", region: "220102", jwks: { keys: [w.window.publicJwk] } }],
      matters: [{ code: "boot-matter", name: "Boot matter", region: "220100", requirements: [{ evidenceType: "housing.no-property-proof", exempt: true }] }],
      policies: [{ id: "boot-policy", evidenceType: "social-insurance.record", rules: [{ matters: ["boot-matter"], basis: "statutory", citation: "test", fields: [] }] }],
      adapters: [{ id: "boot-fixture", department: "cc-hrss", kind: "fixture", evidenceTypes: ["social-insurance.record"], config: { records: [] }, enabled: false }],
    };
    const first = await applyBootstrap(h.deps.db, h.deps.secrets, file);
    expect(first.changed.length).toBe(4);
    const snapshot = async () => JSON.stringify([await h.deps.db.select().from(members), await h.deps.db.select().from(adapters), await h.deps.db.select().from(policyVersions)]);
    const before = await snapshot();
    const second = await applyBootstrap(h.deps.db, h.deps.secrets, file);
    expect(second.changed).toEqual([]);
    expect(await snapshot()).toBe(before);
  });
  it("names the bad item when the file is invalid", async () => {
    await expect(applyBootstrap(h.deps.db, h.deps.secrets, { members: [{ id: "x-y", kind: "emperor", name: "x", jwks: { keys: [] } }] })).rejects.toThrow(/members\[0\]\.kind/);
  });
});
