/**
 * Department-signed answers (§4) now go through src/crypto/jws.ts instead of jose's jwtVerify with
 * createLocalJWKSet. Each case here is decided by the http adapter over a real loopback department
 * and, as the oracle, by that jose pipeline: the outcomes must be the same.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompactSign, createLocalJWKSet, errors as joseErrors, exportJWK, generateKeyPair, jwtVerify, type CryptoKey, type JSONWebKeySet, type JWK } from "jose";
import { ANSWER_ALGORITHMS, createHttpSource, httpConfigSchema } from "../src/adapters/http.ts";
import type { LookupRequest } from "../src/adapters/types.ts";
import { createFetchHttpClient } from "../src/http/fetch-client.ts";

const http = createFetchHttpClient();
let server: Server;
let base: string;
let nextAnswer = "";

type Pair = { privateKey: CryptoKey; jwk: JWK };
let ed1: Pair, ed2: Pair, es: Pair;
const pair = async (alg: "EdDSA" | "ES256", kid: string, extra: Partial<JWK> = {}): Promise<Pair> => {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, ...extra } };
};

beforeAll(async () => {
  [ed1, ed2, es] = await Promise.all([pair("EdDSA", "ed-1"), pair("EdDSA", "ed-2"), pair("ES256", "es-1")]);
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/jose" }).end(nextAnswer));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await http.close?.();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const request: LookupRequest = {
  requestId: "vf_01JTEST#0",
  evidenceType: "subsistence-allowance.certificate",
  subject: { type: "resident-id", id: "220102199001011239" },
  fields: ["valid"],
  matter: "220100-public-rental-housing",
  requester: "nanguan-window-01",
};
const FOUND = { found: true, status: "valid", requestId: request.requestId };
const now = () => Math.floor(Date.now() / 1000);
const sign = (payload: object | Uint8Array, key: Pair, header: Record<string, unknown>) =>
  new CompactSign(payload instanceof Uint8Array ? payload : new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: key.jwk.kty === "OKP" ? "EdDSA" : "ES256", ...header })
    .sign(key.privateKey);

/** A JWS with a header CompactSign would refuse to write (it checks `crit` itself). */
async function signRaw(payload: object, key: Pair, header: Record<string, unknown>): Promise<string> {
  const input = `${Buffer.from(JSON.stringify({ alg: "EdDSA", ...header })).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, new TextEncoder().encode(input));
  return `${input}.${Buffer.from(signature).toString("base64url")}`;
}

/** What the jose pipeline the adapter used before would have made of this token. */
async function oracle(token: string, keys: JWK[]): Promise<string> {
  try {
    await jwtVerify(token, createLocalJWKSet({ keys } as JSONWebKeySet), { algorithms: [...ANSWER_ALGORITHMS], clockTolerance: 60 });
    return "found";
  } catch (err) {
    return err instanceof joseErrors.JWTInvalid ? "malformed-answer" : "bad-signature";
  }
}

async function adapter(token: string, keys: JWK[]): Promise<string> {
  nextAnswer = token;
  const source = createHttpSource("signed", httpConfigSchema.parse({ endpoint: `${base}/lookup`, answerSignature: "required" }), {
    department: "cc-civil-affairs",
    http,
    signer: { sign: async () => "not.checked.here" },
    departmentKeys: async () => ({ keys: keys as Record<string, unknown>[] }),
  });
  const result = await source.lookup(request);
  return result.outcome === "unavailable" ? result.error : result.outcome;
}

const cases: [string, () => Promise<string>, () => JWK[], string][] = [
  ["kid names an EdDSA key", () => sign(FOUND, ed1, { kid: "ed-1" }), () => [ed1.jwk, ed2.jwk, es.jwk], "found"],
  ["kid names an ES256 key", () => sign(FOUND, es, { kid: "es-1" }), () => [ed1.jwk, es.jwk], "found"],
  ["no kid, one key fits alg", () => sign(FOUND, ed1, {}), () => [ed1.jwk, es.jwk], "found"],
  ["no kid, two keys fit alg", () => sign(FOUND, ed1, {}), () => [ed1.jwk, ed2.jwk], "bad-signature"],
  ["unknown kid", () => sign(FOUND, ed1, { kid: "ed-9" }), () => [ed1.jwk], "bad-signature"],
  ["kid of another key", () => sign(FOUND, ed1, { kid: "ed-2" }), () => [ed1.jwk, ed2.jwk], "bad-signature"],
  ["kid of a key of the other type", () => sign(FOUND, ed1, { kid: "es-1" }), () => [ed1.jwk, es.jwk], "bad-signature"],
  ["key registered for encryption", () => sign(FOUND, ed1, { kid: "ed-1" }), () => [{ ...ed1.jwk, use: "enc" }], "bad-signature"],
  ["key registered for another alg", () => sign(FOUND, ed1, { kid: "ed-1" }), () => [{ ...ed1.jwk, alg: "Ed25519" }], "bad-signature"],
  ["an unknown crit", () => signRaw(FOUND, ed1, { kid: "ed-1", crit: ["x-huren"], "x-huren": 1 }), () => [ed1.jwk], "bad-signature"],
  ["payload a JSON array", () => sign([FOUND], ed1, { kid: "ed-1" }), () => [ed1.jwk], "malformed-answer"],
  ["payload not JSON", () => sign(new TextEncoder().encode("found"), ed1, { kid: "ed-1" }), () => [ed1.jwk], "malformed-answer"],
  ["payload not UTF-8", () => sign(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]), ed1, { kid: "ed-1" }), () => [ed1.jwk], "malformed-answer"],
  ["exp within the 60 s tolerance", () => sign({ ...FOUND, exp: now() - 30 }, ed1, { kid: "ed-1" }), () => [ed1.jwk], "found"],
  ["exp past the tolerance", () => sign({ ...FOUND, exp: now() - 120 }, ed1, { kid: "ed-1" }), () => [ed1.jwk], "bad-signature"],
  ["exp not a number", () => sign({ ...FOUND, exp: String(now() + 60) }, ed1, { kid: "ed-1" }), () => [ed1.jwk], "bad-signature"],
  ["nbf within the tolerance", () => sign({ ...FOUND, nbf: now() + 30 }, ed1, { kid: "ed-1" }), () => [ed1.jwk], "found"],
  ["nbf past the tolerance", () => sign({ ...FOUND, nbf: now() + 120 }, ed1, { kid: "ed-1" }), () => [ed1.jwk], "bad-signature"],
  ["iat not a number", () => sign({ ...FOUND, iat: "yesterday" }, ed1, { kid: "ed-1" }), () => [ed1.jwk], "bad-signature"],
];

describe("signed answers: the same decisions as jose's jwtVerify + createLocalJWKSet", () => {
  it.each(cases)("%s", async (_what, token, keys, expected) => {
    const jws = await token();
    expect(await oracle(jws, keys())).toBe(expected);
    expect(await adapter(jws, keys())).toBe(expected);
  });

  it("refuses b64:false even without crit, where jose ignores it (the one deliberate difference)", async () => {
    const jws = await signRaw(FOUND, ed1, { kid: "ed-1", b64: false });
    expect(await oracle(jws, [ed1.jwk])).toBe("found");
    expect(await adapter(jws, [ed1.jwk])).toBe("bad-signature");
  });

  it("reports who signed", async () => {
    nextAnswer = await sign(FOUND, es, { kid: "es-1" });
    const source = createHttpSource("signed", httpConfigSchema.parse({ endpoint: `${base}/lookup`, answerSignature: "required" }), {
      department: "cc-civil-affairs",
      http,
      signer: { sign: async () => "not.checked.here" },
      departmentKeys: async () => ({ keys: [es.jwk] as Record<string, unknown>[] }),
    });
    expect(await source.lookup(request)).toMatchObject({ outcome: "found", signature: { alg: "ES256", kid: "es-1" } });
  });

  it("turns a malformed key set into adapter-error, as before", async () => {
    nextAnswer = await sign(FOUND, ed1, { kid: "ed-1" });
    const source = createHttpSource("signed", httpConfigSchema.parse({ endpoint: `${base}/lookup` }), {
      department: "cc-civil-affairs",
      http,
      signer: { sign: async () => "not.checked.here" },
      departmentKeys: async () => ({ keys: ["not a key"] as unknown as Record<string, unknown>[] }),
    });
    expect(await source.lookup(request)).toMatchObject({ outcome: "unavailable", error: "adapter-error" });
  });
});
