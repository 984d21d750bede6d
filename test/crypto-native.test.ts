/**
 * `#crypto-native` has two variants (node:crypto on Node, WebCrypto on Workers) that must agree
 * byte for byte: one conformance table runs over both, each checked against the other, published
 * vectors (FIPS 180-2, RFC 4231, RFC 8032) and jose.
 */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CompactSign, compactVerify, exportJWK, generateKeyPair, importJWK, type CryptoKey } from "jose";
import * as nodeBackend from "../src/crypto/native.node.ts";
import * as webBackend from "../src/crypto/native.web.ts";
import { b64url, utf8 } from "../src/crypto/encoding.ts";
import type { KeyJwk, NativeCrypto, SignatureAlg } from "../src/crypto/primitives.ts";

const BACKENDS: [string, NativeCrypto][] = [
  ["node", nodeBackend],
  ["web", webBackend],
];
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

function keyPair(alg: SignatureAlg): { privateJwk: KeyJwk; publicJwk: KeyJwk } {
  const { privateKey, publicKey } = alg === "EdDSA" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { privateJwk: privateKey.export({ format: "jwk" }), publicJwk: publicKey.export({ format: "jwk" }) };
}

// RFC 8032 §7.1 TEST 1 (empty message) and TEST 3 (two bytes): Ed25519 is deterministic.
const RFC8032 = [
  {
    d: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    x: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    d: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    x: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
];

describe.each(BACKENDS)("#crypto-native, %s variant", (name, native) => {
  const other = name === "node" ? webBackend : nodeBackend;

  it("names itself", () => expect(native.backend).toBe(name));

  it.each([
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"],
    ["a".repeat(1_000_000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"],
  ])("SHA-256 of %#", async (input, expected) => {
    expect(hex(await native.sha256(input))).toBe(expected);
    expect(hex(await native.sha256(utf8(input)))).toBe(expected);
  });

  it("hashes strings as UTF-8, and returns a plain Uint8Array", async () => {
    const digest = await native.sha256("张三 ①");
    expect(digest).toEqual(await other.sha256(utf8("张三 ①")));
    expect(Object.getPrototypeOf(digest)).toBe(Uint8Array.prototype);
  });

  // RFC 4231 test cases 1, 2 and 6 (a key longer than the block size).
  it.each([
    ["0b".repeat(20), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"],
    [Buffer.from("Jefe").toString("hex"), "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
    ["aa".repeat(131), "Test Using Larger Than Block-Size Key - Hash Key First", "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"],
  ])("HMAC-SHA256 RFC 4231 %#", async (key, data, expected) => {
    const mac = await native.hmacSha256Key(fromHex(key));
    expect(hex(await mac.mac(data))).toBe(expected);
    expect(hex(await mac.mac(utf8(data)))).toBe(expected);
  });

  it.each(RFC8032)("signs RFC 8032 Ed25519 vectors exactly ($message)", async (v) => {
    const jwk = { kty: "OKP", crv: "Ed25519", x: b64url(fromHex(v.x)), d: b64url(fromHex(v.d)) };
    const signer = await native.importSigner(jwk);
    expect(signer.alg).toBe("EdDSA");
    expect(hex(await signer.sign(fromHex(v.message)))).toBe(v.signature);
    const verifier = await native.importVerifier({ kty: "OKP", crv: "Ed25519", x: jwk.x }, "EdDSA");
    expect(await verifier.verify(fromHex(v.message), fromHex(v.signature))).toBe(true);
  });

  describe.each(["EdDSA", "ES256"] as const)("%s", (alg) => {
    const { privateJwk, publicJwk } = keyPair(alg);
    const data = utf8("eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJodXJlbiJ9");

    it("signs what the other variant and jose verify; verifies what they sign", async () => {
      const signature = await (await native.importSigner(privateJwk)).sign(data);
      expect(signature.byteLength).toBe(64);
      expect(await (await other.importVerifier(publicJwk, alg)).verify(data, signature)).toBe(true);
      const joseKey = await importJWK({ ...publicJwk, alg } as Parameters<typeof importJWK>[0], alg);
      const subtleParams = alg === "EdDSA" ? { name: "Ed25519" } : { name: "ECDSA", hash: "SHA-256" };
      expect(await crypto.subtle.verify(subtleParams, joseKey as CryptoKey, signature, data)).toBe(true);

      const theirs = await (await other.importSigner(privateJwk)).sign(data);
      expect(await (await native.importVerifier(publicJwk, alg)).verify(data, theirs)).toBe(true);
    });

    it("refuses tampered data, a tampered or truncated signature, and another key's signature", async () => {
      const signature = await (await native.importSigner(privateJwk)).sign(data);
      const verifier = await native.importVerifier(publicJwk, alg);
      const flipped = (b: Uint8Array, i: number) => b.map((v, j) => (j === i ? v ^ 1 : v));
      expect(await verifier.verify(flipped(data, 3), signature)).toBe(false);
      expect(await verifier.verify(data, flipped(signature, 10))).toBe(false);
      expect(await verifier.verify(data, flipped(signature, 63))).toBe(false);
      expect(await verifier.verify(data, signature.subarray(0, 63))).toBe(false);
      expect(await verifier.verify(data, new Uint8Array(0))).toBe(false);
      expect(await verifier.verify(data, new Uint8Array(64))).toBe(false);
      expect(await verifier.verify(data, await (await native.importSigner(keyPair(alg).privateJwk)).sign(data))).toBe(false);
    });

    it("imports only the public half for verifying, whatever else the JWK carries", async () => {
      const signature = await (await native.importSigner(privateJwk)).sign(data);
      const noisy = { ...privateJwk, kid: "k1", alg, use: "sig", key_ops: ["verify"] } as KeyJwk;
      expect(await (await native.importVerifier(noisy, alg)).verify(data, signature)).toBe(true);
    });

    it("refuses a key for the other algorithm", async () => {
      await expect(native.importVerifier(publicJwk, alg === "EdDSA" ? "ES256" : "EdDSA")).rejects.toThrow();
    });
  });

  it("refuses JWKs that are not Ed25519 or P-256 keys", async () => {
    const ed = keyPair("EdDSA").publicJwk;
    const ec = keyPair("ES256").publicJwk;
    await expect(native.importVerifier({ ...ec, crv: "P-384" }, "ES256")).rejects.toThrow();
    await expect(native.importVerifier({ kty: "RSA", n: "AQAB", e: "AQAB" } as KeyJwk, "ES256")).rejects.toThrow();
    await expect(native.importVerifier({ ...ed, x: undefined }, "EdDSA")).rejects.toThrow();
    await expect(native.importVerifier({ ...ed, x: "not base64url!" }, "EdDSA")).rejects.toThrow();
    // A point off the curve.
    await expect(native.importVerifier({ ...ec, y: b64url(new Uint8Array(32).fill(1)) }, "ES256")).rejects.toThrow();
    await expect(native.importSigner({ ...ed, d: undefined })).rejects.toThrow();
  });
});

describe("both variants, side by side", () => {
  it("give identical SHA-256 and HMAC for random inputs", async () => {
    for (let n = 0; n < 50; n++) {
      const data = crypto.getRandomValues(new Uint8Array(n * 37));
      const key = crypto.getRandomValues(new Uint8Array(n + 1));
      expect(await nodeBackend.sha256(data)).toEqual(await webBackend.sha256(data));
      expect(await (await nodeBackend.hmacSha256Key(key)).mac(data)).toEqual(await (await webBackend.hmacSha256Key(key)).mac(data));
    }
  });

  it("give identical Ed25519 signatures (deterministic)", async () => {
    const { privateJwk } = keyPair("EdDSA");
    const data = utf8("header.payload");
    expect(await (await nodeBackend.importSigner(privateJwk)).sign(data)).toEqual(await (await webBackend.importSigner(privateJwk)).sign(data));
  });

  it("interoperate with keys jose generated", async () => {
    for (const alg of ["EdDSA", "ES256"] as const) {
      const pair = await generateKeyPair(alg, { extractable: true });
      const privateJwk = await exportJWK(pair.privateKey);
      const publicJwk = await exportJWK(pair.publicKey);
      const token = await new CompactSign(utf8("{}")).setProtectedHeader({ alg }).sign(pair.privateKey);
      const [h, p, s] = token.split(".") as [string, string, string];
      for (const [, native] of BACKENDS) {
        expect(await (await native.importVerifier(publicJwk, alg)).verify(utf8(`${h}.${p}`), Buffer.from(s, "base64url"))).toBe(true);
        const ours = `${h}.${p}.${b64url(await (await native.importSigner(privateJwk)).sign(utf8(`${h}.${p}`)))}`;
        expect((await compactVerify(ours, pair.publicKey)).protectedHeader.alg).toBe(alg);
      }
    }
  });
});
