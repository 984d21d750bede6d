/**
 * Input hygiene (issue #10 §4, PROTOCOL v1.1 §3): no input is a 500. Every route is taken from the
 * app's own OpenAPI document (so a new route is covered without touching this file), called by a
 * member of a kind it allows, with random Unicode (NUL, lone surrogates, any code point), huge and
 * odd numbers, deep nesting and wrong types in its body, query, path parameters and token claims.
 * Every answer must be below 500 and, when it is an error, an RFC 9457 problem.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { createHarness, type Actor, type Harness } from "../harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "../world.ts";
import { MEMBER_KINDS, type MemberKind } from "../../src/members/members.ts";

let h: Harness;
let w: World;
const actors = new Map<MemberKind, Actor>();

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
  const regions: Partial<Record<MemberKind, string>> = { window: "220102", department: "220100" };
  for (const kind of MEMBER_KINDS) actors.set(kind, kind === "window" ? w.window : kind === "department" ? w.civilAffairs : kind === "admin" ? h.admin : await h.addMember(`input-${kind}`, kind, regions[kind]));
}, 180_000);
afterAll(async () => {
  await w?.close();
  await h?.close();
});

/* ------------------------------------------------------------------ hostile values */

/** Code units no well-formed string has, plus NUL, mixed into ordinary text. */
const nastyUnit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("\u0000", "\ud800", "\udbff", "\udc00", "\udfff", "\ud83d", "\ufffd", "\u200b", "\u202e", "\\", '"', "%", "'", "\n") },
  { weight: 5, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 3 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 3 }) },
);
const nastyString = fc.string({ unit: nastyUnit, maxLength: 40 });
const hugeNumber = fc.constantFrom(1e308, -1e308, 2 ** 53 + 2, -(2 ** 63), 1e21, 0.5, -1, 0, 4294967296, 5e-324);
// Deep enough to pass any sane limit; deeper still in a test of its own (fast-check's printer recurses).
const nested = fc.integer({ min: 30, max: 300 }).map((n) => JSON.parse("[".repeat(n) + "]".repeat(n)) as unknown);
const hostile: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    nastyString,
    hugeNumber,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    nested,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(nastyString, tie("value"), { maxKeys: 4 }),
  ),
})).value;

/* ------------------------------------------------------------------ valid samples, to mutate */

/** A well-formed body per route where one helps reach past the schema; others start from {}. */
const samples: Record<string, unknown> = {
  "POST /v1/verifications": { matter: HOUSING, case: "NG-1", subject: zhangSan, evidence: [{ type: "housing.no-property-proof", fields: ["asOf"] }] },
  "POST /v1/policies/evaluate": { requester: "nanguan-window-01", matter: HOUSING, subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] },
  "POST /v1/audit/search": { subject: { type: "resident-id", id: zhangSan.id }, purpose: "case-1", limit: 5 },
  "POST /v1/audit/subject-report": { subject: { type: "resident-id", id: zhangSan.id }, purpose: "case-1" },
  "POST /v1/consents": { token: "a.b.c" },
  "PUT /v1/members/{id}": { kind: "auditor", name: "x", jwks: { keys: [] }, enabled: true },
  "PUT /v1/catalog/matters/{code}": { name: "x", region: "220100", requirements: [{ evidenceType: "housing.no-property-proof", exempt: true }] },
  "PUT /v1/catalog/evidence-types/{type}": { name: "x", issuerKind: "department", sensitivity: "ordinary", claims: { type: "object", properties: { a: { type: "string" } } }, defaultFields: [] },
  "PUT /v1/adapters/{id}": { department: "cc-housing", kind: "fixture", evidenceTypes: ["housing.no-property-proof"], config: { records: [] }, enabled: false },
  "PUT /v1/policies/{id}": { evidenceType: "housing.no-property-proof", rules: [{ matters: ["*"], basis: "consent" }] },
};

/** Replaces one randomly chosen leaf (or adds one key) of `sample` with `value`. */
function mutate(sample: unknown, pick: number, value: unknown, key: string): unknown {
  const copy = structuredClone(sample) as unknown;
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach((item, i) => (slots.push({ parent: v, key: i }), walk(item)));
    else if (v && typeof v === "object") for (const [k, item] of Object.entries(v)) (slots.push({ parent: v as Record<string, unknown>, key: k }), walk(item));
  };
  walk(copy);
  if (slots.length === 0 || pick % 5 === 0) {
    if (copy && typeof copy === "object" && !Array.isArray(copy)) (copy as Record<string, unknown>)[key] = value;
    return copy;
  }
  const slot = slots[pick % slots.length]!;
  (slot.parent as Record<string | number, unknown>)[slot.key] = value;
  return copy;
}

/* ------------------------------------------------------------------ the routes */

interface RouteInfo {
  method: string;
  template: string;
  signed: boolean;
  hasBody: boolean;
  bodyKeys: string[];
  pathParams: string[];
  queryParams: string[];
}

function routesFromOpenApi(): RouteInfo[] {
  const doc = h.app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } }) as { paths: Record<string, Record<string, any>> };
  const out: RouteInfo[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const params = (op.parameters ?? []) as { in: string; name: string }[];
      const schema = op.requestBody?.content?.["application/json"]?.schema;
      out.push({
        method: method.toUpperCase(),
        template: path,
        signed: Array.isArray(op.security) && op.security.length > 0,
        hasBody: schema !== undefined,
        bodyKeys: Object.keys(schema?.properties ?? {}),
        pathParams: params.filter((p) => p.in === "path").map((p) => p.name),
        queryParams: params.filter((p) => p.in === "query").map((p) => p.name),
      });
    }
  }
  return out;
}

/** Percent-encodes like encodeURIComponent, but a lone surrogate as its WTF-8 bytes (what a raw client could send). */
function encodeLoose(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join("");
    else out += encodeURIComponent(ch);
  }
  return out;
}

/** The first member kind the route does not refuse with 403 forbidden-for-kind (derived, not listed). */
async function allowedActor(route: RouteInfo): Promise<Actor | undefined> {
  const path = route.template.replace(/\{(\w+)\}/g, "probe-x1");
  for (const kind of MEMBER_KINDS) {
    const res = await h.call(actors.get(kind)!, route.method, path, route.hasBody ? {} : undefined);
    const body = (await res.json().catch(() => ({}))) as { type?: string };
    if (!(res.status === 403 && body.type?.endsWith("/forbidden-for-kind"))) return actors.get(kind);
  }
  return undefined;
}

async function expectNoServerError(res: Response, what: string) {
  const text = await res.text();
  // A 503 for a state of the gateway (e.g. no checkpoint signed yet) is not the input's doing; a 500 always is.
  const stateful = res.status === 503 && !/\/internal"/.test(text);
  if (!stateful) expect(res.status, `${what} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get("content-type"), what).toMatch(/^application\/problem\+json/);
    const problem = JSON.parse(text) as { type: string; status: number; title: string };
    expect(problem.type).toMatch(/^https:\/\/huren\.dev\/problems\/[a-z-]+$/);
    expect(problem.status).toBe(res.status);
  }
}

const RUNS = Number(process.env.HUREN_FUZZ_RUNS ?? 12);

describe("random input at every route from the OpenAPI document", () => {
  it("finds the routes, signed ones included", () => {
    const routes = routesFromOpenApi();
    expect(routes.filter((r) => r.signed).length).toBeGreaterThan(15);
    expect(routes.some((r) => r.method === "POST" && r.template === "/v1/verifications")).toBe(true);
  });

  it("never answers 5xx, and every error is a problem", async () => {
    const routes = routesFromOpenApi();
    for (const route of routes) {
      const actor = route.signed ? await allowedActor(route) : undefined;
      if (route.signed && !actor) continue; // no kind may call it (none today)
      const key = `${route.method} ${route.template}`;
      const sample = samples[key] ?? {};
      const input = fc.record({
        params: fc.array(fc.oneof(nastyString, fc.constantFrom("nanguan-window-01", "housing.no-property-proof", HOUSING)), { minLength: route.pathParams.length, maxLength: route.pathParams.length }),
        query: fc.dictionary(fc.oneof(fc.constantFrom(...route.queryParams, "cursor", "limit"), nastyString), fc.oneof(nastyString, hugeNumber.map(String)), { maxKeys: 4 }),
        body: fc.oneof(
          hostile,
          fc.tuple(fc.nat(), hostile, fc.oneof(fc.constantFrom(...route.bodyKeys, "extra"), nastyString)).map(([pick, value, k]) => mutate(sample, pick, value, k)),
          fc.record(Object.fromEntries(route.bodyKeys.map((k) => [k, hostile])), { requiredKeys: [] }),
        ),
      });
      await fc.assert(
        fc.asyncProperty(input, async ({ params, query, body }) => {
          let i = 0;
          const path = route.template.replace(/\{(\w+)\}/g, () => encodeLoose(params[i++] ?? "x"));
          const qs = Object.entries(query).map(([k, v]) => `${encodeLoose(k)}=${encodeLoose(v)}`).join("&");
          const url = qs ? `${path}?${qs}` : path;
          const sent = route.hasBody ? body : undefined;
          const res = actor ? await h.call(actor, route.method, url, sent) : await h.app.request(url, { method: route.method });
          await expectNoServerError(res, `${key} as ${actor?.kind ?? "anyone"}: ${url} ${JSON.stringify(sent)?.slice(0, 200)}`);
        }),
        { numRuns: RUNS },
      );
    }
  }, 600_000);

  it("token claims: NUL, lone surrogates and wrong types in iss, uid, jti, kid and the rest are never a 5xx", async () => {
    const claim = fc.constantFrom("iss", "uid", "jti", "aud", "htm", "htu", "bh", "iat", "exp", "extra");
    await fc.assert(
      fc.asyncProperty(claim, hostile, fc.boolean(), async (name, value, inHeader) => {
        const options = inHeader ? { header: { kid: value } } : { claims: { [name]: value } };
        const res = await h.call(w.window, "GET", "/v1/catalog/matters", undefined, options);
        await expectNoServerError(res, `${inHeader ? "kid" : name} = ${JSON.stringify(value)?.slice(0, 100)}`);
      }),
      { numRuns: RUNS * 10 },
    );
  }, 300_000);
});

describe("ill-formed text is a 400 at the edge, before anyone is asked", () => {
  const send = (body: unknown) => h.call(w.window, "POST", "/v1/verifications", body);
  const type = async (res: Response) => ((await res.json()) as { type: string }).type.split("/").pop();

  it.each([
    ["a NUL in the case", { matter: HOUSING, case: "NG\u00001", subject: zhangSan }],
    ["a lone surrogate in the case", { matter: HOUSING, case: "NG-\ud800", subject: zhangSan }],
    ["a NUL in the name", { matter: HOUSING, case: "NG-1", subject: { ...zhangSan, name: "张\u0000三" } }],
    ["a lone surrogate in a key", { matter: HOUSING, case: "NG-1", subject: zhangSan, "\udc00": 1 }],
    ["a lone surrogate in an inline consent", { matter: HOUSING, case: "NG-1", subject: zhangSan, consent: "x\ud800" }],
  ])("%s: 400 ill-formed-input, the department not asked", async (_, body) => {
    const before = w.department.calls;
    const res = await send({ ...body, evidence: [{ type: "subsistence-allowance.certificate" }] });
    expect(res.status).toBe(400);
    expect(await type(res)).toBe("ill-formed-input");
    expect(w.department.calls).toBe(before);
  });

  it("JSON nested 100,000 deep is a 400, not a stack overflow", async () => {
    const text = `{"matter":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const res = await send(text);
    expect(res.status).toBe(400);
    expect(await type(res)).toMatch(/^(ill-formed-input|malformed-json)$/);
  });

  it("a NUL or a lone surrogate in iss, uid or jti is a 400, not a 500", async () => {
    for (const claims of [{ iss: "nanguan-window-01\u0000" }, { uid: "clerk\u0000" }, { uid: "clerk\ud800" }, { jti: "jti-0123456789abcdef\u0000" }]) {
      const res = await h.call(w.window, "GET", "/v1/catalog/matters", undefined, { claims });
      expect(res.status, JSON.stringify(claims)).toBe(400);
      expect(await type(res)).toBe("ill-formed-input");
    }
  });

  it("a NUL in the query string or a path parameter is a 400", async () => {
    const auditor = actors.get("auditor")!;
    expect((await h.call(auditor, "GET", "/v1/audit/export?from=%00&format=jsonl&purpose=p")).status).toBe(400);
    expect((await h.call(h.admin, "GET", "/v1/members/a%00b")).status).toBe(400);
    expect((await h.call(h.admin, "GET", "/v1/members/a%ED%A0%80b")).status).toBe(400);
  });

  it("a field the evidence type does not have is 422 unknown-field; one it has but policy withholds is left out", async () => {
    const before = w.department.calls;
    const res = await send({ matter: HOUSING, case: "NG-1", subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate", fields: ["validUntil", "favouriteColour"] }] });
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { type: string; errors: { path: string }[] };
    expect(problem.type).toBe("https://huren.dev/problems/unknown-field");
    expect(problem.errors).toEqual([{ path: "evidence.0.fields.1", message: expect.any(String) }]);
    expect(w.department.calls).toBe(before);
    const withheld = await send({ matter: HOUSING, case: "NG-1", subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate", fields: ["monthlyAmount"] }] });
    expect(withheld.status).toBe(200);
  });
});
