/**
 * The edges issue #10 §8 found (stream sec-input's share): member enumeration through 401s and the
 * public per-member JWKS route, consents that outlive their issuer, quota spent on items that were
 * then refused, and database errors that carried SQL parameters (ledger entries, raw ids) into the
 * logs. Each test failed on the code before the fix.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompactSign } from "jose";
import { eq, sql } from "drizzle-orm";
import { createHarness, newJti, type Actor, type Harness } from "../harness.ts";
import { createWorld, DEMO_PEOPLE, HOUSING, zhangSan, type World } from "../world.ts";
import { ledgerEntries } from "../../src/db/schema.ts";
import { putMember, getMember } from "../../src/members/members.ts";
import { applyBootstrap } from "../../src/bootstrap.ts";
import { quotaUsage } from "../../src/quotas/counters.ts";
import { reserve, type ItemPlan } from "../../src/verification/decide.ts";

let h: Harness;
let w: World;
let collector: Actor;

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  collector = await h.addMember("edge-collector", "consent-collector");
}, 180_000);
afterAll(async () => {
  await w?.close();
  await h?.close();
});

const SUBSIDY = "220100-disability-living-subsidy";
const DISABILITY = "disability.certificate";
const zhaoLiu = { type: "resident-id", id: DEMO_PEOPLE.zhaoLiu.id } as const;
const nowS = () => Math.floor(Date.now() / 1000);
const json = async (res: Response) => ({ status: res.status, body: (await res.json()) as any });

async function consentToken(issuer: Actor, claims: Record<string, unknown> = {}) {
  const payload = { iss: issuer.id, iat: nowS(), jti: newJti(), sub: zhaoLiu, grantee: w.window.id, matters: [SUBSIDY], evidenceTypes: [DISABILITY], nbf: nowS() - 10, exp: nowS() + 3600, method: "app", proof: "sha256:app-record-1", ...claims };
  const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg: "EdDSA", kid: issuer.kid, typ: "huren-consent+jwt" }).sign(issuer.privateKey);
  return { token, id: payload.jti as string };
}
const verifyDisability = async (consent: string) =>
  json(await h.call(w.window, "POST", "/v1/verifications", { matter: SUBSIDY, case: "EDGE-1", subject: zhaoLiu, evidence: [{ type: DISABILITY }], consent }));
const entryOf = async (verificationId: string) => {
  const [row] = await h.deps.db.select().from(ledgerEntries).where(eq(ledgerEntries.verificationId, verificationId));
  return JSON.parse(row!.entryJson);
};
const setEnabled = async (id: string, enabled: boolean) => {
  const m = (await getMember(h.deps.db, id))!;
  await putMember(h.deps.db, id, { kind: m.kind, name: m.name, ...(m.region ? { region: m.region } : {}), jwks: m.jwks as never, enabled });
  await h.deps.config.members.get(id, { fresh: true });
};

describe("member enumeration", () => {
  it("an unknown issuer, an unknown key and a disabled member get one indistinguishable 401", async () => {
    const disabled = await h.addMember("edge-disabled-window", "window", "220102");
    await setEnabled(disabled.id, false);
    const problems = [];
    for (const [actor, options] of [
      [w.window, { claims: { iss: "no-such-window" } }],
      [w.window, { header: { kid: "no-such-kid" } }],
      [disabled, {}],
    ] as const) {
      const res = await h.call(actor, "GET", "/v1/catalog/matters", undefined, options);
      const { requestId: _r, ...problem } = (await res.json()) as Record<string, unknown>;
      problems.push({ status: res.status, wwwAuthenticate: res.headers.get("www-authenticate"), ...problem });
    }
    expect(problems[0]).toMatchObject({ status: 401, type: "https://huren.dev/problems/unknown-key" });
    expect(problems[1]).toEqual(problems[0]);
    expect(problems[2]).toEqual(problems[0]);
  });

  it("there is no public per-member JWKS route: a registered member and an unknown one look the same", async () => {
    const known = await h.app.request(`/v1/members/${w.window.id}/jwks`);
    const unknown = await h.app.request("/v1/members/no-such-member/jwks");
    expect(known.status).toBe(404);
    expect(unknown.status).toBe(404);
    const strip = async (r: Response) => ({ ...((await r.json()) as Record<string, unknown>), requestId: undefined, detail: undefined });
    expect(await strip(known)).toEqual(await strip(unknown));
    const doc = (await (await h.app.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.endsWith("/jwks"))).toEqual([]);
  });
});

describe("a consent whose issuer was disabled stops working", () => {
  it("by id and inline; enabled again, it works again", async () => {
    const { token, id } = await consentToken(collector, { maxUses: 10 });
    expect((await json(await h.call(collector, "POST", "/v1/consents", { token }))).status).toBe(201);
    expect((await verifyDisability(id)).body.results[0].status).toBe("verified");

    await setEnabled(collector.id, false);
    const byId = await verifyDisability(id);
    expect(byId.body.results[0]).toMatchObject({ status: "denied", reason: "consent-required" });
    expect((await entryOf(byId.body.verificationId)).consentProblem).toBe("consent-issuer-disabled");
    const inline = await verifyDisability(token);
    expect(inline.body.results[0]).toMatchObject({ status: "denied", reason: "consent-required" });
    expect((await entryOf(inline.body.verificationId)).consentUsed).toBe(false);

    await setEnabled(collector.id, true);
    expect((await verifyDisability(id)).body.results[0].status).toBe("verified");
  });
});

describe("quota is spent only on items actually asked of a department", () => {
  it("an item the consent then refuses gives its quota back", async () => {
    const { token, id } = await consentToken(collector);
    expect((await json(await h.call(collector, "POST", "/v1/consents", { token }))).status).toBe(201);
    expect((await json(await h.call(collector, "POST", `/v1/consents/${id}/revoke`))).status).toBe(200);
    const now = new Date();
    const subject = { evidenceType: DISABILITY, window: w.window.id, uid: "clerk-q" };
    // Planned as permitted on consent (as a verification racing the revocation would be); the take fails.
    const plan = {
      def: { type: DISABILITY },
      decision: { permit: true, basis: "consent", citation: null, fields: [], reasons: [], policyVersion: "disability@1", agreement: null, quotas: { perWindowPerHour: 5, perOperatorPerHour: 5 } },
      resolved: { adapterId: "cc-cdpf-fixture", adapterVersion: 1, department: "cc-disabled-federation", source: {} },
      issuerRegion: "220100",
    } as unknown as ItemPlan;
    const { plans, consentUsed } = await reserve(h.deps.db, [plan], { verificationId: "vf_quota", requester: w.window.id, uid: "clerk-q", consentId: id, now });
    expect(consentUsed).toBe(false);
    expect(plans[0]!.decision).toMatchObject({ permit: false, reasons: ["consent-revoked"] });
    expect(await quotaUsage(h.deps.db, subject, now)).toEqual({ window: 0, operator: 0 });
  });

  it("an item answered `circuit-open` (the department was not asked) gives its quota back", async () => {
    // A department that is down, whose circuit opens after one failure.
    const before = (await h.deps.resolver.resolve("subsistence-allowance.certificate", "220102"))!.adapterVersion;
    await applyBootstrap(h.deps.db, h.deps.secrets, {
      adapters: [{ id: "cc-civil-affairs-http", department: w.civilAffairs.id, kind: "http", evidenceTypes: ["subsistence-allowance.certificate"], config: { endpoint: "http://127.0.0.1:9/lookup", timeoutMs: 1000, answerSignature: "required", circuitBreaker: { failureThreshold: 1, coolDownMs: 600_000 } }, enabled: true }],
    });
    // Written past the API: wait for the change notification to reach this process's resolver.
    while ((await h.deps.resolver.resolve("subsistence-allowance.certificate", "220102"))!.adapterVersion === before) await new Promise((r) => setTimeout(r, 20));
    const policy = { evidenceType: "subsistence-allowance.certificate", quotas: { perWindowPerHour: 2 }, rules: [{ matters: [HOUSING], basis: "statutory", citation: "《社会救助暂行办法》第十一条", fields: ["validUntil"] }] };
    expect((await h.call(h.admin, "PUT", "/v1/policies/dibao", policy)).status).toBeLessThan(300);
    const ask = async () => (await json(await h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: "EDGE-Q", subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate" }] }))).body.results[0];
    expect(await ask()).toMatchObject({ status: "unavailable" }); // asked (and failed): counted
    expect(await ask()).toMatchObject({ status: "unavailable", reason: "circuit-open" });
    expect(await ask()).toMatchObject({ status: "unavailable", reason: "circuit-open" }); // not quota-exceeded
    expect((await quotaUsage(h.deps.db, { evidenceType: "subsistence-allowance.certificate", window: w.window.id, uid: w.window.uid }, new Date())).window).toBe(1);
  });
});

describe("logs carry no SQL parameters or ledger entries", () => {
  it("a failed ledger append and an unexpected database error log the error's code, not its query or parameters", async () => {
    const rawId = DEMO_PEOPLE.zhangSan.id;
    await h.deps.db.execute(sql.raw("alter table ledger_entries add constraint huren_test_refuse check (false) not valid"));
    try {
      // The case carries a raw id: it is in the entry, so in the failed insert's parameters.
      const res = await h.call(w.window, "POST", "/v1/verifications", { matter: HOUSING, case: `NG-${rawId}`, subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] });
      expect(res.status).toBe(503);
    } finally {
      await h.deps.db.execute(sql.raw("alter table ledger_entries drop constraint huren_test_refuse"));
    }
    await h.deps.db.execute(sql.raw("alter table consents add constraint huren_test_refuse check (false) not valid"));
    try {
      const { token } = await consentToken(collector, { proof: `sha256:${rawId}` });
      const res = await h.call(collector, "POST", "/v1/consents", { token });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(await res.text()).not.toContain(rawId);
    } finally {
      await h.deps.db.execute(sql.raw("alter table consents drop constraint huren_test_refuse"));
    }
    const failures = h.logs.filter((l) => /ledger-append-failed|unhandled-error/.test(l));
    expect(failures.length).toBeGreaterThanOrEqual(2);
    for (const line of failures) expect(JSON.parse(line)).toMatchObject({ code: "23514", constraint: "huren_test_refuse" });
    const all = h.logs.join("\n");
    expect(all).not.toContain(rawId);
    expect(all).not.toMatch(/Failed query|params:|insert into|"entryJson"|subjectRef/i);
  });
});
