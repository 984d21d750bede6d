/**
 * Policies over HTTP against the real database: both document forms, versions and the ledger's
 * policyVersion, the dry run (and that it touches nothing), cross-region recognition end to
 * end, and who may call what.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompactSign } from "jose";
import { count, eq } from "drizzle-orm";
import { createHarness, newJti, type Actor, type Harness } from "./harness.ts";
import { createWorld, DEMO_PEOPLE, HOUSING, zhangSan, type World } from "./world.ts";
import { consents, ledgerEntries, quotaCounters } from "../src/db/schema.ts";

let h: Harness;
let w: World;
let auditor: Actor;
let jilinWindow: Actor;
let collector: Actor;

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  auditor = await h.addMember("cc-audit-bureau", "auditor");
  jilinWindow = await h.addMember("jl-chuanying-window-01", "window", "220202");
  collector = await h.addMember("cc-consent-app", "consent-collector");
});
afterAll(async () => {
  await w?.close();
  await h?.close();
});

const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
const put = async (id: string, doc: unknown) => json(await h.call(h.admin, "PUT", `/v1/policies/${id}`, doc));
const evaluate = async (actor: Actor, body: unknown) => json(await h.call(actor, "POST", "/v1/policies/evaluate", body));
const entryOf = async (verificationId: string) => {
  const [row] = await h.deps.db.select().from(ledgerEntries).where(eq(ledgerEntries.verificationId, verificationId));
  return JSON.parse(row!.entryJson);
};
const noHousing = (window: Actor, caseRef = "RT-1") => h.call(window, "POST", "/v1/verifications", { matter: HOUSING, case: caseRef, subject: zhangSan, evidence: [{ type: "housing.no-property-proof", fields: ["propertyCount"] }] }).then(json);

describe("managing policies", () => {
  it("a department document: created, versioned with a hash, each version kept for auditors", async () => {
    const doc = {
      department: "cc-hrss",
      description: "人社局: 社保参保缴费记录",
      serviceHours: [{ days: [1, 2, 3, 4, 5, 6, 7], from: "00:00", to: "24:00" }],
      evidenceTypes: { "social-insurance.record": { rules: [{ matters: ["220100-disability-living-subsidy"], basis: "consent", fields: ["contributionMonths"] }] } },
    };
    const created = await put("cc-hrss", doc);
    expect(created).toMatchObject({ status: 201, body: { id: "cc-hrss", version: 1, hash: expect.stringMatching(/^[\w-]{43}$/) } });
    expect((await put("cc-hrss", doc)).body.version).toBe(1);
    const changed = await put("cc-hrss", { ...doc, quotas: { perWindowPerHour: 100 } });
    expect(changed).toMatchObject({ status: 200, body: { version: 2 } });
    expect(changed.body.hash).not.toBe(created.body.hash);
    for (const reader of [h.admin, auditor]) {
      const v1 = await json(await h.call(reader, "GET", "/v1/policies/cc-hrss/versions/1"));
      expect(v1.body).toMatchObject({ version: 1, hash: created.body.hash, document: doc });
    }
    expect((await json(await h.call(auditor, "GET", "/v1/policies/cc-hrss/versions/9"))).status).toBe(404);
    expect((await json(await h.call(w.window, "GET", "/v1/policies/cc-hrss/versions/1"))).status).toBe(403);
  });

  it("422 for what the catalog does not know: a department, an evidence type, a claim", async () => {
    const unknownDept = await put("x-dept", { department: "cc-nobody", evidenceTypes: { "social-insurance.record": { rules: [{ matters: ["*"], basis: "consent" }] } } });
    expect(unknownDept).toMatchObject({ status: 422, body: { type: "https://huren.dev/problems/unknown-member" } });
    const notADept = await put("x-dept", { department: w.window.id, evidenceTypes: { "social-insurance.record": { rules: [{ matters: ["*"], basis: "consent" }] } } });
    expect(notADept.status).toBe(422);
    const unknownType = await put("x-type", { evidenceType: "no.such-type", rules: [{ matters: ["*"], basis: "consent" }] });
    expect(unknownType.body.type).toBe("https://huren.dev/problems/unknown-evidence-type");
    const badField = await put("x-field", { evidenceType: "housing.no-property-proof", rules: [{ matters: ["*"], basis: "consent", fields: ["propertyCount", "ownerName"] }] });
    expect(badField).toMatchObject({ status: 422, body: { type: "https://huren.dev/problems/invalid-policy", errors: [{ path: "rules.0.fields.1" }] } });
    const malformed = await put("x-bad", { department: "cc-hrss" });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors.map((e: any) => e.path)).toContain("evidenceTypes");
  });

  it("each ledger entry records the version that decided it", async () => {
    const before = await noHousing(w.window);
    expect((await entryOf(before.body.verificationId)).items[0]).toMatchObject({ policyVersion: "no-property@1", basis: "statutory", citation: "《公共租赁住房管理办法》第七条" });
    await put("no-property", { evidenceType: "housing.no-property-proof", rules: [{ matters: [HOUSING], basis: "statutory", citation: "《公共租赁住房管理办法》第七条（修订）", fields: ["propertyCount"] }] });
    const after = await noHousing(w.window);
    expect((await entryOf(after.body.verificationId)).items[0]).toMatchObject({ policyVersion: "no-property@2", citation: "《公共租赁住房管理办法》第七条（修订）" });
  });
});

describe("cross-region recognition, end to end", () => {
  it("a Jilin window gets Changchun's certificate only once an agreement in policy recognises it", async () => {
    const callsBefore = w.department.calls;
    const refused = await noHousing(jilinWindow);
    expect(refused.body.results[0]).toEqual({ type: "housing.no-property-proof", status: "denied", reason: "region-not-recognised" });
    expect((await entryOf(refused.body.verificationId)).items[0]).toMatchObject({ decision: "deny", issuerRegion: "220100", source: null, reasons: ["region-not-recognised"] });

    const citation = "《长吉政务服务跨城通办合作协议》";
    await put("no-property", { evidenceType: "housing.no-property-proof", agreements: [{ citation, requesterRegions: ["220200"], issuerRegions: ["220100"] }], rules: [{ matters: [HOUSING], basis: "statutory", citation: "c", fields: ["propertyCount"] }] });
    const recognised = await noHousing(jilinWindow);
    expect(recognised.body.results[0]).toMatchObject({ status: "verified", source: "cc-housing-fixture", claims: { valid: true, propertyCount: 0 } });
    expect((await entryOf(recognised.body.verificationId)).items[0]).toMatchObject({ issuerRegion: "220100", agreement: citation, decision: "permit" });
    expect(w.department.calls).toBe(callsBefore);
  });

  it("with nobody to ask anywhere, a permitted item is unavailable (no-adapter), not denied", async () => {
    await h.call(h.admin, "PUT", "/v1/catalog/evidence-types/household.registration", { name: "户籍证明", issuerKind: "public-security", sensitivity: "ordinary", claims: { type: "object", properties: { householdHead: { type: "boolean" } } }, defaultFields: [] });
    await put("household", { evidenceType: "household.registration", rules: [{ matters: ["*"], basis: "statutory", citation: "《户口登记条例》" }] });
    const r = await json(await h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "NA", subject: zhangSan, evidence: [{ type: "household.registration" }] }));
    expect(r.body.results[0]).toMatchObject({ status: "unavailable", reason: "no-adapter" });
  });
});

describe("dry run: POST /v1/policies/evaluate", () => {
  const snapshot = async () => ({
    ledger: (await h.deps.db.select({ n: count() }).from(ledgerEntries))[0]!.n,
    quotas: (await h.deps.db.select({ n: count() }).from(quotaCounters))[0]!.n,
    consents: (await h.deps.db.select({ n: count() }).from(consents))[0]!.n,
    departmentCalls: w.department.calls,
  });

  it("explains a permit and a denial, for admin and auditor alike", async () => {
    for (const actor of [h.admin, auditor]) {
      const r = await evaluate(actor, { requester: w.window.id, uid: "clerk-1", matter: "220100-disability-living-subsidy" });
      expect(r.status).toBe(200);
      const byType = Object.fromEntries(r.body.items.map((i: any) => [i.type, i]));
      expect(byType["subsistence-allowance.certificate"]).toMatchObject({ permit: true, basis: "statutory", policyVersion: "dibao@1", adapter: "cc-civil-affairs-http", issuerRegion: "220100" });
      expect(byType["disability.certificate"]).toMatchObject({ permit: false, reasons: ["consent-required"], explanations: [expect.stringContaining("consent")], policyVersion: "disability@1" });
    }
  });

  it("asks no department, writes no ledger entry, takes no quota, registers no consent", async () => {
    await put("disability", { evidenceType: "disability.certificate", quotas: { perWindowPerHour: 1 }, rules: [{ matters: ["220100-disability-living-subsidy"], basis: "consent", fields: ["disabilityLevel", "validUntil"] }] });
    const now = Math.floor(Date.now() / 1000);
    const zhaoLiu = { type: "resident-id", id: DEMO_PEOPLE.zhaoLiu.id };
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify({ iss: collector.id, iat: now, jti: newJti(), sub: zhaoLiu, grantee: w.window.id, matters: ["*"], evidenceTypes: ["disability.certificate"], nbf: now - 5, exp: now + 600, maxUses: 1, method: "app", proof: "p" })))
      .setProtectedHeader({ alg: "EdDSA", kid: collector.kid, typ: "huren-consent+jwt" })
      .sign(collector.privateKey);
    const before = await snapshot();
    for (let i = 0; i < 3; i++) {
      const r = await evaluate(auditor, { requester: w.window.id, uid: "clerk-1", matter: "220100-disability-living-subsidy", subject: zhaoLiu, consent: token, evidence: [{ type: "disability.certificate", fields: ["disabilityLevel", "certificateNo"] }, { type: "subsistence-allowance.certificate" }] });
      expect(r.body.items[0]).toMatchObject({ permit: true, basis: "consent", fields: ["disabilityLevel"], reasons: ["field-not-disclosable"] });
      expect(r.body.consent).toMatchObject({ problem: null });
    }
    expect(await snapshot()).toEqual(before);
  });

  it("answers 'what if': at another time, for a certificate issued elsewhere", async () => {
    await put("no-property", { evidenceType: "housing.no-property-proof", serviceHours: [{ days: [1, 2, 3, 4, 5], from: "08:30", to: "17:00" }], rules: [{ matters: [HOUSING], basis: "statutory", citation: "c" }] });
    const saturday = await evaluate(h.admin, { requester: w.window.id, matter: HOUSING, evidence: [{ type: "housing.no-property-proof" }], at: "2026-11-28T10:00:00+08:00" });
    expect(saturday.body).toMatchObject({ at: "2026-11-28T02:00:00.000Z", items: [{ permit: false, reasons: ["outside-service-hours"] }] });
    const monday = await evaluate(h.admin, { requester: w.window.id, matter: HOUSING, evidence: [{ type: "housing.no-property-proof" }], at: "2026-11-30T10:00:00+08:00" });
    expect(monday.body.items[0].permit).toBe(true);
    const elsewhere = await evaluate(h.admin, { requester: w.window.id, matter: HOUSING, evidence: [{ type: "housing.no-property-proof" }], at: "2026-11-30T10:00:00+08:00", issuerRegion: "110105" });
    expect(elsewhere.body.items[0]).toMatchObject({ permit: false, reasons: ["region-not-recognised"], issuerRegion: "110105", adapter: null });
  });

  it("caller mistakes are problems, never 500s; windows and others may not dry-run", async () => {
    expect((await evaluate(h.admin, { requester: "nobody-window", matter: HOUSING })).body.type).toBe("https://huren.dev/problems/unknown-member");
    expect((await evaluate(h.admin, { requester: w.civilAffairs.id, matter: HOUSING })).status).toBe(422);
    expect((await evaluate(h.admin, { requester: w.window.id, matter: "no-such-matter" })).body.type).toBe("https://huren.dev/problems/unknown-matter");
    const noSubject = await evaluate(h.admin, { requester: w.window.id, matter: HOUSING, consent: "consent-id-0000000001" });
    expect(noSubject).toMatchObject({ status: 400, body: { errors: [{ path: "subject" }] } });
    expect((await evaluate(h.admin, { requester: w.window.id, matter: HOUSING, at: "yesterday" })).status).toBe(400);
    for (const actor of [w.window, w.civilAffairs, collector]) {
      const r = await evaluate(actor, { requester: w.window.id, matter: HOUSING });
      expect(r).toMatchObject({ status: 403, body: { type: "https://huren.dev/problems/forbidden-for-kind" } });
    }
  });

  it("auditors never query certificates; windows never read policies", async () => {
    const r = await json(await h.call(auditor, "POST", "/v1/verifications", { matter: HOUSING, case: "A", subject: zhangSan }));
    expect(r.status).toBe(403);
    for (const path of ["/v1/policies", "/v1/policies/dibao"]) expect((await json(await h.call(w.window, "GET", path))).status).toBe(403);
  });

  it("is in the OpenAPI document with the consent routes", async () => {
    const doc = (await (await h.app.request("/openapi.json")).json()) as any;
    for (const p of ["/v1/policies/evaluate", "/v1/policies/{id}/versions/{version}", "/v1/consents", "/v1/consents/{id}", "/v1/consents/{id}/revoke"]) expect(doc.paths[p], p).toBeDefined();
  });
});
