/**
 * Consent (§6) over HTTP against the real database: registration, visibility, revocation,
 * states, uses ledgered with the consent id, maxUses under concurrency, the 503 rule, and no
 * raw person id at rest.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompactSign } from "jose";
import { eq, sql } from "drizzle-orm";
import { createHarness, newJti, newKey, type Actor, type Harness } from "./harness.ts";
import { createWorld, DEMO_PEOPLE, type World } from "./world.ts";
import { consents, consentUses, ledgerEntries } from "../src/db/schema.ts";
import { sha256b64url } from "../src/crypto/encoding.ts";

let h: Harness;
let w: World;
let collector: Actor;
let otherCollector: Actor;
let otherWindow: Actor;

const SUBSIDY = "220100-disability-living-subsidy";
const DISABILITY = "disability.certificate";
const zhaoLiu = { type: "resident-id", id: DEMO_PEOPLE.zhaoLiu.id } as const;
const zhangSan = { type: "resident-id", id: DEMO_PEOPLE.zhangSan.id } as const;

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  collector = await h.addMember("cc-zhengwu-app", "consent-collector");
  otherCollector = await h.addMember("cc-other-app", "consent-collector");
  otherWindow = await h.addMember("chaoyang-window-02", "window", "220104");
});
afterAll(async () => {
  await w?.close();
  await h?.close();
});

const nowS = () => Math.floor(Date.now() / 1000);
async function consentToken(issuer: Actor, claims: Record<string, unknown> = {}, options: { key?: Actor["privateKey"]; typ?: string } = {}) {
  const payload = { iss: issuer.id, iat: nowS(), jti: newJti(), sub: zhaoLiu, grantee: w.window.id, matters: [SUBSIDY], evidenceTypes: [DISABILITY], nbf: nowS() - 10, exp: nowS() + 3600, method: "app", proof: "sha256:app-record-1", ...claims };
  const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: "EdDSA", kid: issuer.kid, typ: options.typ ?? "huren-consent+jwt" }).sign(options.key ?? issuer.privateKey);
  return { token, id: payload.jti as string };
}
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });
const register = async (actor: Actor, token: string) => json(await h.call(actor, "POST", "/v1/consents", { token }));
const show = async (actor: Actor, id: string) => json(await h.call(actor, "GET", `/v1/consents/${id}`));
const revoke = async (actor: Actor, id: string) => json(await h.call(actor, "POST", `/v1/consents/${id}/revoke`));
const verifyDisability = async (consent: string | undefined, subject: { type: string; id: string } = zhaoLiu, window: Actor = w.window) =>
  json(await h.call(window, "POST", "/v1/verifications", { matter: SUBSIDY, case: "CS-1", subject, evidence: [{ type: DISABILITY, fields: ["disabilityLevel"] }], ...(consent ? { consent } : {}) }));
const entryOf = async (verificationId: string) => {
  const [row] = await h.deps.db.select().from(ledgerEntries).where(eq(ledgerEntries.verificationId, verificationId));
  return JSON.parse(row!.entryJson);
};

describe("registering", () => {
  it("201 with the id and state; the same token again 200; another token under that id 409", async () => {
    const { token, id } = await consentToken(collector, { maxUses: 3 });
    const first = await register(collector, token);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ id, issuer: collector.id, state: "active", grantee: w.window.id, maxUses: 3, useCount: 0, uses: [], tokenHash: await sha256b64url(token) });
    expect((await register(collector, token)).status).toBe(200);
    const clash = await consentToken(collector, { jti: id, maxUses: 1000 });
    const conflict = await register(collector, clash.token);
    expect(conflict.status).toBe(409);
    expect(conflict.body.type).toBe("https://huren.dev/problems/conflict");
  });

  it("a window registers a consent it collected at its counter, granted to itself", async () => {
    const { token } = await consentToken(w.window, { method: "counter-signature", proof: "sha256:signed-form" });
    expect((await register(w.window, token)).status).toBe(201);
  });

  it("an expired token registers as expired", async () => {
    const { token } = await consentToken(collector, { nbf: nowS() - 7200, exp: nowS() - 3600 });
    expect((await register(collector, token)).body.state).toBe("expired");
  });

  it("only the issuer registers its token (403 forbidden); other kinds may not call at all", async () => {
    const { token } = await consentToken(collector);
    const r = await register(w.window, token);
    expect(r.status).toBe(403);
    expect(r.body.type).toBe("https://huren.dev/problems/forbidden");
    const auditor = await h.addMember("cc-auditor-consents", "auditor");
    for (const actor of [h.admin, auditor, w.civilAffairs]) {
      for (const [method, path, body] of [["POST", "/v1/consents", { token }], ["GET", "/v1/consents/consent-does-not-exist"], ["POST", "/v1/consents/consent-does-not-exist/revoke"]] as const) {
        const res = await json(await h.call(actor, method, path, body));
        expect(res.status, `${actor.kind} ${method} ${path}`).toBe(403);
        expect(res.body.type).toBe("https://huren.dev/problems/forbidden-for-kind");
      }
    }
  });

  const invalid: [string, () => Promise<string>, string][] = [
    ["signed by a key the issuer does not own", async () => (await consentToken(collector, {}, { key: (await newKey()).privateKey })).token, "signature"],
    ["of the wrong typ", async () => (await consentToken(collector, {}, { typ: "JWT" })).token, "typ"],
    ["for an id with a wrong check digit", async () => (await consentToken(collector, { sub: { type: "resident-id", id: zhaoLiu.id.slice(0, 17) + (zhaoLiu.id.endsWith("0") ? "1" : "0") } })).token, "sub.id"],
    ["that ends before it starts", async () => (await consentToken(collector, { nbf: nowS(), exp: nowS() - 1 })).token, "exp"],
    ["from a window granting another window", async () => (await consentToken(w.window, { grantee: otherWindow.id })).token, "a window may only"],
  ];
  for (const [name, make, hint] of invalid) {
    it(`422 consent-invalid for a token ${name}, without echoing the person`, async () => {
      const r = await register(name.includes("window") ? w.window : collector, await make());
      expect(r.status).toBe(422);
      expect(r.body.type).toBe("https://huren.dev/problems/consent-invalid");
      expect(r.body.detail).toContain(hint);
      expect(JSON.stringify(r.body)).not.toContain(zhaoLiu.id.slice(0, 17));
    });
  }

  it("400 for a body that is not { token }", async () => {
    expect((await json(await h.call(collector, "POST", "/v1/consents", { jwt: "x" }))).status).toBe(400);
  });
});

describe("visibility and revocation", () => {
  it("only the issuer sees a consent; everyone else is told it does not exist", async () => {
    const { token, id } = await consentToken(collector);
    await register(collector, token);
    expect((await show(collector, id)).status).toBe(200);
    for (const stranger of [otherCollector, w.window, otherWindow]) expect((await show(stranger, id)).status).toBe(404);
    expect((await show(collector, "consent-never-registered-1")).status).toBe(404);
  });

  it("the issuer or any consent collector revokes; another window cannot; revoking is idempotent", async () => {
    const { token, id } = await consentToken(w.window);
    await register(w.window, token);
    expect((await revoke(otherWindow, id)).status).toBe(404);
    expect((await show(w.window, id)).body.state).toBe("active");
    const r = await revoke(otherCollector, id);
    expect(r).toMatchObject({ status: 200, body: { id, state: "revoked", revokedBy: otherCollector.id } });
    const again = await revoke(w.window, id);
    expect(again.body).toMatchObject({ state: "revoked", revokedBy: otherCollector.id, revokedAt: r.body.revokedAt });
    expect((await show(w.window, id)).body).toMatchObject({ state: "revoked", revokedBy: otherCollector.id });
  });
});

describe("using consents in verifications", () => {
  it("a registered id: each use ledgered with the consent id and shown with its ledger index; exhausted after maxUses", async () => {
    const { token, id } = await consentToken(collector, { maxUses: 2 });
    await register(collector, token);
    const used = [];
    for (let i = 0; i < 2; i++) {
      const r = await verifyDisability(id);
      expect(r.body.results[0]).toMatchObject({ status: "verified", claims: { valid: true, disabilityLevel: 3 } });
      const entry = await entryOf(r.body.verificationId);
      expect(entry).toMatchObject({ consent: id, consentUsed: true });
      expect(entry.items[0]).toMatchObject({ basis: "consent", policyVersion: "disability@1", fields: ["disabilityLevel"] });
      used.push({ verificationId: r.body.verificationId, ledgerIndex: r.body.ledger.index });
    }
    const third = await verifyDisability(id);
    expect(third.body.results[0]).toEqual({ type: DISABILITY, status: "denied", reason: "consent-exhausted" });
    expect(await entryOf(third.body.verificationId)).toMatchObject({ consent: id, consentUsed: false, items: [{ reasons: ["consent-exhausted"] }] });
    const view = (await show(collector, id)).body;
    expect(view).toMatchObject({ state: "exhausted", useCount: 2 });
    expect(view.uses.map((u: any) => ({ verificationId: u.verificationId, ledgerIndex: u.ledgerIndex }))).toEqual(used);
    expect(view.uses[0]).toMatchObject({ requester: w.window.id, evidenceTypes: [DISABILITY] });
  });

  it("an inline token is registered on first use and is the same consent by id afterwards", async () => {
    const { token, id } = await consentToken(collector, { maxUses: 2 });
    expect((await verifyDisability(token)).body.results[0].status).toBe("verified");
    expect((await show(collector, id)).body).toMatchObject({ useCount: 1, state: "active" });
    expect((await verifyDisability(id)).body.results[0].status).toBe("verified");
    expect((await verifyDisability(token)).body.results[0].reason).toBe("consent-exhausted");
  });

  it("a revoked consent is refused on the next verification", async () => {
    const { token, id } = await consentToken(collector);
    await register(collector, token);
    expect((await verifyDisability(id)).body.results[0].status).toBe("verified");
    await revoke(collector, id);
    expect((await verifyDisability(id)).body.results[0]).toMatchObject({ status: "denied", reason: "consent-revoked" });
  });

  it("someone else's consent counts as none, and is ledgered as a subject mismatch", async () => {
    const { token } = await consentToken(collector, { sub: zhangSan, evidenceTypes: [DISABILITY] });
    const r = await verifyDisability(token);
    expect(r.body.results[0]).toMatchObject({ status: "denied", reason: "consent-required" });
    expect(await entryOf(r.body.verificationId)).toMatchObject({ consent: null, consentProblem: "consent-subject-mismatch" });
    const unknown = await verifyDisability("consent-id-nobody-registered");
    expect(await entryOf(unknown.body.verificationId)).toMatchObject({ consent: null, consentProblem: "consent-unknown" });
  });

  it("a consent granted to another window is out of scope", async () => {
    const { token } = await consentToken(collector, { grantee: otherWindow.id });
    expect((await verifyDisability(token)).body.results[0]).toMatchObject({ status: "denied", reason: "consent-scope" });
  });

  it("maxUses holds under concurrency: 8 verifications at once on a 2-use consent, exactly 2 disclose", async () => {
    const { token, id } = await consentToken(collector, { maxUses: 2 });
    await register(collector, token);
    const results = await Promise.all(Array.from({ length: 8 }, () => verifyDisability(id)));
    const statuses = results.map((r) => r.body.results[0].status);
    expect(statuses.filter((s) => s === "verified")).toHaveLength(2);
    expect(results.filter((r) => r.body.results[0].reason === "consent-exhausted")).toHaveLength(6);
    const view = (await show(collector, id)).body;
    expect(view.useCount).toBe(2);
    expect(view.uses.map((u: any) => u.verificationId).sort()).toEqual(results.filter((r) => r.body.results[0].status === "verified").map((r) => r.body.verificationId).sort());
  });

  it("and for a fresh inline token presented 6 times at once with maxUses 1: registered once, used once", async () => {
    const { token, id } = await consentToken(collector, { maxUses: 1 });
    const results = await Promise.all(Array.from({ length: 6 }, () => verifyDisability(token)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.body.results[0].status === "verified")).toHaveLength(1);
    expect(await h.deps.db.select().from(consents).where(eq(consents.id, id))).toHaveLength(1);
    expect(await h.deps.db.select().from(consentUses).where(eq(consentUses.consentId, id))).toHaveLength(1);
  });

  it("when the ledger cannot commit: 503 and no data; the use stays taken, marked unledgered", async () => {
    const { token, id } = await consentToken(collector, { maxUses: 2 });
    await register(collector, token);
    await h.deps.db.execute(sql`alter table ledger_entries add constraint test_refuse_consent check (idx < 0) not valid`);
    let failed;
    try {
      failed = await verifyDisability(id);
    } finally {
      await h.deps.db.execute(sql`alter table ledger_entries drop constraint test_refuse_consent`);
    }
    expect(failed.status).toBe(503);
    expect(failed.body.type).toBe("https://huren.dev/problems/ledger-unavailable");
    expect(JSON.stringify(failed.body)).not.toMatch(/disabilityLevel|verified|receipt/);
    const view = (await show(collector, id)).body;
    expect(view.useCount).toBe(1);
    expect(view.uses).toEqual([expect.objectContaining({ ledgerIndex: null })]);
    const ok = await verifyDisability(id);
    expect(ok.body.results[0].status).toBe("verified");
    expect((await show(collector, id)).body.uses.map((u: any) => u.ledgerIndex)).toEqual([null, ok.body.ledger.index]);
  });
});

describe("privacy", () => {
  it("consents and their uses hold no raw person id; the token is sealed and its hash proves it", async () => {
    const { token, id } = await consentToken(collector);
    await register(collector, token);
    await verifyDisability(id);
    const rows = await h.deps.db.select().from(consents);
    const uses = await h.deps.db.select().from(consentUses);
    const dump = JSON.stringify([rows, uses]);
    for (const p of Object.values(DEMO_PEOPLE)) {
      expect(dump).not.toContain(p.id);
      expect(dump).not.toContain(p.name);
    }
    expect(h.logs.join("\n")).not.toContain(zhaoLiu.id);
    const row = rows.find((r) => r.id === id)!;
    expect(row.subjectRef).toBe(await h.deps.secrets.subjectRef(zhaoLiu));
    expect(await h.deps.secrets.unseal(row.sealedToken!)).toBe(token);
    expect(row.tokenHash).toBe(await sha256b64url(token));
  });
});
