import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, createHmac } from "node:crypto";
import { compactVerify, createLocalJWKSet, CompactSign, type JSONWebKeySet } from "jose";
import { eq } from "drizzle-orm";
import { createHarness, newKey, newJti, type Harness } from "./harness.ts";
import { createWorld, DEMO_PEOPLE, HOUSING, zhangSan, type World } from "./world.ts";
import { ledgerEntries } from "../src/db/schema.ts";
import { receiptSubjectMatches } from "../src/catalog/subject.ts";

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

async function verify(body: unknown) {
  const res = await h.call(w.window, "POST", "/v1/verifications", body);
  return { status: res.status, body: (await res.json()) as any };
}

describe("verification happy path", () => {
  it("verifies 低保 over HTTP and no-housing from a fixture, discloses only permitted fields, and signs a receipt", async () => {
    const { status, body } = await verify({
      matter: HOUSING,
      case: "NG-2026-000123",
      subject: zhangSan,
      evidence: [{ type: "subsistence-allowance.certificate", fields: ["validUntil"] }, { type: "housing.no-property-proof" }],
    });
    expect(status).toBe(200);
    expect(body.verificationId).toMatch(/^vf_[0-9A-Z]{26}$/);
    const [dibao, housing] = body.results;
    expect(dibao).toMatchObject({ type: "subsistence-allowance.certificate", status: "verified", source: "cc-civil-affairs-http" });
    expect(dibao.claims).toEqual({ valid: true, validUntil: "2027-06-30" });
    // No fields asked: the verdict only, whatever the fixture holds.
    expect(housing).toMatchObject({ type: "housing.no-property-proof", status: "verified", source: "cc-housing-fixture" });
    expect(housing.claims).toEqual({ valid: true });
    expect(w.department.calls).toBeGreaterThan(0);

    // The receipt verifies with the published JWKS and says what §3 says it says.
    const jwks = (await (await h.app.request("/.well-known/jwks.json")).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await compactVerify(body.receipt, createLocalJWKSet(jwks));
    expect(protectedHeader.typ).toBe("huren-receipt+jwt");
    const receipt = JSON.parse(new TextDecoder().decode(payload));
    expect(receipt).toMatchObject({ iss: "huren.test", aud: "nanguan-window-01", jti: body.verificationId, matter: HOUSING, case: "NG-2026-000123", uid: w.window.uid });
    expect(receipt.subject.masked).toBe(`${zhangSan.id.slice(0, 4)}**********${zhangSan.id.slice(-4)}`);
    // PROTOCOL v1.1 §3: a commitment keyed by the opening given beside the receipt, never inside it.
    expect(Object.keys(receipt.subject).sort()).toEqual(["commitment", "masked", "type"]);
    expect(Buffer.from(body.subjectOpening, "base64url")).toHaveLength(32);
    const commit = (id: string) => createHmac("sha256", Buffer.from(body.subjectOpening, "base64url")).update(`resident-id:${id}`).digest("base64url");
    expect(receipt.subject.commitment).toBe(commit(zhangSan.id));
    expect(receipt.subject.commitment).not.toBe(commit(DEMO_PEOPLE.liSi.id));
    expect(await receiptSubjectMatches(receipt.subject, zhangSan, body.subjectOpening)).toBe(true);
    expect(await receiptSubjectMatches(receipt.subject, { type: "resident-id", id: DEMO_PEOPLE.liSi.id }, body.subjectOpening)).toBe(false);
    expect(JSON.stringify(receipt)).not.toContain(body.subjectOpening);
    expect(receipt.results.map((r: any) => r.status)).toEqual(["verified", "verified"]);
    expect(receipt.ledger).toEqual(body.ledger);

    // The ledger entry is there, hashes to the leaf hash, and holds no raw id or name.
    const [row] = await h.deps.db.select().from(ledgerEntries).where(eq(ledgerEntries.idx, body.ledger.index));
    expect(row!.verificationId).toBe(body.verificationId);
    const leaf = createHash("sha256").update(Buffer.from([0])).update(row!.entryJson).digest("base64");
    expect(row!.leafHash).toBe(leaf);
    expect(body.ledger.leafHash).toBe(leaf);
    expect(row!.entryJson).not.toContain(zhangSan.id);
    expect(row!.entryJson).not.toContain(zhangSan.name);
    const entry = JSON.parse(row!.entryJson);
    expect(entry.items[0]).toMatchObject({ decision: "permit", basis: "statutory", policyVersion: "dibao@1", fields: ["validUntil"], status: "verified" });
  });

  it("asks for the matter's exempt list when evidence is omitted", async () => {
    const { status, body } = await verify({ matter: HOUSING, case: "NG-2", subject: zhangSan });
    expect(status).toBe(200);
    expect(body.results.map((r: any) => [r.type, r.status])).toEqual([
      ["subsistence-allowance.certificate", "verified"],
      ["housing.no-property-proof", "verified"],
    ]);
  });

  it("answers not_found, invalid (with certStatus) and mismatch", async () => {
    const wangWu = { type: "resident-id", id: DEMO_PEOPLE.wangWu.id };
    const liSi = { type: "resident-id", id: DEMO_PEOPLE.liSi.id };
    expect((await verify({ matter: HOUSING, case: "c", subject: wangWu, evidence: [{ type: "subsistence-allowance.certificate" }] })).body.results[0].status).toBe("not_found");
    const invalid = (await verify({ matter: HOUSING, case: "c", subject: liSi, evidence: [{ type: "subsistence-allowance.certificate", fields: ["validUntil"] }] })).body.results[0];
    expect(invalid).toMatchObject({ status: "invalid", claims: { valid: false, certStatus: "revoked" } });
    expect(invalid.claims.validUntil).toBeUndefined();
    const mismatch = (await verify({ matter: HOUSING, case: "c", subject: { ...zhangSan, name: "张三丰" }, evidence: [{ type: "subsistence-allowance.certificate", fields: ["validUntil"] }] })).body.results[0];
    expect(mismatch.status).toBe("mismatch");
    expect(mismatch.claims).toBeUndefined();
  });

  it("denies by policy with a stable reason, still 200, and asks no department", async () => {
    const before = w.department.calls;
    const { status, body } = await verify({
      matter: "220100-business-permit",
      case: "c",
      subject: zhangSan,
      evidence: [{ type: "subsistence-allowance.certificate" }],
    });
    expect(status).toBe(200);
    expect(body.results[0]).toEqual({ type: "subsistence-allowance.certificate", status: "denied", reason: "matter-not-allowed" });
    expect(w.department.calls).toBe(before);
    // Denied queries are ledgered like the rest.
    const [denied] = await h.deps.db.select().from(ledgerEntries).where(eq(ledgerEntries.idx, body.ledger.index));
    expect(JSON.parse(denied!.entryJson)).toMatchObject({ decision: "denied", items: [{ decision: "deny", reasons: ["matter-not-allowed"], status: "denied" }] });
    const disability = await verify({ matter: "220100-disability-living-subsidy", case: "c", subject: { type: "resident-id", id: DEMO_PEOPLE.zhaoLiu.id }, evidence: [{ type: "disability.certificate" }] });
    expect(disability.body.results[0]).toMatchObject({ status: "denied", reason: "consent-required" });
  });

  it("drops fields the policy does not allow", async () => {
    const { body } = await verify({ matter: HOUSING, case: "c", subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate", fields: ["monthlyAmount", "householdSize"] }] });
    expect(body.results[0].claims).toEqual({ valid: true, householdSize: 3 });
  });

  it("accepts an inline consent token from a consent collector for a sensitive type it names", async () => {
    const collector = await h.addMember("cc-consent-app", "consent-collector");
    const zhaoLiu = { type: "resident-id", id: DEMO_PEOPLE.zhaoLiu.id };
    const now = Math.floor(Date.now() / 1000);
    const token = await new CompactSign(
      new TextEncoder().encode(JSON.stringify({ iss: collector.id, iat: now, jti: newJti(), sub: zhaoLiu, grantee: "nanguan-window-01", matters: ["220100-disability-living-subsidy"], evidenceTypes: ["disability.certificate"], nbf: now - 10, exp: now + 600, maxUses: 1, method: "app", proof: "sha256:app-record-1" })),
    )
      .setProtectedHeader({ alg: "EdDSA", kid: collector.kid, typ: "huren-consent+jwt" })
      .sign(collector.privateKey);
    const { body } = await verify({ matter: "220100-disability-living-subsidy", case: "c", subject: zhaoLiu, evidence: [{ type: "disability.certificate", fields: ["disabilityLevel"] }], consent: token });
    expect(body.results[0]).toMatchObject({ status: "verified", claims: { valid: true, disabilityLevel: 3 } });

    // A token signed by a key the collector does not own is no consent at all.
    const stranger = await newKey();
    const forged = await new CompactSign(new TextEncoder().encode(JSON.stringify({ iss: collector.id, iat: now, jti: newJti(), sub: zhaoLiu, grantee: "nanguan-window-01", matters: ["*"], evidenceTypes: ["disability.certificate"], nbf: now, exp: now + 600, method: "app", proof: "x" })))
      .setProtectedHeader({ alg: "EdDSA", kid: collector.kid, typ: "huren-consent+jwt" })
      .sign(stranger.privateKey);
    const denied = await verify({ matter: "220100-disability-living-subsidy", case: "c", subject: zhaoLiu, evidence: [{ type: "disability.certificate" }], consent: forged });
    expect(denied.body.results[0]).toMatchObject({ status: "denied", reason: "consent-required" });
  });
});

describe("verification errors", () => {
  it("422 for an unknown matter or evidence type", async () => {
    const m = await verify({ matter: "no-such-matter", case: "c", subject: zhangSan });
    expect(m.status).toBe(422);
    expect(m.body.type).toBe("https://huren.dev/problems/unknown-matter");
    const t = await verify({ matter: HOUSING, case: "c", subject: zhangSan, evidence: [{ type: "no.such-type" }] });
    expect(t.status).toBe(422);
    expect(t.body.type).toBe("https://huren.dev/problems/unknown-evidence-type");
  });

  it("400 with errors[] for a resident id whose check digit is wrong", async () => {
    const bad = zhangSan.id.slice(0, 17) + (zhangSan.id.endsWith("0") ? "1" : "0");
    const res = await verify({ matter: HOUSING, case: "c", subject: { type: "resident-id", id: bad } });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe("https://huren.dev/problems/validation-failed");
    expect(res.body.errors.some((e: any) => e.path === "subject.id")).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain(bad);
  });
});
