/** RFC 9457 problems for every kind of caller mistake; 503 and no data when the ledger fails. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createHarness, signRequest, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";

let h: Harness;
let w: World;
beforeAll(async () => {
  h = await createHarness({ maxBodyBytes: 4096 });
  w = await createWorld(h);
});
afterAll(async () => {
  await w?.close();
  await h?.close();
});

async function raw(body: string, contentType = "application/json", path = "/v1/verifications") {
  const token = await signRequest(w.window, "POST", path, body);
  const res = await h.app.request(path, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": contentType }, body });
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as any };
}

describe("problems", () => {
  it("malformed JSON → 400 malformed-json", async () => {
    const r = await raw("{\"matter\": ");
    expect(r).toMatchObject({ status: 400, type: "application/problem+json" });
    expect(r.body).toMatchObject({ type: "https://huren.dev/problems/malformed-json", status: 400, title: expect.any(String), detail: expect.any(String), requestId: expect.any(String) });
  });
  it("wrong content type → 415", async () => {
    const r = await raw(JSON.stringify({ matter: HOUSING }), "text/plain");
    expect(r.status).toBe(415);
    expect(r.body.type).toBe("https://huren.dev/problems/unsupported-media-type");
  });
  it("oversized body → 413, counted as it arrives", async () => {
    const r = await raw(JSON.stringify({ matter: HOUSING, case: "x".repeat(5000) }));
    expect(r.status).toBe(413);
    expect(r.body.type).toBe("https://huren.dev/problems/body-too-large");
  });
  it("unknown route → 404 problem", async () => {
    const res = await h.app.request("/v1/nothing-here");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(((await res.json()) as any).type).toBe("https://huren.dev/problems/not-found");
  });
  it("validation → 400 with errors[] paths, unknown keys rejected", async () => {
    const r = await raw(JSON.stringify({ matter: "bad matter!", case: "", subject: { type: "passport", id: "x" }, extra: 1 }));
    expect(r.status).toBe(400);
    const paths = r.body.errors.map((e: any) => e.path);
    expect(paths).toEqual(expect.arrayContaining(["matter", "case", "subject.type"]));
    expect(JSON.stringify(r.body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });
});

describe("ledger failure", () => {
  it("answers 503 ledger-unavailable and no data when the entry cannot be committed", async () => {
    await h.deps.db.execute(sql`alter table ledger_entries add constraint test_refuse_all check (idx < 0) not valid`);
    try {
      const r = await raw(JSON.stringify({ matter: HOUSING, case: "LEDGER-DOWN", subject: zhangSan }));
      expect(r.status).toBe(503);
      expect(r.body.type).toBe("https://huren.dev/problems/ledger-unavailable");
      expect(JSON.stringify(r.body)).not.toMatch(/validUntil|receipt|verified/);
    } finally {
      await h.deps.db.execute(sql`alter table ledger_entries drop constraint test_refuse_all`);
    }
    const ok = await raw(JSON.stringify({ matter: HOUSING, case: "LEDGER-UP", subject: zhangSan }));
    expect(ok.status).toBe(200);
  });
});

describe("public routes", () => {
  it("healthz, readyz, openapi.json and /docs", async () => {
    expect(await (await h.app.request("/healthz")).json()).toEqual({ status: "ok" });
    expect(((await (await h.app.request("/readyz")).json()) as any).status).toBe("ready");
    const doc = (await (await h.app.request("/openapi.json")).json()) as any;
    expect(doc.openapi).toBe("3.1.0");
    for (const p of ["/v1/verifications", "/v1/members/{id}", "/v1/adapters/{id}", "/v1/catalog/evidence-types", "/v1/catalog/matters/{code}", "/v1/policies/{id}", "/.well-known/jwks.json"]) {
      expect(doc.paths[p], p).toBeDefined();
    }
    expect(doc.paths["/v1/verifications"].post.requestBody.content["application/json"].schema.properties.subject).toBeDefined();
    const docs = await h.app.request("/docs");
    expect(docs.headers.get("content-type")).toContain("text/html");
    expect(await docs.text()).toContain("/openapi.json");
  });
});
