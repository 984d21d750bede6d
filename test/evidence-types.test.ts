import { Validator, type Schema } from "@cfworker/json-schema";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { claimFieldNames, evidenceTypeNameSchema, evidenceTypeSlug, type EvidenceTypeDef } from "../src/catalog/evidence-types.ts";
import { BUILTIN_EVIDENCE_TYPES, isBuiltinType } from "../src/catalog/builtin-types.ts";
import { validateClaims } from "../src/catalog/claims-validation.ts";
import { claimsSchemaProblems } from "../src/catalog/claims-schema.ts";
import { evidenceTypeBodySchema, matterBodySchema, matterCodeSchema } from "../src/catalog/bodies.ts";

const builtin = (type: string): EvidenceTypeDef => {
  const def = BUILTIN_EVIDENCE_TYPES.find((t) => t.type === type);
  if (!def) throw new Error(`no built-in ${type}`);
  return def;
};

/* ------------------------------------------------------------------ built-in catalog */

const EXPECTED = [
  ["business-license.registration", "营业执照", "market-regulation", "ordinary",
    ["companyName", "legalRepresentative", "registeredCapital", "establishedOn", "businessScope", "registrationAuthority", "companyType", "address", "validUntil"]],
  ["social-insurance.record", "社保参保缴费记录", "human-resources-social-security", "ordinary",
    ["insuranceTypes", "insuredStatus", "contributionMonths", "lastContributionMonth", "employerName", "region"]],
  ["subsistence-allowance.certificate", "最低生活保障证", "civil-affairs", "sensitive",
    ["certificateNo", "category", "householdSize", "monthlyAmount", "validFrom", "validUntil", "region"]],
  ["housing.no-property-proof", "无房证明", "housing-and-urban-rural-development", "ordinary", ["region", "propertyCount", "asOf", "validUntil"]],
  ["disability.certificate", "残疾人证", "disabled-persons-federation", "sensitive", ["certificateNo", "disabilityCategory", "disabilityLevel", "validUntil"]],
] as const;

/** Claims each built-in must accept, exercising every field. */
const GOOD_CLAIMS: Record<string, Record<string, unknown>> = {
  "business-license.registration": {
    companyName: "福州某某科技有限公司",
    legalRepresentative: "张三",
    registeredCapital: "100万元人民币",
    establishedOn: "2015-03-18",
    businessScope: "软件开发；信息技术咨询服务",
    registrationAuthority: "福州市市场监督管理局",
    companyType: "有限责任公司（自然人投资或控股）",
    address: "福建省福州市鼓楼区某某路1号",
    validUntil: null,
  },
  "social-insurance.record": {
    insuranceTypes: ["pension", "medical", "unemployment", "work-injury", "maternity"],
    insuredStatus: "active",
    contributionMonths: 86,
    lastContributionMonth: "2025-05",
    employerName: "福州某某科技有限公司",
    region: "350100",
  },
  "subsistence-allowance.certificate": {
    certificateNo: "DB350102202400123",
    category: "urban",
    householdSize: 3,
    monthlyAmount: 1234.56,
    validFrom: "2024-01-01",
    validUntil: "2025-12-31",
    region: "350102",
  },
  "housing.no-property-proof": { region: "350100", propertyCount: 0, asOf: "2025-05-31", validUntil: "2025-08-31" },
  "disability.certificate": { certificateNo: "11010519491231002X42", disabilityCategory: "physical", disabilityLevel: 2, validUntil: "2030-06-30" },
};

/** Claims each built-in must reject, with the paths the errors must name. */
const BAD_CLAIMS: [string, Record<string, unknown>, string[]][] = [
  ["business-license.registration", { establishedOn: "2015/03/18" }, ["establishedOn"]],
  ["business-license.registration", { establishedOn: "2015-02-29" }, ["establishedOn"]],
  ["business-license.registration", { companyName: 42, validUntil: "长期" }, ["companyName", "validUntil"]],
  ["business-license.registration", { registeredCapital: 1000000 }, ["registeredCapital"]],
  ["social-insurance.record", { insuranceTypes: ["pension", "dental"] }, ["insuranceTypes.1"]],
  ["social-insurance.record", { insuranceTypes: "pension" }, ["insuranceTypes"]],
  ["social-insurance.record", { contributionMonths: -1 }, ["contributionMonths"]],
  ["social-insurance.record", { contributionMonths: 1.5 }, ["contributionMonths"]],
  ["social-insurance.record", { lastContributionMonth: "2025-13" }, ["lastContributionMonth"]],
  ["social-insurance.record", { lastContributionMonth: "2025-05-01" }, ["lastContributionMonth"]],
  ["social-insurance.record", { region: "35010" }, ["region"]],
  ["subsistence-allowance.certificate", { monthlyAmount: "800" }, ["monthlyAmount"]],
  ["subsistence-allowance.certificate", { monthlyAmount: 800.005 }, ["monthlyAmount"]],
  ["subsistence-allowance.certificate", { monthlyAmount: -1 }, ["monthlyAmount"]],
  ["subsistence-allowance.certificate", { householdSize: 0, category: "city" }, ["householdSize", "category"]],
  ["housing.no-property-proof", { propertyCount: -1 }, ["propertyCount"]],
  ["housing.no-property-proof", { propertyCount: "0" }, ["propertyCount"]],
  ["housing.no-property-proof", { asOf: "2025-02-30" }, ["asOf"]],
  ["disability.certificate", { disabilityLevel: 5 }, ["disabilityLevel"]],
  ["disability.certificate", { disabilityLevel: 0 }, ["disabilityLevel"]],
  ["disability.certificate", { disabilityLevel: "二级" }, ["disabilityLevel"]],
  ["disability.certificate", { disabilityCategory: "other" }, ["disabilityCategory"]],
  ["disability.certificate", { validUntil: null }, ["validUntil"]],
];

describe("built-in evidence types", () => {
  it("has exactly the five built-ins", () => {
    expect(BUILTIN_EVIDENCE_TYPES.map((t) => t.type)).toEqual(EXPECTED.map((e) => e[0]));
  });

  it.each(EXPECTED)("%s: %s from %s, %s", (type, name, issuerKind, sensitivity, fields) => {
    const def = builtin(type);
    expect(def).toMatchObject({ type, name, issuerKind, sensitivity, defaultFields: [], builtin: true });
    expect(isBuiltinType(type)).toBe(true);
    expect(evidenceTypeSlug.test(type)).toBe(true);
    expect(claimFieldNames(def)).toEqual(fields);
  });

  it.each(EXPECTED.map((e) => e[0]))("%s publishes a JSON Schema derived from zod", (type) => {
    const { claims } = builtin(type);
    expect(claims.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(claims.type).toBe("object");
    // Every claim optional, unknown claims not rejected: the schema says so too.
    expect(claims.required).toBeUndefined();
    expect(claims.additionalProperties).toBeUndefined();
    // Built-ins would also pass the checks applied to admin-registered schemas.
    expect(claimsSchemaProblems(claims)).toEqual([]);
  });

  it("publishes value constraints, not just names", () => {
    const props = builtin("disability.certificate").claims.properties as Record<string, Record<string, unknown>>;
    expect(props.disabilityLevel).toMatchObject({ type: "integer", minimum: 1, maximum: 4 });
    expect(props.disabilityCategory).toMatchObject({ enum: ["visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"] });
    expect(props.validUntil).toMatchObject({ type: "string", format: "date" });
    const bl = builtin("business-license.registration").claims.properties as Record<string, Record<string, unknown>>;
    expect(bl.validUntil?.anyOf).toEqual(expect.arrayContaining([{ type: "null" }]));
  });

  it("is frozen, so no request can change the catalog", () => {
    const def = builtin("housing.no-property-proof");
    expect(Object.isFrozen(def)).toBe(true);
    expect(Object.isFrozen(def.claims.properties)).toBe(true);
    expect(() => def.defaultFields.push("region")).toThrow(TypeError);
  });

  it("isBuiltinType is false for anything else", () => {
    expect(isBuiltinType("tax.clearance")).toBe(false);
    expect(isBuiltinType("disability")).toBe(false);
  });
});

describe("validateClaims for built-ins (zod)", () => {
  it.each(Object.entries(GOOD_CLAIMS))("%s accepts full claims", (type, claims) => {
    expect(validateClaims(builtin(type), claims)).toEqual({ ok: true, claims });
  });

  it.each(EXPECTED.map((e) => e[0]))("%s accepts an empty subset", (type) => {
    expect(validateClaims(builtin(type), {})).toEqual({ ok: true, claims: {} });
  });

  it("drops claims the catalog does not name", () => {
    const r = validateClaims(builtin("disability.certificate"), { disabilityLevel: 2, hospital: "某医院", diagnosis: "…" });
    expect(r).toEqual({ ok: true, claims: { disabilityLevel: 2 } });
  });

  it.each(BAD_CLAIMS)("%s rejects %j at %j", (type, claims, paths) => {
    const r = validateClaims(builtin(type), claims);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path).sort()).toEqual([...paths].sort());
    for (const e of r.errors) expect(e.message).not.toBe("");
  });

  it.each([null, "claims", 42, [], undefined])("rejects non-object claims %j at the root", (claims) => {
    expect(validateClaims(builtin("disability.certificate"), claims)).toEqual({ ok: false, errors: [{ path: "", message: "claims must be an object" }] });
  });

  it.each(Object.entries(GOOD_CLAIMS))("%s: the published JSON Schema accepts what zod accepts", (type, claims) => {
    const v = new Validator(structuredClone(builtin(type).claims) as Schema, "2020-12");
    expect(v.validate(claims).valid).toBe(true);
  });

  it.each(BAD_CLAIMS)("%s: the published JSON Schema rejects %j too", (type, claims) => {
    const v = new Validator(structuredClone(builtin(type).claims) as Schema, "2020-12");
    expect(v.validate(claims).valid).toBe(false);
  });
});

/* ------------------------------------------------------------------ admin-registered types */

const taxClearance: EvidenceTypeDef = {
  type: "tax.clearance",
  name: "无欠税证明",
  issuerKind: "taxation",
  sensitivity: "ordinary",
  defaultFields: [],
  builtin: false,
  claims: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: {
      taxYear: { type: "integer", minimum: 1994 },
      arrears: { type: "boolean" },
      taxTypes: { type: "array", items: { enum: ["vat", "income", "stamp"] } },
      issuedOn: { $ref: "#/$defs/date" },
      office: { anyOf: [{ type: "string", minLength: 1 }, { type: "null" }] },
    },
    required: ["taxYear"],
    $defs: { date: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" } },
  },
};

describe("validateClaims for registered types (JSON Schema)", () => {
  it("accepts good claims and drops undeclared ones", () => {
    const r = validateClaims(taxClearance, { taxYear: 2024, arrears: false, taxTypes: ["vat"], issuedOn: "2025-01-02", office: null, extra: "x" });
    expect(r).toEqual({ ok: true, claims: { taxYear: 2024, arrears: false, taxTypes: ["vat"], issuedOn: "2025-01-02", office: null } });
  });

  it("ignores undefined members instead of crashing", () => {
    expect(validateClaims(taxClearance, { taxYear: 2024, arrears: undefined })).toEqual({ ok: true, claims: { taxYear: 2024 } });
  });

  it("reports the leaf errors with dotted paths", () => {
    const r = validateClaims(taxClearance, { taxYear: "2024", taxTypes: ["vat", "gift"], issuedOn: "2025/01/02", office: 7 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual(["taxYear", "taxTypes.1", "issuedOn", "office"]);
    expect(r.errors[0]?.message).toMatch(/integer/);
  });

  it("reports a missing required claim at the root", () => {
    const r = validateClaims(taxClearance, { arrears: true });
    expect(r).toEqual({ ok: false, errors: [{ path: "", message: expect.stringContaining("taxYear") }] });
  });

  it("reports forbidden extras when the schema closes the object", () => {
    const closed: EvidenceTypeDef = { ...taxClearance, claims: { ...taxClearance.claims, additionalProperties: false } };
    const r = validateClaims(closed, { taxYear: 2024, extra: 1 });
    expect(r).toEqual({ ok: false, errors: [{ path: "extra", message: "not allowed here" }] });
  });

  it("rejects claims that are not JSON data", () => {
    expect(validateClaims(taxClearance, { taxYear: 10n })).toEqual({ ok: false, errors: [{ path: "", message: "claims are not JSON data" }] });
  });

  it("does not throw on a schema that cannot be applied", () => {
    const broken: EvidenceTypeDef = { ...taxClearance, claims: { type: "object", properties: { a: { $ref: "#/$defs/missing" } } } };
    const r = validateClaims(broken, { a: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]?.message).toMatch(/cannot be applied/);
  });

  it("gives the same answers for a content-equal definition loaded again (cached validator)", () => {
    const again: EvidenceTypeDef = JSON.parse(JSON.stringify(taxClearance));
    fc.assert(
      fc.property(fc.integer({ min: 1900, max: 2100 }), fc.boolean(), (taxYear, arrears) => {
        const a = validateClaims(taxClearance, { taxYear, arrears });
        const b = validateClaims(again, { taxYear, arrears });
        expect(b).toEqual(a);
        expect(a.ok).toBe(taxYear >= 1994);
      }),
    );
  });

  it("does not annotate the definition's schema in place", () => {
    const def: EvidenceTypeDef = JSON.parse(JSON.stringify(taxClearance));
    const before = JSON.stringify(def.claims);
    validateClaims(def, { taxYear: 2024 });
    expect(JSON.stringify(def.claims)).toBe(before);
    expect(Object.getOwnPropertyNames(def.claims.properties.issuedOn)).toEqual(["$ref"]);
  });

  it("claimFieldNames lists the top-level properties", () => {
    expect(claimFieldNames(taxClearance)).toEqual(["taxYear", "arrears", "taxTypes", "issuedOn", "office"]);
  });
});

/* ------------------------------------------------------------------ names */

describe("evidence type names", () => {
  it.each(["business-license.registration", "a.b", "tax.clearance.v2", "x1.y-2-z"])("accepts %s", (name) => {
    expect(evidenceTypeSlug.test(name)).toBe(true);
    expect(evidenceTypeNameSchema.safeParse(name).success).toBe(true);
  });

  it.each(["tax", "Tax.clearance", "tax..clearance", ".tax", "tax.", "tax.-x", "tax.x-", "tax_x.y", "tax.clear ance", "税务.证明"])("rejects %j", (name) => {
    expect(evidenceTypeSlug.test(name)).toBe(false);
    expect(evidenceTypeNameSchema.safeParse(name).success).toBe(false);
  });

  it("limits names to 64 chars", () => {
    const name64 = `a.${"b".repeat(62)}`;
    expect(evidenceTypeNameSchema.safeParse(name64).success).toBe(true);
    expect(evidenceTypeNameSchema.safeParse(`${name64}c`).success).toBe(false);
  });
});

/* ------------------------------------------------------------------ admin bodies */

const goodTypeBody = {
  name: "无欠税证明",
  issuerKind: "taxation",
  sensitivity: "ordinary",
  claims: taxClearance.claims,
  defaultFields: ["arrears"],
};

const withClaims = (claims: unknown) => ({ ...goodTypeBody, claims, defaultFields: [] });

describe("evidenceTypeBodySchema", () => {
  it("accepts a good body", () => {
    expect(evidenceTypeBodySchema.parse(goodTypeBody)).toEqual(goodTypeBody);
  });

  it("defaults defaultFields to the verdict only", () => {
    const { defaultFields: _d, ...rest } = goodTypeBody;
    expect(evidenceTypeBodySchema.parse(rest).defaultFields).toEqual([]);
  });

  it.each([
    ["unknown key", { ...goodTypeBody, defaultField: [] }, []],
    ["empty name", { ...goodTypeBody, name: "" }, ["name"]],
    ["long name", { ...goodTypeBody, name: "证".repeat(129) }, ["name"]],
    ["issuerKind not a slug", { ...goodTypeBody, issuerKind: "Civil Affairs" }, ["issuerKind"]],
    ["unknown sensitivity", { ...goodTypeBody, sensitivity: "secret" }, ["sensitivity"]],
    ["claims not an object", { ...goodTypeBody, claims: [] }, ["claims"]],
    ["defaultFields not in claims", { ...goodTypeBody, defaultFields: ["arrears", "salary"] }, ["defaultFields", 1]],
    ["defaultFields twice", { ...goodTypeBody, defaultFields: ["arrears", "arrears"] }, ["defaultFields", 1]],
    ["top-level type not object", withClaims({ type: "array", items: {}, properties: {} }), ["claims", "type"]],
    ["no properties", withClaims({ type: "object" }), ["claims", "properties"]],
    ["bad type name", withClaims({ type: "object", properties: { a: { type: "text" } } }), ["claims", "properties", "a", "type"]],
    ["bad pattern", withClaims({ type: "object", properties: { a: { type: "string", pattern: "([a-z]" } } }), ["claims", "properties", "a", "pattern"]],
    ["bad patternProperties key", withClaims({ type: "object", properties: {}, patternProperties: { "(": {} } }), ["claims", "patternProperties", "("]],
    ["remote $ref", withClaims({ type: "object", properties: { a: { $ref: "https://example.com/s.json" } } }), ["claims", "properties", "a", "$ref"]],
    ["unresolved $ref", withClaims({ type: "object", properties: { a: { $ref: "#/$defs/nope" } } }), ["claims", "properties", "a", "$ref"]],
    ["other draft", withClaims({ $schema: "http://json-schema.org/draft-07/schema#", type: "object", properties: {} }), ["claims", "$schema"]],
    ["tuple items", withClaims({ type: "object", properties: { a: { type: "array", items: [{}] } } }), ["claims", "properties", "a", "items"]],
    ["negative maxLength", withClaims({ type: "object", properties: { a: { type: "string", maxLength: -1 } } }), ["claims", "properties", "a", "maxLength"]],
    ["zero multipleOf", withClaims({ type: "object", properties: { a: { type: "number", multipleOf: 0 } } }), ["claims", "properties", "a", "multipleOf"]],
    ["empty enum", withClaims({ type: "object", properties: { a: { enum: [] } } }), ["claims", "properties", "a", "enum"]],
    ["required not strings", withClaims({ type: "object", properties: {}, required: [1] }), ["claims", "required"]],
    ["sub-schema not a schema", withClaims({ type: "object", properties: { a: "string" } }), ["claims", "properties", "a"]],
    ["unsupported $dynamicRef", withClaims({ type: "object", properties: { a: { $dynamicRef: "#x" } } }), ["claims", "properties", "a", "$dynamicRef"]],
    ["claim name not an identifier", withClaims({ type: "object", properties: { "tax-year": {} } }), ["claims", "properties", "tax-year"]],
    ["reserved claim name", withClaims({ type: "object", properties: { valid: { type: "boolean" } } }), ["claims", "properties", "valid"]],
    ["endless self-reference", withClaims({ type: "object", properties: {}, allOf: [{ $ref: "#" }] }), ["claims"]],
    ["too large", withClaims({ type: "object", properties: { a: { description: "x".repeat(70_000) } } }), ["claims"]],
  ] as const)("rejects %s", (_what, body, path) => {
    const r = evidenceTypeBodySchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path)).toContainEqual(path);
  });

  it("explains a schema problem in words", () => {
    const r = evidenceTypeBodySchema.safeParse(withClaims({ type: "object", properties: { a: { $ref: "https://example.com/s.json" } } }));
    expect(r.error?.issues[0]?.message).toBe("only local references (#/...) are allowed");
  });

  it("claimsSchemaProblems reports dotted paths and [] for usable schemas", () => {
    expect(claimsSchemaProblems(taxClearance.claims)).toEqual([]);
    expect(claimsSchemaProblems({ type: "object", properties: { a: { minimum: "1" } } })).toEqual([{ path: "properties.a.minimum", message: "must be a number" }]);
    expect(claimsSchemaProblems("{}")).toEqual([{ path: "", message: "must be a JSON Schema object" }]);
  });
});

const goodMatter = {
  name: "公共租赁住房申请",
  region: "350100",
  requirements: [
    { evidenceType: "housing.no-property-proof", exempt: true },
    { evidenceType: "subsistence-allowance.certificate", exempt: true, note: "低保家庭优先" },
    { evidenceType: "social-insurance.record", exempt: false },
  ],
};

describe("matterBodySchema and matterCodeSchema", () => {
  it("accepts a good matter", () => {
    expect(matterBodySchema.parse(goodMatter)).toEqual(goodMatter);
  });

  it("accepts a matter without materials", () => {
    expect(matterBodySchema.safeParse({ ...goodMatter, requirements: [] }).success).toBe(true);
  });

  const req = (evidenceType: string) => ({ evidenceType, exempt: true });
  it.each([
    ["unknown key", { ...goodMatter, code: "x" }, []],
    ["empty name", { ...goodMatter, name: "" }, ["name"]],
    ["long name", { ...goodMatter, name: "事".repeat(129) }, ["name"]],
    ["5-digit region", { ...goodMatter, region: "35010" }, ["region"]],
    ["non-digit region", { ...goodMatter, region: "35010a" }, ["region"]],
    ["duplicate evidence type", { ...goodMatter, requirements: [req("a.b"), req("c.d"), req("a.b")] }, ["requirements", 2, "evidenceType"]],
    ["bad evidence type", { ...goodMatter, requirements: [req("Housing")] }, ["requirements", 0, "evidenceType"]],
    ["exempt missing", { ...goodMatter, requirements: [{ evidenceType: "a.b" }] }, ["requirements", 0, "exempt"]],
    ["exempt not boolean", { ...goodMatter, requirements: [{ evidenceType: "a.b", exempt: "yes" }] }, ["requirements", 0, "exempt"]],
    ["unknown requirement key", { ...goodMatter, requirements: [{ ...req("a.b"), optional: true }] }, ["requirements", 0]],
    ["too many requirements", { ...goodMatter, requirements: Array.from({ length: 101 }, (_, i) => req(`t.n${i}`)) }, ["requirements"]],
  ] as const)("rejects %s", (_what, body, path) => {
    const r = matterBodySchema.safeParse(body);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path)).toContainEqual(path);
  });

  it("accepts 100 requirements", () => {
    const requirements = Array.from({ length: 100 }, (_, i) => ({ evidenceType: `t.n${i}`, exempt: true }));
    expect(matterBodySchema.safeParse({ ...goodMatter, requirements }).success).toBe(true);
  });

  it.each(["350100-GZF-001", "a", "x".repeat(64), "Matter_1.2"])("matter code %j is fine", (code) => {
    expect(matterCodeSchema.safeParse(code).success).toBe(true);
  });

  it.each(["", "x".repeat(65), "公租房", "a/b", "a b"])("matter code %j is rejected", (code) => {
    expect(matterCodeSchema.safeParse(code).success).toBe(false);
  });
});
