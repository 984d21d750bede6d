/**
 * Demo matters and policies for Changchun's certificate-free list (a small part of it). The
 * citations name the kind of provision a real deployment cites; check them with the city's
 * legal office before production.
 */
export const DEMO_MATTERS = [
  {
    code: "220100-public-rental-housing",
    name: "公共租赁住房保障资格申请",
    region: "220100",
    requirements: [
      { evidenceType: "subsistence-allowance.certificate", exempt: true, note: "低保家庭优先保障" },
      { evidenceType: "housing.no-property-proof", exempt: true },
    ],
  },
  {
    code: "220100-business-permit",
    name: "食品经营许可证核发",
    region: "220100",
    requirements: [{ evidenceType: "business-license.registration", exempt: true }],
  },
  {
    code: "220100-disability-living-subsidy",
    name: "困难残疾人生活补贴申请",
    region: "220100",
    requirements: [
      { evidenceType: "disability.certificate", exempt: true },
      { evidenceType: "subsistence-allowance.certificate", exempt: true },
      { evidenceType: "social-insurance.record", exempt: false, note: "本人自愿提供" },
    ],
  },
];

export const DEMO_POLICIES = [
  {
    id: "dibao",
    evidenceType: "subsistence-allowance.certificate",
    description: "低保 status may be checked for housing and disability subsidies on a statutory basis.",
    rules: [
      { matters: ["220100-public-rental-housing", "220100-disability-living-subsidy"], basis: "statutory", citation: "《社会救助暂行办法》第十一条、《公共租赁住房管理办法》第七条", fields: ["validUntil", "householdSize"] },
    ],
  },
  {
    id: "no-property",
    evidenceType: "housing.no-property-proof",
    rules: [{ matters: ["220100-public-rental-housing"], basis: "statutory", citation: "《公共租赁住房管理办法》第七条", fields: ["propertyCount", "asOf"] }],
  },
  {
    id: "business-license",
    evidenceType: "business-license.registration",
    rules: [{ matters: ["*"], basis: "statutory", citation: "《优化营商环境条例》第三十五条", fields: ["companyName", "legalRepresentative", "validUntil"] }],
  },
  {
    id: "disability",
    evidenceType: "disability.certificate",
    description: "Sensitive (PIPL art. 28): only with the person's separate consent naming this type.",
    rules: [{ matters: ["220100-disability-living-subsidy"], basis: "consent", fields: ["disabilityLevel", "validUntil"] }],
  },
  {
    id: "social-insurance",
    evidenceType: "social-insurance.record",
    rules: [{ matters: ["220100-disability-living-subsidy"], basis: "consent", fields: ["contributionMonths"] }],
  },
];
