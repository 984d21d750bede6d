/**
 * Examples for the operations that arrived with PROTOCOL v1.1 and the rest of the catalog: policies,
 * consents, the ledger's text and binary forms, keys, supervision (§10). Merged into
 * OPERATION_EXAMPLES; validated against their schemas by test/openapi.test.ts like the others.
 */
import type { OperationExamples } from "./openapi-examples.ts";

const NOW = "2026-11-21T09:30:00Z";
const CHECKPOINT = "huren.changchun.gov.cn/ledger\n4712\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\n— huren.changchun.gov.cn/ledger hI2DJwAbq3kS0fB2MPA3j2jxq2I1roloI=\n";
const evidenceType = {
  type: "senior-citizen.card",
  name: "老年人优待证 Senior citizen card",
  issuerKind: "civil-affairs",
  sensitivity: "ordinary",
  claims: { type: "object", properties: { valid: { type: "boolean" }, validUntil: { type: "string", format: "date" } }, required: ["valid"] },
  defaultFields: [],
  builtin: false,
};
const policyDoc = {
  department: "cc-civil-affairs",
  evidenceTypes: { "subsistence-allowance.certificate": { rules: [{ matters: ["220100-public-rental-housing"], basis: "statutory", citation: "《社会救助暂行办法》第十一条", fields: ["validUntil"] }] } },
};
const policy = { id: "cc-civil-affairs", version: 3, hash: "Yk3q0Jm2S1bq3H0yqJ8pW2y7d0b1mQeYt2kq7c0pQ9b", document: policyDoc };
const consent = {
  id: "cns-2026-11-000042",
  issuer: "cc-service-app",
  state: "active",
  grantee: "nanguan-window-01",
  matters: ["220100-disability-living-subsidy"],
  evidenceTypes: ["disability.certificate"],
  notBefore: NOW,
  expiresAt: "2026-12-21T09:30:00Z",
  maxUses: 3,
  useCount: 1,
  method: "app",
  proof: "q2V8mJ3x0bWcS1nZr4Tt9Yk7uFh2LdPa6EoQiGsCvXw",
  tokenHash: "B95lDa8R83lS8n0eG-o0buTxRKQTYFi__1U8anccXmA",
  registeredAt: NOW,
  revokedAt: null,
  revokedBy: null,
  uses: [],
};
const service = { asked: 1840, answered: 1822, unavailable: { timeout: 15, "http-status": 3 }, fulfilment: 0.9902, p50Ms: 38, p95Ms: 120, p99Ms: 910 };
const department = { department: "cc-civil-affairs", name: "长春市民政局", ...service, breaches: 0, adapters: [{ adapter: "cc-civil-affairs-http", evidenceType: "subsistence-allowance.certificate", ...service }] };
const clerk = { verifications: 212, items: 390, certificateFree: 371, denials: { "consent-required": 12 } };
const window = { window: "nanguan-window-01", ...clerk, operators: [{ operator: "nanguan-window-01/clerk-0042", ...clerk }] };
const card = {
  id: "card_01JD8Q5W3G7R2N4K6M8P0S2T4V",
  level: "yellow",
  rule: "bulk-lookups",
  target: { kind: "operator", id: "nanguan-window-01/clerk-0042" },
  period: { from: "2026-11-21T00:00:00+08:00", to: "2026-11-22T00:00:00+08:00" },
  count: 60,
  threshold: 60,
  thresholds: { yellow: 60, red: 120 },
  evidence: [4711, 4712, 4715],
  state: "open",
  openedAt: "2026-11-21T15:02:11+08:00",
  notes: [],
};
const rule = { kind: "bulk-lookups", period: "1d", yellow: 60, red: 120 };
const totals = { verifications: 5120, items: 9310, certificateFree: 8744, denied: 402, unavailable: 164 };

const identity = { issuer: "", subject: "u-3f9c2a7e", member: "cc-audit-office", uid: "auditor-07", enabled: true };
const identityStored = { ...identity, changedBy: "huren-admin", updatedAt: NOW };

export const MORE_EXAMPLES: Record<string, OperationExamples> = {
  "PUT /v1/console/identities": { request: identity, responses: { 200: identityStored, 201: identityStored } },
  "GET /v1/console/identities": { responses: { 200: { identities: [identityStored] } } },
  "GET /v1/catalog/evidence-types": { responses: { 200: { evidenceTypes: [evidenceType] } } },
  "GET /v1/catalog/evidence-types/{type}": { responses: { 200: evidenceType } },
  "PUT /v1/catalog/evidence-types/{type}": { responses: { 200: evidenceType, 201: evidenceType } },
  "GET /v1/adapters/{id}/versions": {
    responses: { 200: { versions: [{ version: 3, department: "cc-civil-affairs", kind: "http", evidenceTypes: ["subsistence-allowance.certificate"], config: { endpoint: "https://minzheng.example.gov.cn/huren/lookup", answerSignature: "required" }, enabled: true, changedBy: "cc-civil-affairs", createdAt: NOW }] } },
  },
  "PUT /v1/policies/{id}": { responses: { 200: policy, 201: policy } },
  "GET /v1/policies/{id}": { responses: { 200: policy } },
  "GET /v1/policies": { responses: { 200: { policies: [policy] } } },
  "GET /v1/policies/{id}/versions/{version}": { responses: { 200: policy } },
  "POST /v1/policies/evaluate": {
    responses: {
      200: { at: NOW, requester: "nanguan-window-01", matter: "220100-public-rental-housing", consent: null, items: [{ type: "subsistence-allowance.certificate", permit: true, basis: "statutory", citation: "《社会救助暂行办法》第十一条", fields: ["valid", "validUntil"], reasons: [], explanations: ["允许：法定依据 permitted on a statutory basis"], policyVersion: "cc-civil-affairs@3", agreement: null, issuerRegion: "220100", adapter: "cc-civil-affairs-http" }] },
    },
  },
  "POST /v1/consents": { responses: { 200: consent, 201: consent } },
  "GET /v1/consents/{id}": { responses: { 200: consent } },
  "POST /v1/consents/{id}/revoke": { responses: { 200: { id: consent.id, state: "revoked", revokedAt: NOW, revokedBy: "cc-service-app" } } },
  "GET /v1/ledger/checkpoint": { responses: { 200: CHECKPOINT } },
  "GET /v1/ledger/key": { responses: { 200: "huren.changchun.gov.cn/ledger+8e2f4a1c+AdaK9vR0V6bqY1YV7m2nZ3Qf8pH1sUuJkC0xWcE5tL4Q\n" } },
  "GET /v1/ledger/tile/{L}/{N}": { responses: { 200: "(binary: 32-byte SHA-256 hashes, 256 per full tile)" } },
  "GET /v1/ledger/tile/entries/{N}": { responses: { 200: "(binary: entries, each a big-endian uint16 length then its RFC 8785 JSON)" } },
  "GET /v1/ledger/proofs/bundle": { responses: { 200: `c2sp.org/tlog-proof@v1\nindex 4711\nB95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\nEKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\n\n${CHECKPOINT}` } },
  "POST /v1/keys/rotate": { responses: { 200: { kid: "gw-2026-12", previousKid: "gw-2026-11", ledger: { index: 4713, leafHash: "RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=" } } } },
  "GET /v1/audit/export": { responses: { 200: '{"index":4711,"entry":{"requester":"nanguan-window-01","matter":"220100-public-rental-housing"},"leafHash":"gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ="}\n' } },
  "GET /v1/supervision/departments": { responses: { 200: { from: "2026-11-01", to: "2026-11-21", departments: [department] } } },
  "GET /v1/supervision/ranking": { responses: { 200: { date: "2026-11-21", ranking: [{ rank: 1, previousRank: 2, department: "cc-civil-affairs", fulfilment: 0.9902, p95Ms: 120, asked: 1840 }] } } },
  "GET /v1/supervision/windows": { responses: { 200: { from: "2026-11-01", to: "2026-11-21", windows: [window] } } },
  "GET /v1/supervision/denials": { responses: { 200: { from: "2026-11-01", to: "2026-11-21", totals, denials: { "consent-required": 301, "matter-not-allowed": 101 } } } },
  "GET /v1/supervision/cards": { responses: { 200: { cards: [card] } } },
  "POST /v1/supervision/cards/{id}/acknowledge": {
    request: { note: "已约谈经办人，系批量受理 talked to the clerk: a batch of applications" },
    responses: { 200: { ...card, state: "acknowledged", notes: [{ by: "city-supervision/sup-01", at: "2026-11-21T16:10:00+08:00", note: "已约谈经办人，系批量受理 talked to the clerk: a batch of applications", action: "acknowledge" }] } },
  },
  "POST /v1/supervision/cards/{id}/close": {
    request: { note: "情况属实，已处理 explained and closed" },
    responses: { 200: { ...card, state: "closed", notes: [{ by: "city-supervision/sup-01", at: "2026-11-22T09:00:00+08:00", note: "情况属实，已处理 explained and closed", action: "close" }] } },
  },
  "GET /v1/supervision/rules": { responses: { 200: { rules: [{ id: "bulk-lookups", rule, default: true }] } } },
  "PUT /v1/supervision/rules/{id}": { request: rule, responses: { 200: rule } },
  "GET /v1/supervision/reports/monthly": {
    responses: { 200: { month: "2026-11", totals, departments: [department], windows: [window], matters: [{ matter: "220100-public-rental-housing", verifications: 2210, items: 4420, certificateFree: 4180 }], denials: { "consent-required": 301 }, cards: { opened: 4, closed: 3 } } },
  },
};
