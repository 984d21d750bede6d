/**
 * Request and response examples for the API reference, keyed by `METHOD /path` as in the OpenAPI
 * document. Kept in one place (not in each route) so a reader sees one coherent story: the demo's
 * 南关区 window checks 张三 for public rental housing. test/openapi.test.ts validates every example
 * against its operation's schema, so an example cannot drift from the API.
 */
import { MORE_EXAMPLES } from "./openapi-examples-more.ts";

const ID = "220102199001011239"; // a demo resident id (GB 11643 check digit valid), not a real person
const NOW = "2026-11-21T09:30:00Z";
const ED25519 = { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", kid: "nanguan-2026-01" };

export interface OperationExamples {
  request?: unknown;
  responses?: Record<string, unknown>;
}

const member = { id: "nanguan-window-01", kind: "window", name: "南关区政务服务中心 01 号窗口", region: "220102", jwks: { keys: [ED25519] }, enabled: true, createdAt: NOW, updatedAt: NOW };
/** A department with its grants (PROTOCOL §4): what it issues, and where its adapters may connect. */
const departmentMember = {
  id: "cc-civil-affairs",
  kind: "department",
  name: "长春市民政局",
  region: "220100",
  jwks: { keys: [{ ...ED25519, kid: "minzheng-2026-01" }] },
  enabled: true,
  grants: { evidenceTypes: ["subsistence-allowance.certificate"], hosts: ["minzheng.example.gov.cn", "10.12.0.0/16"] },
  createdAt: NOW,
  updatedAt: NOW,
};
const problemOf = (code: string, status: number, title: string, detail: string, errors?: { path: string; message: string }[]) => ({
  type: `https://huren.dev/problems/${code}`,
  title,
  status,
  detail,
  requestId: "req_01JD8Q5W3G7R2N4K6M8P0S2T4V",
  ...(errors ? { errors } : {}),
});
const adapter = {
  id: "cc-civil-affairs-http",
  department: "cc-civil-affairs",
  kind: "http",
  evidenceTypes: ["subsistence-allowance.certificate"],
  config: { endpoint: "https://minzheng.example.gov.cn/huren/lookup", timeoutMs: 3000, maxBodyBytes: 65536, answerSignature: "required" },
  enabled: true,
  version: 3,
  updatedAt: NOW,
  lastCheck: null,
};
const check = {
  ok: true,
  adapter: "cc-civil-affairs-http",
  kind: "http",
  version: 3,
  checkedAt: NOW,
  ms: 84,
  steps: [
    { step: "config", status: "pass", detail: "config valid" },
    { step: "reachability", status: "pass", detail: "endpoint answered", ms: 12 },
    { step: "probe", status: "pass", detail: "probe subject found", ms: 40 },
    { step: "schema", status: "pass", detail: "claims match the evidence type" },
    { step: "signature", status: "pass", detail: "answer signed with a registered key" },
  ],
};
const entry = {
  requester: "nanguan-window-01",
  uid: "clerk-007",
  matter: "220100-public-rental-housing",
  case: "NG-2026-000123",
  subjectRef: "sr_5Jm0nS1bq3H0yqJ8pW2y7d0b1mQeYt2kq7c0pQ9b3xE",
  items: [{ type: "subsistence-allowance.certificate", decision: "permit", status: "verified", source: "cc-civil-affairs-http", basis: "statutory", citation: "《社会救助暂行办法》第十一条" }],
  recordedAt: NOW,
};
const health = {
  version: 3,
  breaker: { state: "closed", consecutiveFailures: 0 },
  inFlight: 1,
  recent: { windowSeconds: 300, lookups: 1840, failures: 3, errorRate: 0.0016, latencyMs: { p50: 38, p95: 120, max: 2950 }, errors: { timeout: 3 }, lastError: { code: "timeout", at: NOW } },
};
const adapterStatus = { ...adapter, lastCheck: check, state: "enabled", notGranted: [], health };
/** A failed check as a department sees it: a stable code per failed step, nothing the gateway's sockets saw. */
const failedCheck = {
  ok: false,
  outcome: "failed",
  adapter: "cc-civil-affairs-http",
  kind: "http",
  version: 4,
  checkedAt: NOW,
  ms: 3004,
  steps: [
    { step: "config", status: "pass", detail: "valid http config for subsistence-allowance.certificate, timeout 3000 ms" },
    { step: "reachability", status: "fail", code: "timeout", detail: "no complete answer within the adapter's timeout", ms: 3001 },
    { step: "probe", status: "skip", detail: "not reached" },
    { step: "schema", status: "skip", detail: "not reached" },
    { step: "signature", status: "skip", detail: "not reached" },
  ],
};
const matter = {
  code: "220100-public-rental-housing",
  name: "公共租赁住房申请 Public rental housing application",
  region: "220100",
  requirements: [
    { evidenceType: "subsistence-allowance.certificate", exempt: true },
    { evidenceType: "housing.no-property-proof", exempt: true, note: "由住建部门内部核验 checked internally by housing" },
  ],
};
const policy = {
  department: "cc-civil-affairs",
  evidenceTypes: {
    "subsistence-allowance.certificate": {
      description: "低保 status may be checked for housing on a statutory basis.",
      rules: [{ matters: ["220100-public-rental-housing"], basis: "statutory", citation: "《社会救助暂行办法》第十一条", fields: ["validUntil", "householdSize"] }],
    },
  },
};

/** A person's accesses: a verification, and an auditor's search listed as such (§5.4). */
const accesses = [
  {
    kind: "audit-access",
    time: "2026-11-22T02:10:00Z",
    index: 4980,
    leafHash: "Yq0n3d0Zr8cJm2mQ1pXo3w0t2kF5vQmM8bD7l1sN4aE=",
    by: { id: "cc-audit-office", name: "长春市政务服务监督审计处", kind: "auditor" },
    operator: "audit-staff-07",
    action: "search",
    purpose: "AUD-2026-031",
  },
  {
    kind: "verification",
    time: NOW,
    index: 4711,
    leafHash: "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=",
    verificationId: "vf_01JDQ5X7R5M3V9S1K8T2W4Y6ZA",
    window: { id: "nanguan-window-01", name: "南关区政务服务中心 01 号窗口", region: "220102" },
    operator: "clerk-007",
    matter: { code: "220100-public-rental-housing", name: "公共租赁住房保障资格申请" },
    case: "NG-2026-000123",
    consent: null,
    items: [{ evidenceType: "subsistence-allowance.certificate", decision: "permit", basis: "statutory", citation: "《社会救助暂行办法》第十一条", disclosed: ["valid", "validUntil"], outcome: "verified", source: "cc-civil-affairs-http", reasons: [] }],
  },
];

const BASE_EXAMPLES: Record<string, OperationExamples> = {
  "GET /.well-known/jwks.json": { responses: { 200: { keys: [{ ...ED25519, kid: "gw-2026-11", alg: "EdDSA", use: "sig" }] } } },
  "GET /healthz": { responses: { 200: { status: "ok" } } },
  "GET /readyz": {
    responses: {
      200: {
        status: "ready",
        database: "postgres",
        witnesses: [
          { name: "audit-bureau", url: "https://witness.audit.changchun.gov.cn", lastCosignedSize: 4712, lastCosignedAt: NOW, ageSeconds: 3, failures: 0, lastError: null },
          { name: "siping", url: "https://witness.siping.gov.cn", lastCosignedSize: 4650, lastCosignedAt: "2026-11-21T09:29:20Z", ageSeconds: 43, failures: 4, lastError: "HTTP 503: down for maintenance" },
        ],
      },
    },
  },
  "PUT /v1/members/{id}": {
    request: { kind: departmentMember.kind, name: departmentMember.name, region: departmentMember.region, jwks: departmentMember.jwks, enabled: true, grants: departmentMember.grants },
    responses: {
      200: departmentMember,
      201: departmentMember,
      400: problemOf("validation-failed", 400, "Validation failed", "The request is not valid", [{ path: "grants.hosts.0", message: "wildcards are not allowed: grant each host name, or a CIDR range" }]),
    },
  },
  "GET /v1/members/{id}": { responses: { 200: departmentMember } },
  "GET /v1/members": { responses: { 200: { members: [departmentMember, member] } } },
  "PUT /v1/catalog/evidence-types/{type}": {
    request: {
      name: "老年人优待证 Senior citizen card",
      issuerKind: "civil-affairs",
      sensitivity: "ordinary",
      claims: { type: "object", properties: { valid: { type: "boolean" }, validUntil: { type: "string", format: "date" } }, required: ["valid"] },
      defaultFields: [],
    },
  },
  "PUT /v1/catalog/matters/{code}": { request: { name: matter.name, region: matter.region, requirements: matter.requirements }, responses: { 200: matter, 201: matter } },
  "GET /v1/catalog/matters/{code}": { responses: { 200: matter } },
  "GET /v1/catalog/matters": { responses: { 200: { matters: [matter] } } },
  "PUT /v1/adapters/{id}": {
    request: { department: adapter.department, kind: "http", evidenceTypes: adapter.evidenceTypes, config: adapter.config, enabled: true },
    responses: {
      200: adapter,
      201: adapter,
      403: problemOf("evidence-type-not-granted", 403, "Evidence type not granted", "this department is not granted subsistence-allowance.certificate (an admin sets grants.evidenceTypes)", [
        { path: "evidenceTypes.0", message: "evidence type not granted" },
      ]),
      422: problemOf(
        "host-not-granted",
        422,
        "Host not granted",
        "the adapter's endpoint host is not one this department may reach (grants.hosts), or is never reachable (link-local and metadata addresses, the gateway's own database)",
        [{ path: "config.endpoint", message: "host not granted" }],
      ),
    },
  },
  "GET /v1/adapters/{id}": { responses: { 200: adapterStatus } },
  "GET /v1/adapters": { responses: { 200: { adapters: [adapterStatus] } } },
  "POST /v1/adapters/{id}/check": { responses: { 200: failedCheck } },
  "PUT /v1/policies/{id}": { request: policy },
  "POST /v1/policies/evaluate": {
    request: { requester: "nanguan-window-01", uid: "clerk-007", matter: "220100-public-rental-housing", evidence: [{ type: "subsistence-allowance.certificate", fields: ["validUntil"] }], at: NOW },
  },
  "POST /v1/consents": { request: { token: "eyJhbGciOiJFZERTQSIsImtpZCI6ImNjLWFwcC0wMSIsInR5cCI6Imh1cmVuLWNvbnNlbnQrand0In0.eyJpc3MiOiJjYy1zZXJ2aWNlLWFwcCJ9.c2lnbmF0dXJl" } },
  "POST /v1/verifications": {
    request: {
      matter: "220100-public-rental-housing",
      case: "NG-2026-000123",
      subject: { type: "resident-id", id: ID, name: "张三" },
      evidence: [{ type: "subsistence-allowance.certificate", fields: ["validUntil"] }, { type: "housing.no-property-proof" }],
    },
    responses: {
      200: {
        verificationId: "vf_01JD8Q5W3G7R2N4K6M8P0S2T4V",
        results: [
          { type: "subsistence-allowance.certificate", status: "verified", source: "cc-civil-affairs-http", claims: { valid: true, validUntil: "2027-06-30" }, checkedAt: NOW },
          { type: "housing.no-property-proof", status: "denied", reason: "consent-required" },
        ],
        receipt: "eyJhbGciOiJFZERTQSIsImtpZCI6Imd3LTIwMjYtMTEiLCJ0eXAiOiJodXJlbi1yZWNlaXB0K2p3dCJ9.eyJpc3MiOiJodXJlbi5sb2NhbGhvc3QifQ.c2lnbmF0dXJl",
        subjectOpening: "q2V8mJ3x0bWcS1nZr4Tt9Yk7uFh2LdPa6EoQiGsCvXw",
        ledger: { index: 4711, leafHash: "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=" },
      },
    },
  },
  "GET /v1/ledger/entries/{index}": { responses: { 200: { index: 4711, entry, leafHash: "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=" } } },
  "GET /v1/ledger/proofs/inclusion": { responses: { 200: { hashes: ["B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=", "EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs="] } } },
  "GET /v1/ledger/proofs/consistency": { responses: { 200: { hashes: ["RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes="] } } },
  "POST /v1/audit/search": {
    request: { subject: { type: "resident-id", id: ID }, purpose: "AUD-2026-031", from: "2026-11-01", limit: 50 },
    responses: { 200: { entries: [{ index: 4711, recordedAt: NOW, entry, leafHash: "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=" }], nextCursor: null } },
  },
  "POST /v1/audit/subject-report": {
    request: { subject: { type: "resident-id", id: ID }, purpose: "AUD-2026-031" },
    responses: { 200: { accesses, nextCursor: null } },
  },
  "POST /v1/subjects/access-report": {
    request: { subject: { type: "resident-id", id: ID } },
    responses: { 200: { accesses, nextCursor: null } },
  },
};

/**
 * What every signed operation answers when the caller's quota is spent (src/http/rate-limit.ts),
 * with `Retry-After: 17`, `RateLimit-Policy: "member";q=1200;w=60, "uid";q=120;w=60` and
 * `RateLimit: "member";r=1080;t=17, "uid";r=0;t=17`.
 */
export const RATE_LIMITED_EXAMPLE = {
  type: "https://huren.dev/problems/rate-limited",
  title: "Too many requests",
  status: 429,
  detail: "请求过于频繁：该经办人每 60 秒最多 120 次，请 17 秒后重试。Too many requests: the acting person's (uid) limit is 120 per 60 s; retry in 17 s.",
  requestId: "req_01JDX8Q4S6Z3V1R9T7N5M2K0HP",
  "violated-policies": ["uid"],
};

/** Both catalogs, one entry per operation: a request from one and responses from the other combine. */
export const OPERATION_EXAMPLES: Record<string, OperationExamples> = Object.fromEntries(
  [...new Set([...Object.keys(BASE_EXAMPLES), ...Object.keys(MORE_EXAMPLES)])].map((op) => {
    const a = BASE_EXAMPLES[op] ?? {};
    const b = MORE_EXAMPLES[op] ?? {};
    return [op, { request: a.request ?? b.request, responses: { ...a.responses, ...b.responses } }];
  }),
);
