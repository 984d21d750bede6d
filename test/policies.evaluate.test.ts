/**
 * The pure policy engine: table-driven decisions covering every reason code, the sensitive-type
 * rule, cross-region recognition, quotas and service hours on a fixed clock, and the document
 * model (both forms, department defaults, compatibility with the first form).
 */
import { describe, expect, it } from "vitest";
import { evaluate, type ConsentFacts, type DecisionInput } from "../src/policies/evaluate.ts";
import { policyDocumentSchema, policySections, type PolicyVersion } from "../src/policies/model.ts";
import { REASON_CODES, explainReason, type ReasonCode } from "../src/policies/reasons.ts";
import { isHomeRegion, regionContains } from "../src/policies/regions.ts";
import { chinaClock, quotaWindowStart, withinServiceHours } from "../src/policies/clock.ts";
import { DEMO_POLICIES } from "../src/demo/catalog.ts";
import { policyHash } from "../src/policy-store/store.ts";

const HOUSING = "220100-public-rental-housing";
const SUBSIDY = "220100-disability-living-subsidy";
// Monday 23 November 2026, 10:00 China Standard Time.
const MONDAY_10 = new Date("2026-11-23T02:00:00Z");
const SATURDAY_10 = new Date("2026-11-28T02:00:00Z");

const ordinary = { type: "housing.no-property-proof", sensitivity: "ordinary" as const, fieldNames: ["region", "propertyCount", "asOf", "validUntil"], defaultFields: [] };
const sensitive = { type: "disability.certificate", sensitivity: "sensitive" as const, fieldNames: ["certificateNo", "disabilityCategory", "disabilityLevel", "validUntil"], defaultFields: ["validUntil"] };

const pv = (id: string, doc: unknown, version = 1): PolicyVersion => ({ id, version, hash: "h", document: policyDocumentSchema.parse(doc) });
const statutory = (extra: Record<string, unknown> = {}, rule: Record<string, unknown> = {}) =>
  pv("no-property", { evidenceType: ordinary.type, rules: [{ matters: [HOUSING], basis: "statutory", citation: "《公共租赁住房管理办法》第七条", fields: ["propertyCount", "asOf"], ...rule }], ...extra });
const onConsent = (extra: Record<string, unknown> = {}) => pv("disability", { evidenceType: sensitive.type, rules: [{ matters: [SUBSIDY], basis: "consent", fields: ["disabilityLevel", "validUntil"] }], ...extra });

const consent = (c: Partial<ConsentFacts> = {}): ConsentFacts => ({ id: "consent-000000000001", state: "active", grantee: "nanguan-window-01", matters: [SUBSIDY], evidenceTypes: [sensitive.type], ...c });

const base: DecisionInput = {
  evidenceType: ordinary,
  policies: [statutory()],
  requester: { id: "nanguan-window-01", kind: "window", region: "220102", uid: "clerk-7" },
  matter: HOUSING,
  requestedFields: ["propertyCount"],
  consent: undefined,
  now: MONDAY_10,
  issuerRegion: "220100",
  usage: { window: 0, operator: 0 },
};
const onSensitive: Partial<DecisionInput> = { evidenceType: sensitive, policies: [onConsent()], matter: SUBSIDY, requestedFields: ["disabilityLevel"], consent: consent() };
const jilinAgreement = { citation: "《长吉政务服务跨城通办合作协议》", requesterRegions: ["220200"], issuerRegions: ["220100"] };
const weekdays = [{ days: [1, 2, 3, 4, 5], from: "08:30", to: "17:00" }];

interface Case {
  name: string;
  input: Partial<DecisionInput>;
  permit: boolean;
  reasons: ReasonCode[];
  fields?: string[];
  basis?: string;
  policyVersion?: string | null;
  agreement?: string | null;
}

const cases: Case[] = [
  // Deny by default and the rule lookup.
  { name: "no policy at all", input: { policies: [] }, permit: false, reasons: ["no-policy"], policyVersion: null },
  { name: "policies only for other types", input: { policies: [onConsent()] }, permit: false, reasons: ["no-policy"] },
  { name: "no rule for this matter", input: { matter: "220100-business-permit" }, permit: false, reasons: ["matter-not-allowed"], policyVersion: "no-property@1" },
  { name: "requester not among the rule's members", input: { policies: [statutory({}, { requesters: { members: ["chaoyang-window-01"] } })] }, permit: false, reasons: ["requester-not-allowed"] },
  { name: "requester outside the rule's regions", input: { policies: [statutory({}, { requesters: { regions: ["220200"] } })] }, permit: false, reasons: ["requester-not-allowed"] },
  { name: "a city code in requesters.regions covers its districts", input: { policies: [statutory({}, { requesters: { regions: ["220100"] } })] }, permit: true, reasons: [], fields: ["propertyCount"] },
  { name: "only windows ever verify", input: { requester: { id: "cc-audit", kind: "auditor", region: null } }, permit: false, reasons: ["requester-not-allowed"] },
  // Statutory basis and fields.
  { name: "statutory: permitted with the citation", input: {}, permit: true, reasons: [], fields: ["propertyCount"], basis: "statutory", policyVersion: "no-property@1" },
  { name: "fields outside the rule are withheld", input: { requestedFields: ["propertyCount", "region", "nonsense"] }, permit: true, reasons: ["field-not-disclosable"], fields: ["propertyCount"] },
  { name: "valid and certStatus are the verdict, never 'withheld'", input: { requestedFields: ["valid", "certStatus", "asOf"] }, permit: true, reasons: [], fields: ["asOf"] },
  { name: "no fields asked: the type's default disclosure (verdict only)", input: { requestedFields: undefined }, permit: true, reasons: [], fields: [] },
  // Cross-region recognition.
  { name: "a city department's certificate at its district window", input: { issuerRegion: "220100" }, permit: true, reasons: [] },
  { name: "a district's certificate at a city-level window", input: { requester: { id: "cc-city-window", kind: "window", region: "220100" }, issuerRegion: "220102" }, permit: true, reasons: [], agreement: null },
  { name: "a Changchun certificate at a Jilin city window, no agreement", input: { requester: { id: "jl-window", kind: "window", region: "220202" } }, permit: false, reasons: ["region-not-recognised"] },
  { name: "the same under an agreement", input: { requester: { id: "jl-window", kind: "window", region: "220202" }, policies: [statutory({ agreements: [jilinAgreement] })] }, permit: true, reasons: [], agreement: jilinAgreement.citation },
  { name: "an agreement limited to other matters does not apply", input: { requester: { id: "jl-window", kind: "window", region: "220202" }, policies: [statutory({ agreements: [{ ...jilinAgreement, matters: ["220100-business-permit"] }] })] }, permit: false, reasons: ["region-not-recognised"] },
  { name: "an agreement for other issuers does not apply", input: { requester: { id: "jl-window", kind: "window", region: "220202" }, issuerRegion: "220300", policies: [statutory({ agreements: [jilinAgreement] })] }, permit: false, reasons: ["region-not-recognised"] },
  { name: "issuer unknown (no adapter): region not checked", input: { requester: { id: "jl-window", kind: "window", region: "220202" }, issuerRegion: undefined }, permit: true, reasons: [] },
  // Service hours (China Standard Time).
  { name: "inside service hours", input: { policies: [statutory({ serviceHours: weekdays })] }, permit: true, reasons: [] },
  { name: "on a Saturday", input: { policies: [statutory({ serviceHours: weekdays })], now: SATURDAY_10 }, permit: false, reasons: ["outside-service-hours"] },
  { name: "at the closing minute (to is exclusive)", input: { policies: [statutory({ serviceHours: weekdays })], now: new Date("2026-11-23T09:00:00Z") }, permit: false, reasons: ["outside-service-hours"] },
  { name: "at the opening minute (from is inclusive)", input: { policies: [statutory({ serviceHours: weekdays })], now: new Date("2026-11-23T00:30:00Z") }, permit: true, reasons: [] },
  // Quotas.
  { name: "window quota not reached", input: { policies: [statutory({ quotas: { perWindowPerHour: 3 } })], usage: { window: 2, operator: 2 } }, permit: true, reasons: [] },
  { name: "window quota reached", input: { policies: [statutory({ quotas: { perWindowPerHour: 3 } })], usage: { window: 3, operator: 0 } }, permit: false, reasons: ["quota-exceeded"] },
  { name: "operator quota reached", input: { policies: [statutory({ quotas: { perWindowPerHour: 100, perOperatorPerHour: 2 } })], usage: { window: 2, operator: 2 } }, permit: false, reasons: ["quota-exceeded"] },
  // Consent.
  { name: "consent basis, no consent", input: { ...onSensitive, consent: undefined }, permit: false, reasons: ["consent-required"], policyVersion: "disability@1" },
  { name: "consent naming the sensitive type", input: onSensitive, permit: true, reasons: [], basis: "consent", fields: ["disabilityLevel"] },
  { name: "consent for another window", input: { ...onSensitive, consent: consent({ grantee: "chaoyang-window-01" }) }, permit: false, reasons: ["consent-scope"] },
  { name: "consent granted to the window's city", input: { ...onSensitive, consent: consent({ grantee: "region:220100" }) }, permit: true, reasons: [] },
  { name: "consent granted to another city", input: { ...onSensitive, consent: consent({ grantee: "region:220200" }) }, permit: false, reasons: ["consent-scope"] },
  { name: "consent for another matter", input: { ...onSensitive, consent: consent({ matters: [HOUSING] }) }, permit: false, reasons: ["consent-scope"] },
  { name: "consent for other evidence types", input: { ...onSensitive, consent: consent({ evidenceTypes: [ordinary.type] }) }, permit: false, reasons: ["sensitive-needs-explicit-consent"] },
  { name: "PIPL art. 29: a wildcard consent does not cover a sensitive type", input: { ...onSensitive, consent: consent({ evidenceTypes: ["*"] }) }, permit: false, reasons: ["sensitive-needs-explicit-consent"] },
  { name: "a wildcard consent covers an ordinary type", input: { policies: [pv("np", { evidenceType: ordinary.type, rules: [{ matters: [HOUSING], basis: "consent", fields: ["asOf"] }] })], consent: consent({ matters: [HOUSING], evidenceTypes: ["*"] }), requestedFields: ["asOf"] }, permit: true, reasons: [], basis: "consent", fields: ["asOf"] },
  { name: "a policy can make an ordinary type sensitive", input: { policies: [pv("np", { evidenceType: ordinary.type, sensitive: true, rules: [{ matters: [HOUSING], basis: "consent" }] })], consent: consent({ matters: [HOUSING], evidenceTypes: ["*"] }) }, permit: false, reasons: ["sensitive-needs-explicit-consent"] },
  { name: "an ordinary type not named by the consent", input: { policies: [pv("np", { evidenceType: ordinary.type, rules: [{ matters: [HOUSING], basis: "consent" }] })], consent: consent({ matters: [HOUSING], evidenceTypes: [sensitive.type] }) }, permit: false, reasons: ["consent-scope"] },
  { name: "revoked consent", input: { ...onSensitive, consent: consent({ state: "revoked" }) }, permit: false, reasons: ["consent-revoked"] },
  { name: "expired consent", input: { ...onSensitive, consent: consent({ state: "expired" }) }, permit: false, reasons: ["consent-expired"] },
  { name: "used-up consent", input: { ...onSensitive, consent: consent({ state: "exhausted" }) }, permit: false, reasons: ["consent-exhausted"] },
  { name: "consent not valid yet", input: { ...onSensitive, consent: consent({ notBefore: new Date(MONDAY_10.getTime() + 60_000) }) }, permit: false, reasons: ["consent-not-yet-valid"] },
  { name: "scope is checked before state (nothing learnt about others' consents)", input: { ...onSensitive, consent: consent({ grantee: "chaoyang-window-01", state: "revoked" }) }, permit: false, reasons: ["consent-scope"] },
  // Combinations.
  {
    name: "every failed restriction is listed, in order",
    input: { ...onSensitive, consent: undefined, requester: { id: "jl-window", kind: "window", region: "220202", uid: "u" }, now: SATURDAY_10, usage: { window: 9, operator: 0 }, policies: [onConsent({ serviceHours: weekdays, quotas: { perWindowPerHour: 9 } })] },
    permit: false,
    reasons: ["region-not-recognised", "outside-service-hours", "quota-exceeded", "consent-required"],
  },
  {
    name: "a statutory rule is preferred: no consent needed, none used",
    input: { ...onSensitive, consent: undefined, policies: [pv("a-consent", { evidenceType: sensitive.type, rules: [{ matters: [SUBSIDY], basis: "consent", fields: ["disabilityLevel"] }] }), pv("b-law", { evidenceType: sensitive.type, rules: [{ matters: [SUBSIDY], basis: "statutory", citation: "《残疾人保障法》", fields: ["disabilityLevel"] }] })] },
    permit: true,
    reasons: [],
    basis: "statutory",
    policyVersion: "b-law@1",
  },
  {
    name: "a rule naming the matter beats a wildcard rule",
    input: { policies: [statutory({}, { matters: ["*"], fields: ["region"] }), pv("specific", { evidenceType: ordinary.type, rules: [{ matters: [HOUSING], basis: "statutory", citation: "c", fields: ["propertyCount"] }] }, 4)] },
    permit: true,
    reasons: [],
    fields: ["propertyCount"],
    policyVersion: "specific@4",
  },
  {
    name: "restrictions stack: a department document's hours apply to a per-type grant",
    input: { now: SATURDAY_10, policies: [statutory(), pv("cc-housing", { department: "cc-housing", serviceHours: weekdays, evidenceTypes: { [ordinary.type]: { rules: [{ matters: ["other-matter"], basis: "statutory", citation: "c" }] } } }, 2)] },
    permit: false,
    reasons: ["outside-service-hours"],
    policyVersion: "cc-housing@2",
  },
];

describe("evaluate: one table, every reason code", () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = evaluate({ ...base, ...c.input });
      expect(d.permit).toBe(c.permit);
      expect(d.reasons).toEqual(c.reasons);
      if (c.fields) expect(d.fields).toEqual(c.fields);
      if (c.basis) expect(d.basis).toBe(c.basis);
      if (c.policyVersion !== undefined) expect(d.policyVersion).toBe(c.policyVersion);
      if (c.agreement !== undefined) expect(d.agreement).toBe(c.agreement);
      if (!d.permit) {
        expect(d.fields).toEqual([]);
        expect(d.basis).toBeNull();
      }
    });
  }

  it("the table exercises every reason code there is, and each has an explanation", () => {
    const seen = new Set(cases.flatMap((c) => c.reasons));
    expect([...REASON_CODES].filter((r) => !seen.has(r))).toEqual([]);
    for (const r of REASON_CODES) expect(explainReason(r).length).toBeGreaterThan(10);
  });

  it("a permit states the statutory citation and the quotas to take", () => {
    const d = evaluate({ ...base, policies: [statutory({ quotas: { perWindowPerHour: 30 } }), pv("z-dept", { department: "cc-housing", quotas: { perWindowPerHour: 10, perOperatorPerHour: 5 }, evidenceTypes: { [ordinary.type]: { rules: [{ matters: ["x"], basis: "consent" }] } } })] });
    expect(d).toMatchObject({ permit: true, citation: "《公共租赁住房管理办法》第七条", quotas: { perWindowPerHour: 10, perOperatorPerHour: 5 } });
  });

  it("the decision does not depend on the order policies arrive in", () => {
    const policies = [statutory({}, { matters: ["*"], fields: ["region"] }), pv("a-first", { evidenceType: ordinary.type, rules: [{ matters: ["*"], basis: "statutory", citation: "c", fields: ["asOf"] }] })];
    const one = evaluate({ ...base, policies, requestedFields: ["asOf", "region"] });
    const two = evaluate({ ...base, policies: [...policies].reverse(), requestedFields: ["asOf", "region"] });
    expect(one).toEqual(two);
    expect(one.policyVersion).toBe("a-first@1");
  });
});

describe("regions and the clock", () => {
  it("containment follows GB/T 2260 levels", () => {
    expect(regionContains("220000", "220102")).toBe(true);
    expect(regionContains("220100", "220102")).toBe(true);
    expect(regionContains("220100", "220202")).toBe(false);
    expect(regionContains("220102", "220100")).toBe(false);
    expect(isHomeRegion("220102", "220104")).toBe(false);
    expect(isHomeRegion("220100", "220102")).toBe(true);
  });
  it("reads China Standard Time whatever the server's zone", () => {
    expect(chinaClock(new Date("2026-11-22T16:30:00Z"))).toEqual({ day: 1, time: "00:30" }); // Sunday UTC, Monday in Beijing
    expect(withinServiceHours(new Date("2026-11-22T16:30:00Z"), [{ days: [1], from: "00:00", to: "01:00" }])).toBe(true);
    expect(quotaWindowStart(new Date("2026-11-23T02:59:59.999Z")).toISOString()).toBe("2026-11-23T02:00:00.000Z");
  });
});

describe("policy documents", () => {
  it("the first form is unchanged: the demo policies parse to themselves and hash the same", async () => {
    for (const { id: _id, ...doc } of DEMO_POLICIES) {
      const parsed = policyDocumentSchema.parse(doc);
      expect(parsed).toEqual(doc);
      expect(await policyHash(parsed)).toBe(await policyHash(doc as never));
    }
  });

  it("a department document: defaults for every type, a type's own setting wins", () => {
    const doc = policyDocumentSchema.parse({
      department: "cc-civil-affairs",
      serviceHours: weekdays,
      quotas: { perWindowPerHour: 50 },
      evidenceTypes: {
        "subsistence-allowance.certificate": { rules: [{ matters: [HOUSING], basis: "statutory", citation: "c" }], quotas: { perWindowPerHour: 5 } },
        "disability.certificate": { rules: [{ matters: [SUBSIDY], basis: "consent" }] },
      },
    });
    const sections = Object.fromEntries(policySections(doc).map((s) => [s.evidenceType, s.section]));
    expect(sections["subsistence-allowance.certificate"]).toMatchObject({ serviceHours: weekdays, quotas: { perWindowPerHour: 5 } });
    expect(sections["disability.certificate"]).toMatchObject({ serviceHours: weekdays, quotas: { perWindowPerHour: 50 } });
  });

  const invalid: [string, unknown, string][] = [
    ["neither form", { rules: [{ matters: ["*"], basis: "consent" }] }, "evidenceType"],
    ["both forms", { evidenceType: "a.b", department: "cc-x", rules: [{ matters: ["*"], basis: "consent" }] }, "department"],
    ["per-type without rules", { evidenceType: "a.b" }, "rules"],
    ["department with top-level rules", { department: "cc-x", rules: [{ matters: ["*"], basis: "consent" }], evidenceTypes: { "a.b": { rules: [{ matters: ["*"], basis: "consent" }] } } }, "rules"],
    ["statutory without citation", { evidenceType: "a.b", rules: [{ matters: ["*"], basis: "statutory" }] }, "rules.0.citation"],
    ["hours that end before they start", { evidenceType: "a.b", rules: [{ matters: ["*"], basis: "consent" }], serviceHours: [{ days: [1], from: "17:00", to: "08:30" }] }, "serviceHours.0.to"],
    ["a day 8", { evidenceType: "a.b", rules: [{ matters: ["*"], basis: "consent" }], serviceHours: [{ days: [8], from: "08:00", to: "09:00" }] }, "serviceHours.0.days.0"],
    ["a zero quota", { evidenceType: "a.b", rules: [{ matters: ["*"], basis: "consent" }], quotas: { perWindowPerHour: 0 } }, "quotas.perWindowPerHour"],
    ["an agreement without regions", { evidenceType: "a.b", rules: [{ matters: ["*"], basis: "consent" }], agreements: [{ citation: "x", requesterRegions: [], issuerRegions: ["220100"] }] }, "agreements.0.requesterRegions"],
    ["a misspelt key", { evidenceType: "a.b", rules: [{ matters: ["*"], basis: "consent" }], quota: { perWindowPerHour: 1 } }, ""],
  ];
  for (const [name, doc, path] of invalid) {
    it(`rejects ${name}, naming ${path || "the document"}`, () => {
      const r = policyDocumentSchema.safeParse(doc);
      expect(r.success).toBe(false);
      expect(r.error!.issues.map((i) => i.path.join("."))).toContain(path);
    });
  }
});
