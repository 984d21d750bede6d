/**
 * §2 signed requests: every check, each failing with its own problem code. Pure except for the
 * two lookups it is handed (the member, and the shared replay store), so it runs the same on
 * Node and Workers and is tested without HTTP. The signature is checked by src/crypto/jws.ts
 * (node:crypto on Node, WebCrypto on Workers), with each member key imported once.
 */
import { authError } from "../errors.ts";
import type { Member } from "../members/members.ts";
import { sha256b64url } from "../crypto/encoding.ts";
import { JwsError, parseCompactJws, verifierFor, verifyParsedJws, type ParsedJws } from "../crypto/jws.ts";
import { assertWellFormedJson } from "../well-formed.ts";

export const REQUEST_TOKEN_TYPE = "huren-req+jwt";
export const ALLOWED_ALGS = ["EdDSA", "ES256"] as const;
export const MAX_LIFETIME_S = 300;
export const CLOCK_SKEW_S = 60;

export interface AuthenticatedCaller {
  member: Member;
  /** The natural person acting (clerk, auditor staff id); required for windows and auditors. */
  uid: string | undefined;
  jti: string;
  kid: string;
}

export interface AuthenticateInput {
  authorization: string | undefined;
  method: string;
  /** Path and query exactly as sent. */
  pathAndQuery: string;
  body: Uint8Array;
  /** base64url SHA-256 of `body`, when the caller needs it too (computed once, on first use). */
  bodyHash?: () => Promise<string>;
  gatewayId: string;
  now: Date;
  /** May be served from a cache; with `fresh`, must read the registry (see the kid check). */
  findMember(id: string, options?: { fresh?: boolean }): Promise<Member | undefined>;
  /** Records the jti until `expiresAt`; false when it was already there (a replay). */
  rememberJti(issuer: string, jti: string, expiresAt: Date): Promise<boolean>;
  /**
   * Called once every other check has passed, before the jti is recorded; throws to refuse
   * (the rate limiter's 429). A refused request so burns no jti and writes nothing.
   */
  admit?(member: Member, uid: string | undefined): void | Promise<void>;
}

function claim<T>(payload: Record<string, unknown>, name: string, check: (v: unknown) => v is T): T {
  const v = payload[name];
  if (!check(v)) throw authError("malformed-token", `claim "${name}" is missing or of the wrong type`);
  return v;
}
const isString = (v: unknown): v is string => typeof v === "string";
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v);
const isAllowedAlg = (v: string): v is (typeof ALLOWED_ALGS)[number] => (ALLOWED_ALGS as readonly string[]).includes(v);
const utf8Decoder = new TextDecoder();
const NO_SUCH_KEY = "iss and kid do not name a registered key of an enabled member";

/**
 * Checks a request's bearer token against PROTOCOL §2 and returns the caller.
 * Order matters: the replay store is written last, so a token that fails any other check
 * does not burn its jti.
 * @example
 * const caller = await authenticate({ authorization: req.headers.authorization, method: "POST",
 *   pathAndQuery: "/v1/verifications", body, gatewayId, now: new Date(), findMember, rememberJti });
 */
export async function authenticate(input: AuthenticateInput): Promise<AuthenticatedCaller> {
  const header = input.authorization;
  if (!header) throw authError("missing-token", "Authorization: Bearer <JWS> is required");
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(header);
  if (!match) throw authError("malformed-token", "Authorization must be 'Bearer' and a compact JWS");
  const token = match[1]!;

  let jws: ParsedJws;
  try {
    jws = parseCompactJws(token);
  } catch (err) {
    throw authError("malformed-token", `the token is not a compact JWS: ${err instanceof JwsError ? err.message : "unreadable"}`);
  }
  const { alg, kid, typ } = jws.header;
  if (typeof alg !== "string" || !isAllowedAlg(alg)) {
    throw authError("unsupported-alg", `alg must be one of ${ALLOWED_ALGS.join(", ")}`);
  }
  if (typ !== REQUEST_TOKEN_TYPE) throw authError("wrong-token-type", `typ must be "${REQUEST_TOKEN_TYPE}"`);
  if (typeof kid !== "string" || !kid) throw authError("unknown-key", NO_SUCH_KEY);
  if (jws.header.crit) throw authError("malformed-token", "no critical header extensions are understood");

  // The issuer is read before the signature is checked, only to find the key to check it with.
  let unverified: Record<string, unknown>;
  try {
    unverified = JSON.parse(utf8Decoder.decode(jws.payload));
  } catch {
    throw authError("malformed-token", "the token's payload is not valid JSON");
  }
  if (typeof unverified !== "object" || unverified === null || Array.isArray(unverified)) {
    throw authError("malformed-token", "the token's payload is not a JSON object");
  }
  // Before any claim is looked up: a NUL in `iss` must not reach the member query (§3, 400).
  assertWellFormedJson(jws.header, "token");
  assertWellFormedJson(unverified, "token");
  const iss = claim(unverified, "iss", isString);
  let member = await input.findMember(iss);
  // A cached member may predate a key just added (rotation adds the new key first): look again,
  // so new keys work at once; removed keys stop working within the cache's TTL.
  if (member && !member.jwks.keys.some((k) => k.kid === kid)) member = await input.findMember(iss, { fresh: true });
  // An unknown issuer, a disabled member and an unknown key get one answer, word for word, so a
  // caller cannot tell which member ids exist or are switched off (issue #10 §8).
  const jwk = member?.enabled ? member.jwks.keys.find((k) => k.kid === kid) : undefined;
  if (!member?.enabled || !jwk) throw authError("unknown-key", NO_SUCH_KEY);
  const keyAlg = jwk.kty === "OKP" ? "EdDSA" : "ES256";
  if (keyAlg !== alg) throw authError("unsupported-alg", `key "${kid}" is for ${keyAlg}, not ${alg}`);

  try {
    await verifyParsedJws(jws, await verifierFor(jwk, alg), [alg]);
  } catch {
    throw authError("bad-signature", "the token's signature does not verify with the registered key");
  }
  // The signature covers the very payload bytes parsed above: they are now the verified claims.
  const payload = unverified;

  const aud = payload.aud;
  if (aud !== input.gatewayId && !(Array.isArray(aud) && aud.length === 1 && aud[0] === input.gatewayId)) {
    throw authError("wrong-audience", `aud must be "${input.gatewayId}"`);
  }
  const iat = claim(payload, "iat", isInt);
  const exp = claim(payload, "exp", isInt);
  const now = Math.floor(input.now.getTime() / 1000);
  if (exp <= iat) throw authError("malformed-token", "exp must be after iat");
  if (exp - iat > MAX_LIFETIME_S) throw authError("lifetime-too-long", `exp - iat must be at most ${MAX_LIFETIME_S} s`);
  if (iat > now + CLOCK_SKEW_S) throw authError("not-yet-valid", "iat is in the future");
  if (exp < now - CLOCK_SKEW_S) throw authError("expired", "the token has expired");

  const jti = claim(payload, "jti", isString);
  if (jti.length < 16 || jti.length > 128 || !/^[\x21-\x7e]+$/.test(jti)) {
    throw authError("bad-jti", "jti must be 16 to 128 printable ASCII characters");
  }
  if (claim(payload, "htm", isString).toUpperCase() !== input.method.toUpperCase()) {
    throw authError("method-mismatch", `htm does not match the request method ${input.method}`);
  }
  if (claim(payload, "htu", isString) !== input.pathAndQuery) {
    throw authError("url-mismatch", "htu does not match the request path and query");
  }
  const bodyHash = input.bodyHash ? await input.bodyHash() : await sha256b64url(input.body);
  if (claim(payload, "bh", isString) !== bodyHash) {
    throw authError("body-mismatch", "bh does not match the SHA-256 of the request body");
  }
  const uid = payload.uid;
  if (uid !== undefined && (typeof uid !== "string" || uid.length === 0 || uid.length > 64)) {
    throw authError("malformed-token", "uid must be a string of 1 to 64 characters");
  }
  if ((member.kind === "window" || member.kind === "auditor") && uid === undefined) {
    throw authError("uid-required", `a ${member.kind} must name the acting person in uid`);
  }

  if (input.admit) {
    const admitted = input.admit(member, uid as string | undefined);
    if (admitted) await admitted;
  }
  if (!(await input.rememberJti(iss, jti, new Date((exp + CLOCK_SKEW_S) * 1000)))) {
    throw authError("replayed", "this jti was already used");
  }
  return { member, uid: uid as string | undefined, jti, kid };
}
