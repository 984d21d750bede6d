/**
 * Property tests (fast-check): for random policies, requests and department answers, no claim
 * outside what policy allows for the matter — and the window asked for — is ever returned or
 * put in a receipt. Pure evaluation first, then the whole verification against the database,
 * with a department that answers whatever fast-check makes up.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeJwt } from "jose";
import { createHarness, type Harness } from "./harness.ts";
import { DEMO_PEOPLE } from "./world.ts";
import { evaluate, type Decision } from "../src/policies/evaluate.ts";
import { policyDocumentSchema, type PolicyVersion } from "../src/policies/model.ts";
import { REASON_CODES } from "../src/policies/reasons.ts";
import { putPolicy } from "../src/policy-store/store.ts";
import { putMatter } from "../src/catalog/store.ts";
import { getMember } from "../src/members/members.ts";
import { discloseOnly, verify, type VerifyDeps } from "../src/verification/verify.ts";
import type { SourceResolver } from "../src/sources/resolve.ts";
import type { EvidenceSource, LookupResult } from "../src/adapters/types.ts";
import type { ItemResult } from "../src/verification/request.ts";

const TYPE = "housing.no-property-proof";
const FIELDS = ["region", "propertyCount", "asOf", "validUntil"];
const MATTERS = ["prop-matter-1", "prop-matter-2", "prop-matter-3"];
const JUNK = ["ownerName", "ownerId", "address", "valid ", "constructor"];
const VERDICT = ["valid", "certStatus"];

const ruleArb = fc.record({
  matters: fc.subarray([...MATTERS.slice(0, 2), "*"], { minLength: 1 }),
  basis: fc.constantFrom("statutory" as const, "consent" as const),
  fields: fc.subarray(FIELDS),
});
const docArb = fc.record({ rules: fc.array(ruleArb, { minLength: 1, maxLength: 3 }) }).map(({ rules }) => ({
  evidenceType: TYPE,
  rules: rules.map((r) => (r.basis === "statutory" ? { ...r, citation: "《测试条例》第一条" } : r)),
}));
const requestArb = fc.record({
  matter: fc.constantFrom(...MATTERS),
  fields: fc.option(fc.subarray([...FIELDS, ...VERDICT, "ownerName"]), { nil: undefined }),
});

/** What policy could ever let out for this matter and request: the union over every rule for it. */
function ceiling(doc: { rules: { matters: string[]; fields: string[] }[] }, matter: string, requested: string[] | undefined): Set<string> {
  const forMatter = doc.rules.filter((r) => r.matters.includes(matter) || r.matters.includes("*")).flatMap((r) => r.fields);
  return new Set([...VERDICT, ...forMatter.filter((f) => (requested ?? []).includes(f))]);
}
const outside = (claims: Record<string, unknown> | undefined, allowed: Set<string>) => Object.keys(claims ?? {}).filter((k) => !allowed.has(k));

describe("pure: decisions never exceed the policy", () => {
  it("fields ⊆ rules for the matter ∩ asked; a denial has no fields and only known reasons", () => {
    fc.assert(
      fc.property(docArb, requestArb, (doc, req) => {
        const policy: PolicyVersion = { id: "p", version: 1, hash: "h", document: policyDocumentSchema.parse(doc) };
        const d = evaluate({
          evidenceType: { type: TYPE, sensitivity: "ordinary", fieldNames: FIELDS, defaultFields: [] },
          policies: [policy],
          requester: { id: "w", kind: "window", region: "220102" },
          matter: req.matter,
          requestedFields: req.fields,
          consent: undefined,
          now: new Date(),
        });
        expect(outside(Object.fromEntries(d.fields.map((f) => [f, 1])), ceiling(policy.document as never, req.matter, req.fields))).toEqual([]);
        for (const r of d.reasons) expect(REASON_CODES).toContain(r);
        if (!d.permit) expect(d.fields).toEqual([]);
        const statutoryForMatter = doc.rules.some((r) => r.basis === "statutory" && (r.matters.includes(req.matter) || r.matters.includes("*")));
        expect(d.permit).toBe(statutoryForMatter);
      }),
      { numRuns: 500 },
    );
  });

  it("discloseOnly keeps only the verdict and the decided fields, whatever the claims hold", () => {
    const decisionArb = fc.record({ permit: fc.boolean(), fields: fc.subarray(FIELDS) }).map(
      ({ permit, fields }): Decision => ({ permit, fields: permit ? fields : [], basis: permit ? "statutory" : null, citation: null, reasons: [], policyVersion: null, agreement: null, quotas: { perWindowPerHour: null, perOperatorPerHour: null } }),
    );
    const resultArb = fc.record({
      type: fc.constant(TYPE),
      status: fc.constantFrom("verified", "invalid", "mismatch", "not_found", "unavailable", "denied" as const),
      claims: fc.option(fc.dictionary(fc.constantFrom(...FIELDS, ...JUNK, ...VERDICT), fc.jsonValue()), { nil: undefined }),
    }) as fc.Arbitrary<ItemResult>;
    fc.assert(
      fc.property(resultArb, decisionArb, (result, decision) => {
        const out = discloseOnly(result, decision);
        expect(outside(out.claims, new Set([...VERDICT, ...decision.fields]))).toEqual([]);
        if (!decision.permit) expect(out.claims).toBeUndefined();
      }),
      { numRuns: 1000 },
    );
  });
});

describe("end to end: verify() with a department that answers anything", () => {
  let h: Harness;
  let deps: VerifyDeps;
  let caller: Parameters<typeof verify>[1]["caller"];
  let answer: LookupResult = { outcome: "not_found" };
  const person = { type: "resident-id" as const, id: DEMO_PEOPLE.zhangSan.id };

  beforeAll(async () => {
    h = await createHarness();
    await h.addMember("prop-window", "window", "220102");
    await h.addMember("prop-dept", "department", "220100");
    for (const code of MATTERS) await putMatter(h.deps.db, code, { name: code, region: "220100", requirements: [{ evidenceType: TYPE, exempt: true }] });
    const source: EvidenceSource = { id: "prop-source", kind: "fixture", lookup: async () => answer };
    const resolver = { resolve: async () => ({ adapterId: "prop-source", adapterVersion: 1, department: "prop-dept", source }) } as unknown as SourceResolver;
    deps = { db: h.deps.db, secrets: h.deps.secrets, signer: h.deps.keys.signer, resolver, gatewayId: "huren.test", now: () => new Date(), newId: h.deps.newId, ledger: h.deps.ledger.writer, lookupDeadlineMs: 2000, log: () => {}, logError: () => {} };
    caller = { member: (await getMember(h.deps.db, "prop-window"))!, uid: "clerk-prop", jti: "unused-in-verify", kid: "k" };
  });
  afterAll(async () => {
    await h?.close();
  });

  const valuesArb = fc.record(
    { region: fc.constantFrom("220100", "220102"), propertyCount: fc.nat(5), asOf: fc.constantFrom("2026-11-20", "2025-01-31"), validUntil: fc.constantFrom("2027-05-20") },
    { requiredKeys: [] },
  );
  const junkArb = fc.dictionary(fc.constantFrom(...JUNK), fc.oneof(fc.jsonValue(), fc.constant(DEMO_PEOPLE.zhangSan.id)));
  const answerArb: fc.Arbitrary<LookupResult> = fc.oneof(
    fc.record({
      outcome: fc.constant("found" as const),
      status: fc.constantFrom("valid", "revoked", "expired", "suspended" as const),
      claims: fc.tuple(valuesArb, junkArb).map(([v, j]) => ({ ...j, ...v }) as Record<string, unknown>),
      nameMatches: fc.option(fc.boolean(), { nil: undefined }),
    }),
    fc.constant({ outcome: "not_found" as const }),
  );

  it("no undisclosable claim reaches the response or the receipt", async () => {
    await fc.assert(
      fc.asyncProperty(docArb, requestArb, answerArb, async (doc, req, dept) => {
        await putPolicy(h.deps.db, "prop-policy", policyDocumentSchema.parse(doc));
        answer = dept;
        const call = verify(deps, { caller, body: { matter: req.matter, case: "PROP", subject: person, evidence: [{ type: TYPE, ...(req.fields ? { fields: req.fields } : {}) }] }, requestHash: "h" });
        // A field the type does not have is refused before anything is asked (PROTOCOL v1.1 §3).
        if (req.fields?.includes("ownerName")) return void (await expect(call).rejects.toMatchObject({ code: "unknown-field", status: 422 }));
        const res = await call;
        const allowed = ceiling(doc, req.matter, req.fields);
        const receipt = decodeJwt(res.receipt) as unknown as { results: ItemResult[] };
        for (const r of [res.results[0]!, receipt.results[0]!]) {
          expect(outside(r.claims, allowed)).toEqual([]);
          if (r.status === "denied") expect(r.claims).toBeUndefined();
        }
        expect(JSON.stringify(res)).not.toContain(DEMO_PEOPLE.zhangSan.id);
      }),
      { numRuns: 60 },
    );
  });
});
