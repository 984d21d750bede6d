/**
 * The API reference (#15 §5): /openapi.json is a valid OpenAPI 3.1 document, declares what each
 * operation can answer (no 413/415 without a body, 404 where a path names a stored thing), its
 * examples validate against their own schemas, and /docs serves Swagger UI from the gateway itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Validator as JsonSchema } from "@cfworker/json-schema";
import { createApp } from "../src/app.ts";
import { loadDocsAssets } from "../src/entry/docs-assets.ts";
import { createHarness, type Actor, type Harness } from "./harness.ts";

let h: Harness;
let doc: any;
let auditor: Actor;
let window: Actor;

beforeAll(async () => {
  h = await createHarness();
  auditor = await h.addMember("openapi-auditor", "auditor");
  window = await h.addMember("openapi-window", "window", "220102");
  doc = await (await h.app.request("/openapi.json")).json();
});
afterAll(async () => {
  await h?.close();
});

const operations = () =>
  Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

describe("/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
  });

  it("declares 413/415 only where there is a body, and 404 on every signed GET/POST naming a thing in its path", () => {
    for (const { path, method, op } of operations()) {
      const codes = Object.keys(op.responses);
      if (!op.requestBody) expect(codes, `${method} ${path}`).not.toContain("413");
      if (!op.requestBody) expect(codes, `${method} ${path}`).not.toContain("415");
      if (/\{/.test(path) && (method === "get" || method === "post") && codes.includes("401")) expect(codes, `${method} ${path}`).toContain("404");
    }
  });

  it("every example validates against the schema it illustrates", () => {
    let checked = 0;
    for (const { path, method, op } of operations()) {
      const media = [op.requestBody?.content?.["application/json"], ...Object.values(op.responses).map((r: any) => r.content && Object.values(r.content)[0])];
      for (const m of media as any[]) {
        if (!m || m.example === undefined) continue;
        const result = new JsonSchema(m.schema, "2020-12", false).validate(m.example);
        expect(result.errors.map((e) => `${e.instanceLocation} ${e.error}`), `${method} ${path}: its example in src/routes/openapi-examples.ts no longer fits the schema`).toEqual([]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(25);
    // The central story is on the operation a window vendor reads first.
    const verify = doc.paths["/v1/verifications"].post;
    expect(verify.requestBody.content["application/json"].example.subject.name).toBe("张三");
    expect(verify.responses["200"].content["application/json"].example.results).toHaveLength(2);
  });

  it("declares 429 rate-limited on every signed operation, with Retry-After, the RateLimit fields and an example", () => {
    let signed = 0;
    for (const { path, method, op } of operations()) {
      if (!op.responses["401"]) continue;
      signed++;
      const limited = op.responses["429"];
      expect(limited, `${method} ${path}`).toBeDefined();
      expect(Object.keys(limited.headers ?? {}).sort(), `${method} ${path}`).toEqual(["RateLimit", "RateLimit-Policy", "Retry-After"]);
      const media = limited.content["application/problem+json"];
      expect(media.example.type, `${method} ${path}`).toBe("https://huren.dev/problems/rate-limited");
      expect(media.example.status).toBe(429);
    }
    expect(signed).toBeGreaterThan(30);
    // Public operations are not rate limited by the gateway (a proxy in front limits by address).
    expect(doc.paths["/healthz"].get.responses["429"]).toBeUndefined();
  });

  it("every operation has a response example, and a request example when it takes a body", () => {
    const missing = operations()
      .filter(({ op }) => {
        const hasReq = !op.requestBody || Object.values(op.requestBody.content).some((m: any) => m.example !== undefined);
        const hasRes = Object.values(op.responses).some((r: any) => r.content && Object.values(r.content).some((m: any) => m.example !== undefined));
        return !(hasReq && hasRes);
      })
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(missing, "add them to src/routes/openapi-examples*.ts").toEqual([]);
  });

  it("a declared 404 is what the gateway answers for an unknown thing", async () => {
    const cases: [Actor, string, string][] = [
      [h.admin, "GET", "/v1/members/no-such-member"],
      [h.admin, "GET", "/v1/catalog/evidence-types/no-such.type"],
      [h.admin, "GET", "/v1/catalog/matters/no-such-matter"],
      [h.admin, "GET", "/v1/adapters/no-such-adapter"],
      [h.admin, "GET", "/v1/policies/no-such-policy"],
      [auditor, "GET", "/v1/ledger/entries/999999"],
      [window, "GET", "/v1/consents/no-such-consent-0000000"],
    ];
    for (const [actor, method, path] of cases) {
      const res = await h.call(actor, method, path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
  });
});

describe("/docs", () => {
  it("serves Swagger UI from the gateway itself, under a CSP that allows only the gateway's own scripts", async () => {
    const assets = await loadDocsAssets();
    expect(assets?.js.length).toBeGreaterThan(100_000);
    const app = createApp({ ...h.deps, docsAssets: assets! });
    const page = await app.request("/docs");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('src="/docs/swagger-ui-bundle.js"');
    expect(html).not.toMatch(/https?:\/\//);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    for (const asset of ["/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/init.js"]) expect((await app.request(asset)).status, asset).toBe(200);
    expect(await (await app.request("/docs/init.js")).text()).toContain('url: "/openapi.json"');
  });

  it("without Swagger UI (the Worker) falls back to the plain page", async () => {
    const html = await (await h.app.request("/docs")).text();
    expect(html).toContain("fetch('/openapi.json')");
  });
});
