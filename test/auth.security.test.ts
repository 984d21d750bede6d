import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompactSign, generateKeyPair } from "jose";
import { createApp } from "../src/app.ts";
import { putMember } from "../src/members/members.ts";
import { createHarness, newKey, signRequest, GATEWAY_ID, type Actor, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";

let h: Harness;
let w: World;
const body = JSON.stringify({ matter: HOUSING, case: "SEC-1", subject: zhangSan, evidence: [{ type: "housing.no-property-proof" }] });
const PATH = "/v1/verifications";

beforeAll(async () => {
  h = await createHarness();
  w = await createWorld(h);
});
afterAll(async () => {
  await w?.close();
  await h?.close();
});

async function send(token: string | undefined, opts: { path?: string; body?: string; method?: string } = {}) {
  const res = await h.app.request(opts.path ?? PATH, {
    method: opts.method ?? "POST",
    headers: { ...(token === undefined ? {} : { authorization: token }), "content-type": "application/json" },
    body: opts.body ?? body,
  });
  const json = (await res.json()) as { type: string; status: number };
  return { status: res.status, code: json.type?.replace("https://huren.dev/problems/", ""), contentType: res.headers.get("content-type") };
}
const bearer = async (actor: Actor, options?: Parameters<typeof signRequest>[4], method = "POST", path = PATH, b = body) => `Bearer ${await signRequest(actor, method, path, b, options)}`;
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

describe("§2 signed requests: each failed check has its own problem type", () => {
  it("accepts a correct token", async () => {
    expect((await send(await bearer(w.window))).status).toBe(200);
  });

  const cases: [string, () => Promise<string | undefined>, string][] = [
    ["no Authorization header", async () => undefined, "missing-token"],
    ["not a Bearer compact JWS", async () => "Basic Zm9vOmJhcg==", "malformed-token"],
    ["alg none", async () => `Bearer ${b64({ alg: "none", typ: "huren-req+jwt", kid: w.window.kid })}.${b64({ iss: w.window.id })}.AAAA`, "unsupported-alg"],
    [
      "alg HS256 keyed with the public key",
      async () => {
        const key = new TextEncoder().encode(JSON.stringify(w.window.publicJwk));
        const token = await new CompactSign(new TextEncoder().encode(JSON.stringify({ iss: w.window.id }))).setProtectedHeader({ alg: "HS256", kid: w.window.kid, typ: "huren-req+jwt" }).sign(key);
        return `Bearer ${token}`;
      },
      "unsupported-alg",
    ],
    ["RS256", async () => `Bearer ${b64({ alg: "RS256", typ: "huren-req+jwt", kid: w.window.kid })}.${b64({ iss: w.window.id })}.AAAA`, "unsupported-alg"],
    ["wrong typ", () => bearer(w.window, { header: { typ: "JWT" } }), "wrong-token-type"],
    ["unknown issuer (the same answer as an unknown key)", () => bearer(w.window, { claims: { iss: "nobody-window" } }), "unknown-key"],
    ["unknown kid", () => bearer(w.window, { header: { kid: "not-a-kid" } }), "unknown-key"],
    [
      "signed by another key under a registered kid",
      async () => bearer(w.window, { key: (await generateKeyPair("EdDSA", { crv: "Ed25519" })).privateKey }),
      "bad-signature",
    ],
    ["wrong audience", () => bearer(w.window, { claims: { aud: "huren.elsewhere" } }), "wrong-audience"],
    ["expired", () => bearer(w.window, { claims: { iat: Math.floor(Date.now() / 1000) - 400, exp: Math.floor(Date.now() / 1000) - 100 } }), "expired"],
    ["issued in the future", () => bearer(w.window, { claims: { iat: Math.floor(Date.now() / 1000) + 200, exp: Math.floor(Date.now() / 1000) + 300 } }), "not-yet-valid"],
    ["lifetime over 300 s", () => bearer(w.window, { claims: { exp: Math.floor(Date.now() / 1000) + 301 } }), "lifetime-too-long"],
    ["short jti", () => bearer(w.window, { claims: { jti: "short" } }), "bad-jti"],
    ["htm differs", () => bearer(w.window, {}, "PUT"), "method-mismatch"],
    ["htu differs", () => bearer(w.window, {}, "POST", "/v1/verifications?x=1"), "url-mismatch"],
    ["bh differs", () => bearer(w.window, {}, "POST", PATH, body + " "), "body-mismatch"],
    ["window without uid", () => bearer(w.window, { claims: { uid: undefined } }), "uid-required"],
  ];
  for (const [name, token, code] of cases) {
    it(`401 ${code}: ${name}`, async () => {
      const res = await send(await token());
      expect(res.status).toBe(401);
      expect(res.code).toBe(code);
      expect(res.contentType).toBe("application/problem+json");
    });
  }

  it("401 unknown-key for a disabled member (not told apart from an unknown one)", async () => {
    const actor = await h.addMember("disabled-window", "window", "220102");
    await putMember(h.deps.db, actor.id, { kind: "window", name: "x", region: "220102", jwks: { keys: [actor.publicJwk as never] }, enabled: false });
    expect((await send(await bearer(actor))).code).toBe("unknown-key");
  });

  it("401 replayed for the same jti, also at a second gateway process on the same database", async () => {
    const token = await bearer(w.window);
    expect((await send(token)).status).toBe(200);
    const again = await send(token);
    expect(again).toMatchObject({ status: 401, code: "replayed" });
    const other = createApp(h.deps);
    const res = await other.request(PATH, { method: "POST", headers: { authorization: token, "content-type": "application/json" }, body });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { type: string }).type).toBe("https://huren.dev/problems/replayed");
  });

  it("a token failing another check does not burn its jti", async () => {
    const jti = `keep-${Date.now()}-abcdefghijkl`;
    expect((await send(await bearer(w.window, { claims: { jti, aud: "wrong" } }))).code).toBe("wrong-audience");
    expect((await send(await bearer(w.window, { claims: { jti } }))).status).toBe(200);
  });
});

describe("least privilege: every signed route checks the caller's kind", () => {
  const routes: { method: string; path: string; kinds: string[]; body?: unknown }[] = [
    { method: "POST", path: "/v1/verifications", kinds: ["window"], body: JSON.parse(body) },
    { method: "GET", path: "/v1/members", kinds: ["admin"] },
    { method: "GET", path: "/v1/members/nanguan-window-01", kinds: ["admin"] },
    { method: "PUT", path: "/v1/members/someone-new", kinds: ["admin"], body: { kind: "auditor", name: "x", jwks: { keys: [] } } },
    { method: "GET", path: "/v1/adapters", kinds: ["admin", "department"] },
    { method: "PUT", path: "/v1/catalog/matters/x-matter", kinds: ["admin"], body: { name: "x", region: "220100", requirements: [] } },
    { method: "PUT", path: "/v1/policies/p1", kinds: ["admin"], body: { evidenceType: "housing.no-property-proof", rules: [{ matters: ["*"], basis: "consent" }] } },
    { method: "GET", path: "/v1/policies", kinds: ["admin"] },
  ];
  const actors: Record<string, () => Promise<Actor>> = {};
  beforeAll(async () => {
    const make = (id: string, kind: "window" | "department" | "auditor" | "consent-collector" | "admin", region?: string) => h.addMember(id, kind, region);
    const all = { window: await make("kind-window", "window", "220102"), department: await make("kind-dept", "department", "220199"), auditor: await make("kind-auditor", "auditor"), "consent-collector": await make("kind-collector", "consent-collector"), admin: await make("kind-admin", "admin") };
    for (const [k, a] of Object.entries(all)) actors[k] = async () => a;
  });

  for (const route of routes) {
    it(`${route.method} ${route.path}: 401 without a token, 403 forbidden-for-kind for other kinds`, async () => {
      const text = route.body === undefined ? undefined : JSON.stringify(route.body);
      const anon = await h.app.request(route.path, { method: route.method, ...(text ? { body: text, headers: { "content-type": "application/json" } } : {}) });
      expect(anon.status).toBe(401);
      for (const kind of ["window", "department", "auditor", "consent-collector", "admin"]) {
        const actor = await actors[kind]!();
        const res = await h.call(actor, route.method, route.path, route.body);
        if (route.kinds.includes(kind)) expect(res.status, `${kind} may ${route.method} ${route.path}`).not.toBe(403);
        else {
          expect(res.status, `${kind} may not ${route.method} ${route.path}`).toBe(403);
          expect(((await res.json()) as { type: string }).type).toBe("https://huren.dev/problems/forbidden-for-kind");
        }
      }
    });
  }

  it("key rotation: a new key works once added, the old one stops once removed", async () => {
    const actor = await h.addMember("rotating-window", "window", "220102");
    const next = await newKey();
    await putMember(h.deps.db, actor.id, { kind: "window", name: "r", region: "220102", jwks: { keys: [actor.publicJwk as never, next.publicJwk as never] }, enabled: true });
    const rotated: Actor = { ...actor, kid: next.kid, privateKey: next.privateKey };
    expect((await send(await bearer(actor))).status).toBe(200);
    expect((await send(await bearer(rotated))).status).toBe(200);
    await putMember(h.deps.db, actor.id, { kind: "window", name: "r", region: "220102", jwks: { keys: [next.publicJwk as never] }, enabled: true });
    expect((await send(await bearer(actor))).code).toBe("unknown-key");
    expect((await send(await bearer(rotated))).status).toBe(200);
  });
});

export { GATEWAY_ID };
