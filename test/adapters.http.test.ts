/**
 * The `http` adapter against real loopback departments: one that checks the gateway's token
 * the way a department must (§2/§4), and misbehaving ones. Run over both HttpClients.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompactSign, SignJWT, exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JWK } from "jose";
import { createHttpSource, httpConfigSchema } from "../src/adapters/http.ts";
import type { AdapterContext, LookupRequest, LookupResult, OutboundSigner } from "../src/adapters/types.ts";
import type { HttpClient } from "../src/http-client.ts";
import { createUndiciHttpClient } from "../src/http/undici-client.ts";
import { createFetchHttpClient } from "../src/http/fetch-client.ts";

const GATEWAY = "huren.test";
const DEPT = "cc-civil-affairs";
const ZHANG = { id: "220102199001011239", name: "张三" };
const LI = { id: "220103198506152345", name: "李四" };

const b64urlSha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("base64url");

/** Test helper: the gateway's outbound signer, as §2 describes the token. */
function testSigner(privateKey: CryptoKey, kid: string, iss: string): OutboundSigner {
  return {
    sign: ({ aud, htm, htu, body }) =>
      new SignJWT({ htm, htu, bh: b64urlSha256(body) })
        .setProtectedHeader({ alg: "EdDSA", typ: "huren-req+jwt", kid })
        .setIssuer(iss)
        .setAudience(aud)
        .setIssuedAt()
        .setExpirationTime("60s")
        .setJti(randomUUID())
        .sign(privateKey),
  };
}

async function makeKeys() {
  const [gateway, dept, deptEs, wrong] = await Promise.all([generateKeyPair("EdDSA"), generateKeyPair("EdDSA"), generateKeyPair("ES256"), generateKeyPair("EdDSA")]);
  return {
    gateway,
    dept: { privateKey: dept.privateKey, jwk: { ...(await exportJWK(dept.publicKey)), kid: "dept-1", alg: "EdDSA" } as JWK },
    deptEs: { privateKey: deptEs.privateKey, jwk: { ...(await exportJWK(deptEs.publicKey)), kid: "dept-es", alg: "ES256" } as JWK },
    wrong,
  };
}
let keys: Awaited<ReturnType<typeof makeKeys>>;
let server: Server;
let base: string;
/** What the department saw: auth problems and parsed request bodies. */
const authProblems: string[] = [];
const received: Record<string, unknown>[] = [];
const bigSent: Promise<number>[] = [];

const records: Record<string, { name: string; status: string; certificateId: string; claims: Record<string, unknown>; validUntil?: string }> = {
  [ZHANG.id]: { name: ZHANG.name, status: "valid", certificateId: "DB-1", claims: { householdSize: 3 }, validUntil: "2027-06-30" },
  [LI.id]: { name: LI.name, status: "revoked", certificateId: "DB-2", claims: {} },
};

async function checkToken(req: IncomingMessage, raw: Buffer): Promise<string | undefined> {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
  if (!m) return "missing token";
  try {
    const { payload } = await jwtVerify(m[1]!, keys.gateway.publicKey, { issuer: GATEWAY, audience: DEPT, typ: "huren-req+jwt", algorithms: ["EdDSA"] });
    if (payload.htm !== req.method) return "htm";
    if (payload.htu !== req.url) return `htu ${String(payload.htu)} != ${req.url}`;
    if (payload.bh !== b64urlSha256(raw)) return "bh";
    if (typeof payload.jti !== "string" || payload.jti.length < 16) return "jti";
    return undefined;
  } catch (err) {
    return `token: ${(err as Error).message}`;
  }
}

function answerFor(q: { subject: { id: string; name?: string } }) {
  const r = records[q.subject.id];
  if (!r) return { found: false };
  const { name, ...rest } = r;
  return { found: true, ...rest, ...(q.subject.name !== undefined ? { nameMatches: q.subject.name.replace(/\s/g, "") === name } : {}) };
}

const signAnswer = (answer: object, key: CryptoKey, alg: string, kid: string) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(answer))).setProtectedHeader({ alg, kid }).sign(key);

function streamBig(res: ServerResponse, withLength: boolean): void {
  const total = 50 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  let sent = 0;
  res.writeHead(200, { "content-type": "application/json", ...(withLength ? { "content-length": total } : {}) });
  bigSent.push(new Promise((resolve) => res.on("close", () => resolve(sent))));
  const pump = () => {
    while (sent < total && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
}

async function department(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
  const send = (status: number, body: string, type = "application/json") => {
    res.writeHead(status, { "content-type": type });
    res.end(body);
  };
  const problem = await checkToken(req, raw);
  if (problem) {
    authProblems.push(problem);
    return send(401, JSON.stringify({ error: problem }));
  }
  const q = JSON.parse(raw.toString("utf8")) as { requestId: string; subject: { id: string; name?: string } };
  received.push(q);
  const answer = answerFor(q);
  switch (new URL(req.url!, "http://x").pathname) {
    case "/lookup":
      return send(200, JSON.stringify(answer));
    case "/signed":
      return send(200, await signAnswer({ ...answer, requestId: q.requestId }, keys.dept.privateKey, "EdDSA", "dept-1"), "application/jose");
    case "/signed-es256":
      return send(200, await signAnswer(answer, keys.deptEs.privateKey, "ES256", "dept-es"), "application/jose");
    case "/signed-as-json": // a JWS with the wrong content type is still recognised by its shape
      return send(200, await signAnswer(answer, keys.dept.privateKey, "EdDSA", "dept-1"), "application/json");
    case "/signed-wrong-key":
      return send(200, await signAnswer(answer, keys.wrong.privateKey, "EdDSA", "dept-1"), "application/jose");
    case "/signed-hs256":
      return send(200, await signAnswer(answer, new Uint8Array(32).fill(7) as unknown as CryptoKey, "HS256", "dept-1"), "application/jose");
    case "/signed-none": {
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
      return send(200, `${enc({ alg: "none", kid: "dept-1" })}.${enc(answer)}.`, "application/jose");
    }
    case "/signed-other-request":
      return send(200, await signAnswer({ ...answer, requestId: "vf_other#0" }, keys.dept.privateKey, "EdDSA", "dept-1"), "application/jose");
    case "/hang":
      return;
    case "/reset":
      return void req.socket.destroy();
    case "/500":
      return send(500, JSON.stringify({ error: `internal error for ${q.subject.id}` }));
    case "/garbage":
      return send(200, `{"found": tru ${q.subject.id}`);
    case "/misfit":
      return send(200, JSON.stringify({ found: true, status: "maybe", claims: [q.subject.name] }));
    case "/big-length":
      return streamBig(res, true);
    case "/big-chunked":
      return streamBig(res, false);
    default:
      return send(404, "{}");
  }
}

beforeAll(async () => {
  keys = await makeKeys();
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => void department(req, res, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const request = (subject: { id: string; name?: string }, extra: Partial<LookupRequest> = {}): LookupRequest => ({
  requestId: "vf_01JTEST#0",
  evidenceType: "subsistence-allowance.certificate",
  subject: { type: "resident-id", ...subject },
  fields: ["valid", "validUntil"],
  matter: "220100-public-rental-housing",
  requester: "nanguan-window-01",
  ...extra,
});

/** Every failure is an `unavailable` result whose logged detail names no person. */
function expectUnavailable(result: LookupResult, code: string): void {
  expect(result).toMatchObject({ outcome: "unavailable", error: code });
  if (result.outcome !== "unavailable") return;
  expect(result.detail).not.toContain(ZHANG.id);
  expect(result.detail).not.toContain(ZHANG.name);
}

const clients: [string, () => HttpClient][] = [
  ["undici", () => createUndiciHttpClient()],
  ["fetch", () => createFetchHttpClient()],
];

describe.each(clients)("http adapter over %s", (_name, make) => {
  const http = make();
  afterAll(async () => {
    await http.close?.();
  });
  const ctx = (over: Partial<AdapterContext> = {}): AdapterContext => ({
    department: DEPT,
    http,
    signer: testSigner(keys.gateway.privateKey, "gw-1", GATEWAY),
    departmentKeys: async () => ({ keys: [keys.dept.jwk, keys.deptEs.jwk] as Record<string, unknown>[] }),
    ...over,
  });
  const source = (path: string, config: Record<string, unknown> = {}, over: Partial<AdapterContext> = {}) =>
    // Unsigned unless a test asks for signatures (the default, `required`, is tested on its own).
    createHttpSource("test-http", httpConfigSchema.parse({ endpoint: `${base}${path}`, answerSignature: "none", ...config }), ctx(over));

  it("sends a signed §4 request and maps a found answer", async () => {
    const before = authProblems.length;
    const result = await source("/lookup").lookup(request(ZHANG));
    expect(authProblems.slice(before)).toEqual([]);
    expect(result).toEqual({ outcome: "found", status: "valid", certificateId: "DB-1", claims: { householdSize: 3 }, validUntil: "2027-06-30", nameMatches: true });
    expect(received.at(-1)).toEqual({
      requestId: "vf_01JTEST#0",
      evidenceType: "subsistence-allowance.certificate",
      subject: { type: "resident-id", id: ZHANG.id, name: ZHANG.name },
      fields: ["valid", "validUntil"],
      matter: "220100-public-rental-housing",
      requester: "nanguan-window-01",
    });
  });

  it("binds htu to path and query", async () => {
    const before = authProblems.length;
    const result = await source("/lookup?region=220102&v=1").lookup(request(ZHANG));
    expect(authProblems.slice(before)).toEqual([]);
    expect(result.outcome).toBe("found");
  });

  it("reports a name mismatch as nameMatches false", async () => {
    expect(await source("/lookup").lookup(request({ id: ZHANG.id, name: "张四" }))).toMatchObject({ outcome: "found", nameMatches: false });
  });

  it("omits the name when none is given, and nameMatches with it", async () => {
    const result = await source("/lookup").lookup(request({ id: ZHANG.id }));
    expect(result).toMatchObject({ outcome: "found", status: "valid" });
    expect(result.outcome === "found" && result.nameMatches).toBeUndefined();
    expect((received.at(-1) as { subject: object }).subject).toEqual({ type: "resident-id", id: ZHANG.id });
  });

  it("maps found:false to not_found and passes other statuses through", async () => {
    expect(await source("/lookup").lookup(request({ id: "110101200001011234" }))).toEqual({ outcome: "not_found" });
    expect(await source("/lookup").lookup(request(LI))).toMatchObject({ outcome: "found", status: "revoked", nameMatches: true });
  });

  // No clock in these: a limit that did not hold would leave the lookup hanging until vitest's
  // own timeout, and a caller's abort is what ends one with the longest timeoutMs (30 s).
  it("times out a hanging department", async () => {
    expectUnavailable(await source("/hang", { timeoutMs: 300 }).lookup(request(ZHANG)), "timeout");
  });

  it("respects the caller's AbortSignal", async () => {
    expectUnavailable(await source("/lookup").lookup(request(ZHANG), AbortSignal.abort()), "timeout");
    expectUnavailable(await source("/hang", { timeoutMs: 30_000 }).lookup(request(ZHANG), AbortSignal.timeout(100)), "timeout");
  });

  it("maps a reset connection to network", async () => {
    expectUnavailable(await source("/reset").lookup(request(ZHANG)), "network");
  });

  it("maps a 500 to http-status without echoing the body", async () => {
    const result = await source("/500").lookup(request(ZHANG));
    expectUnavailable(result, "http-status");
    expect(result.outcome === "unavailable" && result.detail).toContain("500");
  });

  it("maps garbage and misfitting JSON to malformed-answer", async () => {
    expectUnavailable(await source("/garbage").lookup(request(ZHANG)), "malformed-answer");
    expectUnavailable(await source("/misfit").lookup(request(ZHANG)), "malformed-answer");
  });

  it.each(["/big-length", "/big-chunked"])("cuts off an oversized body (%s) early", async (path) => {
    const count = bigSent.length;
    expectUnavailable(await source(path, { maxBodyBytes: 65_536, timeoutMs: 30_000 }).lookup(request(ZHANG)), "too-large");
    expect(await bigSent[count]!).toBeLessThan(16 * 1024 * 1024);
  });

  it("verifies department-signed answers (EdDSA, ES256, JWS sent as JSON)", async () => {
    const expected = { outcome: "found", status: "valid", certificateId: "DB-1", nameMatches: true };
    expect(await source("/signed", { answerSignature: "required" }).lookup(request(ZHANG))).toMatchObject(expected);
    expect(await source("/signed-es256", { answerSignature: "required" }).lookup(request(ZHANG))).toMatchObject(expected);
    expect(await source("/signed-as-json", { answerSignature: "optional" }).lookup(request(ZHANG))).toMatchObject(expected);
    // Who signed is reported, for the conformance check's signature step.
    expect(await source("/signed", { answerSignature: "required" }).lookup(request({ id: "110101200001011234" }))).toEqual({ outcome: "not_found", signature: { alg: "EdDSA", kid: "dept-1" } });
  });

  it("refuses forged, downgraded or replayed signed answers with bad-signature", async () => {
    for (const path of ["/signed-wrong-key", "/signed-hs256", "/signed-none", "/signed-other-request"]) {
      for (const answerSignature of ["required", "optional", "none"]) {
        expectUnavailable(await source(path, { answerSignature }).lookup(request(ZHANG)), "bad-signature");
      }
    }
    // No registered key at all: nothing can verify.
    expectUnavailable(await source("/signed", {}, { departmentKeys: async () => ({ keys: [] }) }).lookup(request(ZHANG)), "bad-signature");
  });

  it("refuses an unsigned answer when signatures are required", async () => {
    expectUnavailable(await source("/lookup", { answerSignature: "required" }).lookup(request(ZHANG)), "bad-signature");
    expect(await source("/lookup", { answerSignature: "optional" }).lookup(request(ZHANG))).toMatchObject({ outcome: "found" });
  });

  it("turns signer and key-store failures into results, not exceptions", async () => {
    const broken: OutboundSigner = { sign: async () => Promise.reject(new Error(`no key for ${ZHANG.id}`)) };
    expectUnavailable(await source("/lookup", {}, { signer: broken }).lookup(request(ZHANG)), "adapter-error");
    const noKeys = async () => Promise.reject(new Error("db down"));
    expectUnavailable(await source("/signed", {}, { departmentKeys: noKeys }).lookup(request(ZHANG)), "adapter-error");
  });
});

describe("httpConfigSchema", () => {
  it("applies defaults", () => {
    expect(httpConfigSchema.parse({ endpoint: "https://dept.example/huren/lookup" })).toEqual({
      endpoint: "https://dept.example/huren/lookup",
      timeoutMs: 3000,
      maxBodyBytes: 65536,
      answerSignature: "required",
    });
    expect(httpConfigSchema.safeParse({ endpoint: "http://10.0.0.5:8080/x" }).success).toBe(true);
  });

  it.each([
    { endpoint: "ftp://dept.example/x" },
    { endpoint: "file:///etc/passwd" },
    { endpoint: "https://user:secret@dept.example/x" },
    { endpoint: "/relative" },
    { endpoint: "https://dept.example/x", timeoutMs: 50 },
    { endpoint: "https://dept.example/x", timeoutMs: 30_001 },
    { endpoint: "https://dept.example/x", timeoutMs: 1000.5 },
    { endpoint: "https://dept.example/x", maxBodyBytes: 100 },
    { endpoint: "https://dept.example/x", maxBodyBytes: 20 * 1024 * 1024 },
    { endpoint: "https://dept.example/x", answerSignature: "sometimes" },
    { endpoint: "https://dept.example/x", password: "x" },
  ])("rejects %j", (config) => {
    expect(httpConfigSchema.safeParse(config).success).toBe(false);
  });
});
