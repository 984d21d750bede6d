/**
 * Our compact-JWS verifier (src/crypto/jws.ts) against jose: what jose signs we verify, what we
 * sign jose verifies, and everything §2/§4 must refuse is refused — with verifiers from both
 * `#crypto-native` variants.
 */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CompactSign, compactVerify, importJWK } from "jose";
import * as nodeBackend from "../src/crypto/native.node.ts";
import * as webBackend from "../src/crypto/native.web.ts";
import { b64url, utf8 } from "../src/crypto/encoding.ts";
import { JwsError, parseCompactJws, selectJwk, verifierFor, verifyCompactJws, type JwsErrorCode } from "../src/crypto/jws.ts";
import type { KeyJwk, NativeCrypto, SignatureAlg } from "../src/crypto/primitives.ts";

const BACKENDS: [string, NativeCrypto][] = [
  ["node", nodeBackend],
  ["web", webBackend],
];
const ALGS = ["EdDSA", "ES256"] as const;
const enc = (o: unknown) => b64url(utf8(JSON.stringify(o)));

function keyPair(alg: SignatureAlg): { privateJwk: KeyJwk; publicJwk: KeyJwk } {
  const { privateKey, publicKey } = alg === "EdDSA" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateJwk: privateKey.export({ format: "jwk" }), publicJwk: publicKey.export({ format: "jwk" }) };
}
const KEYS = { EdDSA: keyPair("EdDSA"), ES256: keyPair("ES256") };

/** A compact JWS over exactly these header and payload segments, signed by our signer. */
async function sign(native: NativeCrypto, alg: SignatureAlg, header: string, payload: string): Promise<string> {
  const signature = await (await native.importSigner(KEYS[alg].privateJwk)).sign(utf8(`${header}.${payload}`));
  return `${header}.${payload}.${b64url(signature)}`;
}

async function refusal(promise: Promise<unknown>): Promise<JwsErrorCode> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof JwsError) return err.code;
    throw err;
  }
  throw new Error("accepted");
}

describe.each(BACKENDS)("verifyCompactJws with the %s variant", (_name, native) => {
  describe.each(ALGS)("%s", (alg) => {
    const verifier = () => native.importVerifier(KEYS[alg].publicJwk, alg);

    it("verifies what jose's CompactSign made, returning the header and payload bytes", async () => {
      const key = await importJWK({ ...KEYS[alg].privateJwk } as Parameters<typeof importJWK>[0], alg);
      const token = await new CompactSign(utf8('{"found":true}')).setProtectedHeader({ alg, kid: "dept-1", typ: "x+jwt" }).sign(key);
      const { header, payload } = await verifyCompactJws(token, await verifier(), [alg]);
      expect(header).toEqual({ alg, kid: "dept-1", typ: "x+jwt" });
      expect(new TextDecoder().decode(payload)).toBe('{"found":true}');
    });

    it("signs what jose's compactVerify accepts", async () => {
      const token = await sign(native, alg, enc({ alg, kid: "g1", typ: "huren-req+jwt" }), enc({ iss: "huren.test" }));
      const key = await importJWK({ ...KEYS[alg].publicJwk } as Parameters<typeof importJWK>[0], alg);
      const { payload, protectedHeader } = await compactVerify(token, key, { algorithms: [alg] });
      expect(protectedHeader).toEqual({ alg, kid: "g1", typ: "huren-req+jwt" });
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ iss: "huren.test" });
      expect((await verifyCompactJws(token, await verifier(), [alg])).header.kid).toBe("g1");
    });

    const other = alg === "EdDSA" ? "ES256" : "EdDSA";
    const cases: [string, () => Promise<string>, JwsErrorCode][] = [
      ["header alg of the other key type", () => sign(native, alg, enc({ alg: other }), enc({})), "alg-mismatch"],
      ["alg none, empty signature", async () => `${enc({ alg: "none" })}.${enc({})}.`, "alg-not-allowed"],
      ["alg HS256", () => sign(native, alg, enc({ alg: "HS256" }), enc({})), "alg-not-allowed"],
      ["no alg", () => sign(native, alg, enc({ kid: "x" }), enc({})), "alg-not-allowed"],
      ["alg not a string", () => sign(native, alg, enc({ alg: [alg] }), enc({})), "alg-not-allowed"],
      ["crit", () => sign(native, alg, enc({ alg, crit: ["exp"], exp: 1 }), enc({})), "crit"],
      ["crit b64 with b64:false", () => sign(native, alg, enc({ alg, b64: false, crit: ["b64"] }), "abcd"), "crit"],
      ["b64:false", () => sign(native, alg, enc({ alg, b64: false }), enc({})), "b64"],
      ["two parts", async () => (await sign(native, alg, enc({ alg }), enc({}))).split(".").slice(0, 2).join("."), "malformed"],
      ["four parts", async () => `${await sign(native, alg, enc({ alg }), enc({}))}.AAAA`, "malformed"],
      ["header not base64url", () => sign(native, alg, `${enc({ alg })}+`, enc({})), "malformed"],
      ["header not JSON", () => sign(native, alg, b64url(utf8(`{alg:"${alg}"}`)), enc({})), "malformed"],
      ["header a JSON array", () => sign(native, alg, enc([alg]), enc({})), "malformed"],
      ["header JSON null", () => sign(native, alg, enc(null), enc({})), "malformed"],
      ["header not UTF-8", () => sign(native, alg, b64url(new Uint8Array([0x7b, 0xff, 0x7d])), enc({})), "malformed"],
      ["payload not base64url", () => sign(native, alg, enc({ alg }), "e30="), "malformed"],
      ["signature not base64url", async () => `${await sign(native, alg, enc({ alg }), enc({}))}=`, "malformed"],
      ["empty signature", async () => `${enc({ alg })}.${enc({})}.`, "bad-signature"],
      ["payload changed", async () => (await sign(native, alg, enc({ alg }), enc({ a: 1 }))).replace(enc({ a: 1 }), enc({ a: 2 })), "bad-signature"],
      // Same JSON, other bytes: the signature covers the header exactly as sent.
      ["header re-encoded", async () => (await sign(native, alg, enc({ alg }), enc({}))).replace(enc({ alg }), b64url(utf8(`{ "alg": "${alg}" }`))), "bad-signature"],
      ["signed by another key", async () => {
        const [h, p] = [enc({ alg }), enc({})];
        return `${h}.${p}.${b64url(await (await native.importSigner(keyPair(alg).privateJwk)).sign(utf8(`${h}.${p}`)))}`;
      }, "bad-signature"],
    ];
    it.each(cases)("refuses %s", async (_what, token, code) => {
      expect(await refusal(verifyCompactJws(await token(), await verifier(), [...ALGS]))).toBe(code);
    });

    it("refuses an alg the caller does not allow, even with a valid signature", async () => {
      const token = await sign(native, alg, enc({ alg }), enc({}));
      expect(await refusal(verifyCompactJws(token, await verifier(), [other]))).toBe("alg-not-allowed");
    });
  });
});

describe("parseCompactJws", () => {
  it("returns the exact signing input and undecoded signature", () => {
    const jws = parseCompactJws(`${enc({ alg: "EdDSA" })}.${enc({ a: 1 })}.c2ln`);
    expect(new TextDecoder().decode(jws.signingInput)).toBe(`${enc({ alg: "EdDSA" })}.${enc({ a: 1 })}`);
    expect(new TextDecoder().decode(jws.payload)).toBe('{"a":1}');
    expect(jws.encodedSignature).toBe("c2ln");
  });
});

describe("selectJwk (createLocalJWKSet's rules)", () => {
  const ed = (kid: string, extra: Record<string, unknown> = {}) => ({ ...KEYS.EdDSA.publicJwk, kid, ...extra }) as Record<string, unknown>;
  const ec = (kid: string, extra: Record<string, unknown> = {}) => ({ ...KEYS.ES256.publicJwk, kid, ...extra }) as Record<string, unknown>;
  const kidOf = (keys: Record<string, unknown>[], header: Record<string, unknown>) => (selectJwk(keys, header).jwk as { kid?: string }).kid;
  const codeOf = (keys: Record<string, unknown>[], header: Record<string, unknown>) => {
    try {
      selectJwk(keys, header);
    } catch (err) {
      return (err as JwsError).code;
    }
    return "selected";
  };

  it("picks the key named by kid, of the type alg needs", () => {
    expect(kidOf([ed("a"), ed("b"), ec("c")], { alg: "EdDSA", kid: "b" })).toBe("b");
    expect(kidOf([ed("a"), ec("c")], { alg: "ES256", kid: "c" })).toBe("c");
    expect(selectJwk([ed("a")], { alg: "EdDSA", kid: "a" }).alg).toBe("EdDSA");
  });

  it("without kid, picks the only key fit for alg; more than one is an error", () => {
    expect(kidOf([ed("a"), ec("c")], { alg: "EdDSA" })).toBe("a");
    expect(codeOf([ed("a"), ed("b")], { alg: "EdDSA" })).toBe("multiple-matching-keys");
  });

  it.each([
    ["an unknown kid", [ed("a")], { alg: "EdDSA", kid: "z" }],
    ["a kid of the other key type", [ed("a"), ec("c")], { alg: "EdDSA", kid: "c" }],
    ["a non-string kid", [ed("a")], { alg: "EdDSA", kid: 1 }],
    ["an empty set", [], { alg: "EdDSA" }],
    ["a key whose own alg differs", [ed("a", { alg: "Ed25519" })], { alg: "EdDSA", kid: "a" }],
    ["a key for encryption", [ed("a", { use: "enc" })], { alg: "EdDSA", kid: "a" }],
    ["key_ops without verify", [ed("a", { key_ops: ["sign"] })], { alg: "EdDSA", kid: "a" }],
    ["key_ops with duplicates", [ed("a", { key_ops: ["verify", "verify"] })], { alg: "EdDSA", kid: "a" }],
    ["a P-384 key", [ec("c", { crv: "P-384" })], { alg: "ES256", kid: "c" }],
  ])("finds no key for %s", (_what, keys, header) => {
    expect(codeOf(keys, header)).toBe("no-matching-key");
  });

  it("accepts a key's own alg, use and key_ops when they allow verifying", () => {
    expect(kidOf([ed("a", { alg: "EdDSA", use: "sig", key_ops: ["verify"] })], { alg: "EdDSA", kid: "a" })).toBe("a");
  });

  it("refuses an alg no key set may serve", () => {
    expect(codeOf([ed("a")], { alg: "none", kid: "a" })).toBe("alg-not-allowed");
    expect(codeOf([ed("a")], { alg: "HS256", kid: "a" })).toBe("alg-not-allowed");
  });
});

describe("verifierFor", () => {
  it("imports a key once, whatever the kid or extra members", async () => {
    const a = await verifierFor({ ...KEYS.EdDSA.publicJwk, kid: "one" } as KeyJwk, "EdDSA");
    const b = await verifierFor({ ...KEYS.EdDSA.publicJwk, kid: "two", use: "sig" } as KeyJwk, "EdDSA");
    expect(b).toBe(a);
  });

  it("does not remember a key that failed to import", async () => {
    const bad = { ...KEYS.ES256.publicJwk, y: b64url(new Uint8Array(32).fill(1)) };
    await expect(verifierFor(bad, "ES256")).rejects.toThrow();
    await expect(verifierFor(bad, "ES256")).rejects.toThrow();
    await expect(verifierFor(KEYS.EdDSA.publicJwk, "ES256")).rejects.toThrow();
  });
});
