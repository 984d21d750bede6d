/**
 * PROTOCOL §2: every call to the gateway carries a JWS (typ huren-req+jwt) signed by the member,
 * binding the method, the path and query exactly as sent, and the SHA-256 of the body bytes.
 */
import { CompactSign, importJWK, type CryptoKey, type JWK } from "jose";
import { sha256, toBase64url, utf8 } from "./bytes.ts";

export type SigningAlgorithm = "EdDSA" | "ES256";

/** A member's private signing key: a private JWK (Ed25519 or P-256, with `kid`), or an imported key. */
export type MemberKey = JWK | { privateKey: CryptoKey; kid: string; alg: SigningAlgorithm };

export interface Signer {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
}

export async function toSigner(key: MemberKey): Promise<Signer> {
  if ("privateKey" in key && key.privateKey) return key as Signer;
  const jwk = key as JWK;
  if (!jwk.kid) throw new TypeError("the member key needs a kid (the id of its public key registered with the gateway)");
  if (!jwk.d) throw new TypeError("the member key must be a private JWK (it has no d)");
  const alg: SigningAlgorithm = jwk.kty === "OKP" && jwk.crv === "Ed25519" ? "EdDSA" : jwk.kty === "EC" && jwk.crv === "P-256" ? "ES256" : (() => {
    throw new TypeError("the member key must be Ed25519 (OKP) or P-256 (EC)");
  })();
  return { kid: jwk.kid, alg, privateKey: (await importJWK(jwk, alg)) as CryptoKey };
}

export interface RequestBinding {
  member: string;
  gatewayId: string;
  method: string;
  /** Path and query exactly as sent, e.g. `/v1/audit/export?format=jsonl`. */
  pathAndQuery: string;
  body: Uint8Array;
  uid?: string | undefined;
  /** Seconds the token lives (≤ 300); default 60. */
  ttl?: number;
  now?: () => Date;
}

/**
 * The bearer token for one request.
 * @example
 * const token = await signRequest(signer, { member: "nanguan-window-01", gatewayId: "huren.localhost",
 *   method: "POST", pathAndQuery: "/v1/verifications", body: utf8(json), uid: "clerk-007" });
 */
export async function signRequest(signer: Signer, binding: RequestBinding): Promise<string> {
  const iat = Math.floor((binding.now?.() ?? new Date()).getTime() / 1000);
  const ttl = Math.min(binding.ttl ?? 60, 300);
  const claims = {
    iss: binding.member,
    aud: binding.gatewayId,
    iat,
    exp: iat + ttl,
    jti: crypto.randomUUID(),
    htm: binding.method.toUpperCase(),
    htu: binding.pathAndQuery,
    bh: toBase64url(await sha256(binding.body)),
    ...(binding.uid ? { uid: binding.uid } : {}),
  };
  return new CompactSign(utf8(JSON.stringify(claims))).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "huren-req+jwt" }).sign(signer.privateKey);
}
