/**
 * `#crypto-native` on Workers (and any runtime without node:crypto's sign/verify): WebCrypto,
 * which is native there. Same results as native.node.ts, byte for byte.
 */
import { utf8 } from "./encoding.ts";
import { algOfJwk, keyMembers, type KeyJwk, type Mac, type NativeCrypto, type SignatureAlg, type Signer, type Verifier } from "./primitives.ts";

export const backend = "web";

const bytes = (data: Uint8Array | string): Uint8Array => (typeof data === "string" ? utf8(data) : data);

/**
 * SHA-256 of bytes or a UTF-8 string.
 * @example b64url(await sha256("abc")) // "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
 */
export async function sha256(data: Uint8Array | string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes(data)));
}

/**
 * An HMAC-SHA256 key, imported once.
 * @example const tag = await (await hmacSha256Key(keyBytes)).mac("resident-id:11010519491231002X");
 */
export async function hmacSha256Key(raw: Uint8Array): Promise<Mac> {
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return { mac: async (data) => new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes(data))) };
}

// WebCrypto's ECDSA signature is already r ‖ s (IEEE P1363), which is what JWS ES256 wants.
const PARAMS = {
  EdDSA: { importParams: { name: "Ed25519" }, signParams: { name: "Ed25519" } },
  ES256: { importParams: { name: "ECDSA", namedCurve: "P-256" }, signParams: { name: "ECDSA", hash: "SHA-256" } },
} as const;

/**
 * A signer for an Ed25519 or P-256 private JWK (the algorithm follows from the key).
 * @example const signer = await importSigner(privateJwk); const sig = await signer.sign(utf8("header.payload"));
 */
export async function importSigner(privateJwk: KeyJwk): Promise<Signer> {
  const alg = algOfJwk(privateJwk);
  const { importParams, signParams } = PARAMS[alg];
  const key = await crypto.subtle.importKey("jwk", keyMembers(privateJwk, true), importParams, false, ["sign"]);
  return { alg, sign: async (data) => new Uint8Array(await crypto.subtle.sign(signParams, key, data)) };
}

/**
 * A verifier for an Ed25519 or P-256 public JWK; throws if the key is not one for `alg`.
 * @example const ok = await (await importVerifier(publicJwk, "EdDSA")).verify(data, signature);
 */
export async function importVerifier(publicJwk: KeyJwk, alg: SignatureAlg): Promise<Verifier> {
  if (algOfJwk(publicJwk) !== alg) throw new Error(`key is not a ${alg} key`);
  const { importParams, signParams } = PARAMS[alg];
  const key = await crypto.subtle.importKey("jwk", keyMembers(publicJwk, false), importParams, false, ["verify"]);
  return {
    alg,
    async verify(data, signature) {
      if (signature.byteLength !== 64) return false; // both algorithms: 64 bytes exactly
      try {
        return await crypto.subtle.verify(signParams, key, signature, data);
      } catch {
        return false;
      }
    },
  };
}

({ backend, sha256, hmacSha256Key, importSigner, importVerifier }) satisfies NativeCrypto;
