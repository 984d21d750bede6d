/**
 * The five built-in evidence types. Their claims are zod schemas, the single source of truth:
 * validation of built-ins goes through them, and their published JSON Schema is derived with
 * `z.toJSONSchema`. Admin-registered types live in the database (`./store.ts`).
 */
import { z } from "zod";
import type { EvidenceTypeDef, JsonSchemaObject } from "./evidence-types.ts";

// Every claim is optional because departments answer with subsets of what they hold; unknown
// claims are accepted but stripped (`z.object` default), so nothing the catalog does not name
// is passed on to windows. Values are strictly typed, though: a department that sends a number
// where a date belongs has a broken adapter and gets a schema-violation, not a silent pass.

/** `YYYY-MM-DD`, a real calendar date (zod's ISO date regex knows month lengths and leap years). */
const isoDate = () => z.iso.date();
/** `YYYY-MM`. */
const isoMonth = () => z.string().regex(/^\d{4}-(?:0[1-9]|1[0-2])$/, "expected a month as YYYY-MM");
/** GB/T 2260 administrative division code (行政区划代码). */
const regionCode = () => z.string().regex(/^\d{6}$/, "expected a 6-digit region code");
const text = (max: number) => z.string().min(1).max(max);

/** 营业执照 (business licence) as registered with market regulation. */
export const businessLicenseClaims = z
  .object({
    companyName: text(200).describe("名称"),
    legalRepresentative: text(64).describe("法定代表人（负责人、经营者）"),
    registeredCapital: text(64).describe("注册资本，如“100万元人民币”"),
    establishedOn: isoDate().describe("成立日期"),
    businessScope: text(4000).describe("经营范围"),
    registrationAuthority: text(128).describe("登记机关"),
    companyType: text(128).describe("类型，如“有限责任公司（自然人投资或控股）”"),
    address: text(256).describe("住所"),
    // 营业期限 "长期" has no end date: null says so explicitly, absent says "not disclosed".
    validUntil: isoDate().nullable().describe("营业期限至；null 表示长期"),
  })
  .partial();

export const INSURANCE_TYPES = ["pension", "medical", "unemployment", "work-injury", "maternity"] as const;

/** 社会保险参保缴费记录 (social insurance contributions). */
export const socialInsuranceClaims = z
  .object({
    insuranceTypes: z.array(z.enum(INSURANCE_TYPES)).describe("参保险种：养老、医疗、失业、工伤、生育"),
    insuredStatus: z.enum(["active", "suspended", "terminated"]).describe("参保状态：正常参保、暂停缴费、终止参保"),
    contributionMonths: z.int().min(0).max(1200).describe("累计缴费月数"),
    lastContributionMonth: isoMonth().describe("最近缴费年月"),
    employerName: text(200).describe("参保单位名称"),
    region: regionCode().describe("参保地行政区划代码"),
  })
  .partial();

/** 最低生活保障证 (subsistence allowance, 低保). */
export const subsistenceAllowanceClaims = z
  .object({
    certificateNo: text(64).describe("低保证编号"),
    category: z.enum(["urban", "rural"]).describe("城市低保或农村低保"),
    householdSize: z.int().min(1).max(99).describe("保障人口数"),
    // Yuan with fen precision; amounts are paid to the fen, never finer.
    monthlyAmount: z.number().min(0).max(1_000_000).multipleOf(0.01).describe("月保障金额（元）"),
    validFrom: isoDate().describe("保障起始日期"),
    validUntil: isoDate().describe("有效期至"),
    region: regionCode().describe("发证地行政区划代码"),
  })
  .partial();

/** 无房证明 (proof of owning no housing in a region). */
export const noPropertyProofClaims = z
  .object({
    region: regionCode().describe("查询范围行政区划代码"),
    propertyCount: z.int().min(0).max(10_000).describe("名下登记住房套数"),
    asOf: isoDate().describe("登记信息截止日期"),
    validUntil: isoDate().describe("证明有效期至"),
  })
  .partial();

export const DISABILITY_CATEGORIES = ["visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"] as const;

/** 中华人民共和国残疾人证 (disability certificate). */
export const disabilityCertificateClaims = z
  .object({
    certificateNo: text(64).describe("残疾人证号（第二代为身份号码加类别、等级两位）"),
    disabilityCategory: z.enum(DISABILITY_CATEGORIES).describe("残疾类别：视力、听力、言语、肢体、智力、精神、多重"),
    disabilityLevel: z.int().min(1).max(4).describe("残疾等级，一级最重"),
    validUntil: isoDate().describe("有效期至"),
  })
  .partial();

export type BusinessLicenseClaims = z.infer<typeof businessLicenseClaims>;
export type SocialInsuranceClaims = z.infer<typeof socialInsuranceClaims>;
export type SubsistenceAllowanceClaims = z.infer<typeof subsistenceAllowanceClaims>;
export type NoPropertyProofClaims = z.infer<typeof noPropertyProofClaims>;
export type DisabilityCertificateClaims = z.infer<typeof disabilityCertificateClaims>;

type ClaimsSchema = z.ZodType<Record<string, unknown>>;

interface BuiltinSpec {
  type: string;
  name: string;
  issuerKind: string;
  sensitivity: EvidenceTypeDef["sensitivity"];
  schema: ClaimsSchema;
}

// Sensitivity follows PIPL art. 28: disability is health information and subsistence allowance
// status reveals a specific (vulnerable) identity and finances; both need a separate consent
// and stricter policies. The others are ordinary personal or public registration data.
const SPECS: readonly BuiltinSpec[] = [
  { type: "business-license.registration", name: "营业执照", issuerKind: "market-regulation", sensitivity: "ordinary", schema: businessLicenseClaims },
  { type: "social-insurance.record", name: "社保参保缴费记录", issuerKind: "human-resources-social-security", sensitivity: "ordinary", schema: socialInsuranceClaims },
  { type: "subsistence-allowance.certificate", name: "最低生活保障证", issuerKind: "civil-affairs", sensitivity: "sensitive", schema: subsistenceAllowanceClaims },
  { type: "housing.no-property-proof", name: "无房证明", issuerKind: "housing-and-urban-rural-development", sensitivity: "ordinary", schema: noPropertyProofClaims },
  { type: "disability.certificate", name: "残疾人证", issuerKind: "disabled-persons-federation", sensitivity: "sensitive", schema: disabilityCertificateClaims },
];

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * JSON Schema (draft 2020-12) of a claims schema, as published in the catalog. `io: "input"`
 * describes what a department may send, so the exported schema leaves extra properties open
 * just like the zod schema does (they are dropped, not rejected).
 */
function toClaimsJsonSchema(schema: ClaimsSchema): JsonSchemaObject {
  return z.toJSONSchema(schema, { target: "draft-2020-12", io: "input" }) as JsonSchemaObject;
}

/** zod claim schemas of the built-in types, by type; validation of built-ins goes through these. */
export const BUILTIN_CLAIM_SCHEMAS: ReadonlyMap<string, ClaimsSchema> = new Map(SPECS.map((s) => [s.type, s.schema]));

/**
 * The built-in catalog entries. Frozen: they are shared by every request, so an accidental
 * mutation would change the catalog for everyone.
 */
export const BUILTIN_EVIDENCE_TYPES: readonly EvidenceTypeDef[] = deepFreeze(
  SPECS.map(
    (s): EvidenceTypeDef => ({
      type: s.type,
      name: s.name,
      issuerKind: s.issuerKind,
      sensitivity: s.sensitivity,
      claims: toClaimsJsonSchema(s.schema),
      // The default disclosure is the verdict only; claims are disclosed when asked for.
      defaultFields: [],
      builtin: true,
    }),
  ),
);

/**
 * @example isBuiltinType("disability.certificate") // true
 * @example isBuiltinType("tax.clearance") // false
 */
export function isBuiltinType(type: string): boolean {
  return BUILTIN_CLAIM_SCHEMAS.has(type);
}
