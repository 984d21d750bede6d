/**
 * Demo people, companies and their records (all invented; ids carry valid check digits so they
 * pass the gateway's validation). Used by `npm start` without a bootstrap file, and by tests.
 */
import { makeResidentId, makeUscc } from "../catalog/subject.ts";

export interface DemoRecord {
  subject: { type: "resident-id" | "uscc"; id: string };
  name: string;
  status: "valid" | "revoked" | "expired" | "suspended";
  certificateId: string;
  claims: Record<string, unknown>;
  validUntil?: string;
}

export const DEMO_PEOPLE = {
  /** 张三, Nanguan district: holds a valid 低保 certificate and owns no housing. */
  zhangSan: { id: makeResidentId("22010219900101123"), name: "张三" },
  /** 李四: 低保 certificate revoked; owns a flat. */
  liSi: { id: makeResidentId("22010319850615234"), name: "李四" },
  /** 王五: no records anywhere. */
  wangWu: { id: makeResidentId("22010419781120345"), name: "王五" },
  /** 赵六: disability certificate, social insurance. */
  zhaoLiu: { id: makeResidentId("22010219920308456"), name: "赵六" },
  /** 孙七: the demo civil-affairs server's record system is "down" for him (an unavailable item, for supervision). */
  sunQi: { id: makeResidentId("22010519870215567"), name: "孙七" },
  /** 周八: 低保 certificate expired (not renewed). */
  zhouBa: { id: makeResidentId("22010519700512567"), name: "周八" },
} as const;

export const DEMO_COMPANY = { id: makeUscc("91220102MA17X8Y9L"), name: "长春市南关区示例商贸有限公司" };

const person = (p: { id: string; name: string }) => ({ subject: { type: "resident-id" as const, id: p.id }, name: p.name });

/** What the demo civil-affairs department (a real HTTP server) holds. */
export const CIVIL_AFFAIRS_RECORDS: Record<string, DemoRecord[]> = {
  "subsistence-allowance.certificate": [
    {
      ...person(DEMO_PEOPLE.zhangSan),
      status: "valid",
      certificateId: "DB-220102-2025-00417",
      validUntil: "2027-06-30",
      claims: { certificateNo: "DB-220102-2025-00417", householdSize: 3, monthlyAmount: 2040, validFrom: "2025-07-01", validUntil: "2027-06-30", region: "220102" },
    },
    {
      ...person(DEMO_PEOPLE.liSi),
      status: "revoked",
      certificateId: "DB-220103-2023-00108",
      claims: { certificateNo: "DB-220103-2023-00108", householdSize: 2, monthlyAmount: 1360, validFrom: "2023-03-01", validUntil: "2025-02-28", region: "220103" },
    },
    {
      ...person(DEMO_PEOPLE.zhouBa),
      status: "expired",
      certificateId: "DB-220105-2022-00311",
      validUntil: "2024-12-31",
      claims: { certificateNo: "DB-220105-2022-00311", householdSize: 1, monthlyAmount: 780, validFrom: "2022-01-01", validUntil: "2024-12-31", region: "220105" },
    },
  ],
};

/** What the fixture-backed departments hold (housing, market regulation, HR, disabled persons' federation). */
export const FIXTURE_RECORDS: Record<string, DemoRecord[]> = {
  "housing.no-property-proof": [
    { ...person(DEMO_PEOPLE.zhangSan), status: "valid", certificateId: "WF-2026-118203", validUntil: "2027-05-20", claims: { region: "220100", propertyCount: 0, asOf: "2026-11-20", validUntil: "2027-05-20" } },
  ],
  "business-license.registration": [
    {
      subject: { type: "uscc", id: DEMO_COMPANY.id },
      name: DEMO_COMPANY.name,
      status: "valid",
      certificateId: DEMO_COMPANY.id,
      claims: { companyName: DEMO_COMPANY.name, legalRepresentative: "张三", registeredCapital: "100万元人民币", establishedOn: "2019-04-12", companyType: "有限责任公司", registrationAuthority: "长春市南关区市场监督管理局" },
    },
  ],
  "social-insurance.record": [
    { ...person(DEMO_PEOPLE.zhaoLiu), status: "valid", certificateId: "SI-220102-7781", claims: { insuranceTypes: ["pension", "medical"], contributionMonths: 86, lastContributionMonth: "2026-10", region: "220102" } },
  ],
  "disability.certificate": [
    { ...person(DEMO_PEOPLE.zhaoLiu), status: "valid", certificateId: "CDPF-22010219920308456", validUntil: "2030-03-07", claims: { certificateNo: "22010219920308456", disabilityCategory: "physical", disabilityLevel: 3, validUntil: "2030-03-07" } },
  ],
};
