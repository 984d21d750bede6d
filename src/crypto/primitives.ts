/**
 * The contract of the runtime-selected crypto backend, `#crypto-native` (package.json "imports"):
 * node:crypto on Node (3–10× cheaper per operation than WebCrypto there, and synchronous),
 * WebCrypto on Workers. Both variants must give byte-identical results; test/crypto-native.test.ts
 * runs one conformance table over both. Pure types and JWK checks, no crypto of its own.
 */

/** The JWS algorithms the gateway signs and accepts (§2): never `none`, HS* or RS*. */
export type SignatureAlg = "EdDSA" | "ES256";
export const SIGNATURE_ALGS: readonly SignatureAlg[] = ["EdDSA", "ES256"];

/** The members of an Ed25519 (OKP) or P-256 (EC) JWK that a backend reads; others are ignored. */
export interface KeyJwk {
  kty?: unknown;
  crv?: unknown;
  x?: unknown;
  y?: unknown;
  d?: unknown;
}

export interface Signer {
  readonly alg: SignatureAlg;
  /** EdDSA: 64-byte Ed25519 signature; ES256: 64-byte r ‖ s (IEEE P1363), as JWS wants. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export interface Verifier {
  readonly alg: SignatureAlg;
  /** False for a wrong or malformed signature; never throws for bad input. */
  verify(data: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

export interface Mac {
  /** HMAC-SHA256 of bytes or a UTF-8 string (32 bytes). */
  mac(data: Uint8Array | string): Promise<Uint8Array>;
}

/** What both `native.node.ts` and `native.web.ts` export. */
export interface NativeCrypto {
  readonly backend: "node" | "web";
  sha256(data: Uint8Array | string): Promise<Uint8Array>;
  hmacSha256Key(raw: Uint8Array): Promise<Mac>;
  importSigner(privateJwk: KeyJwk): Promise<Signer>;
  importVerifier(publicJwk: KeyJwk, alg: SignatureAlg): Promise<Verifier>;
}

/** A key's only algorithm: Ed25519 → EdDSA, P-256 → ES256. Throws for anything else. */
export function algOfJwk(jwk: KeyJwk): SignatureAlg {
  if (jwk.kty === "OKP" && jwk.crv === "Ed25519") return "EdDSA";
  if (jwk.kty === "EC" && jwk.crv === "P-256") return "ES256";
  throw new Error("key must be an Ed25519 (OKP) or P-256 (EC) JWK");
}

/** Only the members that define the key, as strings: stray `alg`, `use` or `key_ops` cannot trip an import. */
export function keyMembers(jwk: KeyJwk, withPrivate: boolean): { kty: string; crv: string; x: string; y?: string; d?: string } {
  const alg = algOfJwk(jwk);
  const str = (name: "x" | "y" | "d", v: unknown): string => {
    if (typeof v !== "string" || !/^[A-Za-z0-9_-]+$/.test(v)) throw new Error(`JWK member "${name}" must be base64url`);
    return v;
  };
  return {
    kty: jwk.kty as string,
    crv: jwk.crv as string,
    x: str("x", jwk.x),
    ...(alg === "ES256" ? { y: str("y", jwk.y) } : {}),
    ...(withPrivate ? { d: str("d", jwk.d) } : {}),
  };
}
