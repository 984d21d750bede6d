/**
 * Compact JWS verification over `#crypto-native`, for the tokens the gateway checks on every
 * verification (windows' requests, departments' signed answers). jose 6 is WebCrypto-only, which
 * on Node costs about twice what node:crypto does; this covers the little §2/§4 needs — EdDSA and
 * ES256, protected header only, no `crit`, no unencoded payload — and nothing else.
 */
import { importVerifier } from "#crypto-native";
import { fromB64url } from "./encoding.ts";
import { algOfJwk, SIGNATURE_ALGS, type KeyJwk, type SignatureAlg, type Verifier } from "./primitives.ts";

export type JwsErrorCode = "malformed" | "alg-not-allowed" | "alg-mismatch" | "crit" | "b64" | "no-matching-key" | "multiple-matching-keys" | "bad-signature";

/** Why a token was refused; `code` is short and safe to log. */
export class JwsError extends Error {
  constructor(
    readonly code: JwsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "JwsError";
  }
}

export interface ParsedJws {
  /** The protected header: a JSON object, nothing in it checked yet. */
  header: Record<string, unknown>;
  /** The decoded payload bytes (not yet authentic). */
  payload: Uint8Array;
  /** ASCII of `header.payload`, exactly as sent: what the signature covers. */
  signingInput: Uint8Array;
  /** Still base64url: like jose, a signature that does not decode fails verification, not parsing. */
  encodedSignature: string;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const ascii = new TextEncoder();

/** A plain object (what `JSON.parse` makes of `{…}`; not an array, not a class instance), as jose's isObject. */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Object.prototype.toString.call(v) !== "[object Object]") return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Splits a compact JWS and decodes its parts; verifies nothing.
 * @throws JwsError "malformed" unless there are three base64url parts and the header is a JSON object.
 * @example const { header, payload } = parseCompactJws(token); header.kid;
 */
export function parseCompactJws(token: string): ParsedJws {
  const parts = token.split(".");
  if (parts.length !== 3) throw new JwsError("malformed", "a compact JWS has three parts");
  const [h, p, s] = parts as [string, string, string];
  let header: unknown;
  let payload: Uint8Array;
  try {
    header = JSON.parse(strictUtf8.decode(fromB64url(h)));
  } catch (cause) {
    throw new JwsError("malformed", "the protected header is not base64url of JSON", { cause });
  }
  if (!isJsonObject(header)) throw new JwsError("malformed", "the protected header is not a JSON object");
  try {
    payload = fromB64url(p);
  } catch (cause) {
    throw new JwsError("malformed", "the payload is not base64url", { cause });
  }
  // base64url is ASCII, so this is the exact byte string that was signed.
  return { header, payload, signingInput: ascii.encode(`${h}.${p}`), encodedSignature: s };
}

/**
 * Checks a parsed JWS's header and signature with a verifier for the key it names.
 * @throws JwsError with code "crit", "b64", "alg-not-allowed", "alg-mismatch", "malformed" (signature not base64url) or "bad-signature".
 * @example await verifyParsedJws(parseCompactJws(token), await verifierFor(jwk, "EdDSA"), ["EdDSA"]);
 */
export async function verifyParsedJws(jws: ParsedJws, verifier: Verifier, algorithms: readonly string[]): Promise<void> {
  const { alg, crit, b64 } = jws.header;
  // No extension is understood, and an unencoded payload (RFC 7797) is never what §2/§4 send.
  if (crit !== undefined) throw new JwsError("crit", "no critical header extensions are understood");
  if (b64 !== undefined && b64 !== true) throw new JwsError("b64", "unencoded payloads are not accepted");
  if (typeof alg !== "string" || !algorithms.includes(alg)) throw new JwsError("alg-not-allowed", "alg is not allowed");
  if (alg !== verifier.alg) throw new JwsError("alg-mismatch", `the key is for ${verifier.alg}, not ${alg}`);
  let signature: Uint8Array;
  try {
    signature = fromB64url(jws.encodedSignature);
  } catch (cause) {
    throw new JwsError("malformed", "the signature is not base64url", { cause });
  }
  if (!(await verifier.verify(jws.signingInput, signature))) throw new JwsError("bad-signature", "the signature does not verify");
}

/**
 * Verifies a compact JWS: {@link parseCompactJws} then {@link verifyParsedJws}.
 * @example const { header, payload } = await verifyCompactJws(token, await verifierFor(jwk, "ES256"), ["ES256"]);
 */
export async function verifyCompactJws(token: string, verifier: Verifier, algorithms: readonly string[]): Promise<{ header: Record<string, unknown>; payload: Uint8Array }> {
  const jws = parseCompactJws(token);
  await verifyParsedJws(jws, verifier, algorithms);
  return { header: jws.header, payload: jws.payload };
}

const verifiers = new Map<string, Promise<Verifier>>();

/**
 * A verifier for a registered public key, imported once per process (bounded: members × keys is
 * small). Only the members that define the key make the cache key, so the same key under two
 * kids is imported once.
 * @throws if the JWK is not a valid Ed25519 or P-256 public key for `alg`.
 * @example const verifier = await verifierFor(member.jwks.keys[0], "EdDSA");
 */
export function verifierFor(jwk: KeyJwk, alg: SignatureAlg): Promise<Verifier> {
  const cacheKey = `${alg} ${String(jwk.kty)} ${String(jwk.crv)} ${String(jwk.x)} ${String(jwk.y)}`;
  let verifier = verifiers.get(cacheKey);
  if (!verifier) {
    verifier = importVerifier(jwk, alg);
    if (verifiers.size >= 1000) verifiers.clear();
    verifiers.set(cacheKey, verifier);
    // A key that fails to import is not remembered: the error is the caller's, every time.
    verifier.catch(() => verifiers.get(cacheKey) === verifier && verifiers.delete(cacheKey));
  }
  return verifier;
}

/** A JWK Set: `{ keys: [ {…}, … ] }` of JSON objects (what jose's createLocalJWKSet accepts). */
export function isJwkSet(v: unknown): v is { keys: Record<string, unknown>[] } {
  return isJsonObject(v) && Array.isArray(v.keys) && v.keys.every(isJsonObject);
}

/**
 * The one key of a set that may have signed a token with this header — the rules of jose's
 * createLocalJWKSet, for Ed25519 and P-256: the key type fits `alg`; if the header has a kid, the
 * key has that kid; the key's own `alg`, `use` and `key_ops`, when present, allow verifying with
 * `alg`. No match, or more than one (a kid-less token with two candidate keys), is an error.
 * @example const jwk = selectJwk(department.jwks.keys, parseCompactJws(token).header);
 */
export function selectJwk(keys: readonly Record<string, unknown>[], header: Record<string, unknown>): { jwk: KeyJwk; alg: SignatureAlg } {
  const { alg, kid } = header;
  if (typeof alg !== "string" || !(SIGNATURE_ALGS as readonly string[]).includes(alg)) {
    throw new JwsError("alg-not-allowed", "alg is not one a key set can be used with");
  }
  const usable = (jwk: Record<string, unknown>): boolean => {
    const ops = jwk.key_ops;
    let keyAlg: SignatureAlg;
    try {
      keyAlg = algOfJwk(jwk);
    } catch {
      return false;
    }
    return (
      keyAlg === alg &&
      (kid === undefined || (typeof kid === "string" && kid === jwk.kid)) &&
      (jwk.alg === undefined || jwk.alg === alg) &&
      (jwk.use === undefined || jwk.use === "sig") &&
      (jwk.ext === undefined || typeof jwk.ext === "boolean") &&
      (ops === undefined || (Array.isArray(ops) && ops.every((o, i) => typeof o === "string" && ops.indexOf(o) === i) && ops.includes("verify")))
    );
  };
  const candidates = keys.filter(usable);
  if (candidates.length === 0) throw new JwsError("no-matching-key", "no key in the set matches the token");
  if (candidates.length > 1) throw new JwsError("multiple-matching-keys", "more than one key in the set matches the token");
  return { jwk: candidates[0]!, alg: alg as SignatureAlg };
}
