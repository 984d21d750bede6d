/**
 * A member's side of §2, for the CLI: load a key file, sign a request, send it, and check a
 * receipt against the gateway's published JWKS.
 */
import { readFile } from "node:fs/promises";
import { CompactSign, compactVerify, createRemoteJWKSet, importJWK, type JWK } from "jose";
import { sha256b64url } from "../crypto/encoding.ts";
import { receiptSubjectMatches } from "../catalog/subject.ts";

export interface KeyFile {
  gateway: string;
  gatewayId: string;
  member: string;
  uid?: string;
  jwk: JWK;
}

export async function loadKeyFile(path: string): Promise<KeyFile> {
  const parsed = JSON.parse(await readFile(path, "utf8")) as KeyFile;
  if (!parsed.member || !parsed.jwk?.d || !parsed.jwk.kid) throw new Error(`${path}: not a Huren key file (member, jwk with d and kid)`);
  return parsed;
}

/**
 * A §2 request token binding `method`, `path` (with its query, exactly as sent) and the body text.
 * @example
 * const token = await requestToken(key, "GET", "/v1/audit/export?format=jsonl", "");
 */
export async function requestToken(key: KeyFile, method: string, path: string, text: string): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  const alg = key.jwk.kty === "OKP" ? "EdDSA" : "ES256";
  const claims = {
    iss: key.member,
    aud: key.gatewayId,
    iat,
    exp: iat + 60,
    jti: crypto.randomUUID(),
    htm: method,
    htu: path,
    bh: await sha256b64url(text),
    ...(key.uid ? { uid: key.uid } : {}),
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg, kid: key.jwk.kid!, typ: "huren-req+jwt" })
    .sign(await importJWK(key.jwk, alg));
}

/** Sends a signed request; returns the status and parsed body. */
export async function signedFetch(key: KeyFile, method: string, path: string, body?: unknown, gateway = key.gateway): Promise<{ status: number; body: unknown }> {
  const text = body === undefined ? "" : JSON.stringify(body);
  const token = await requestToken(key, method, path, text);
  const res = await fetch(new URL(path, gateway), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: text }),
  });
  const raw = await res.text();
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    /* not JSON: show as text */
  }
  return { status: res.status, body: parsed };
}

export interface ReceiptExpectation {
  iss: string;
  aud: string;
  /** The subject sent and the answer's `subjectOpening`: the receipt's commitment must open to it. */
  subject?: { type: string; id: string; opening: string | undefined };
}

/**
 * Verifies a receipt with the gateway's JWKS, its issuer and audience and, given the subject that
 * was sent, that its subject commitment opens to that subject; returns the payload.
 * @throws Error naming the first check that failed
 */
export async function checkReceipt(receipt: string, gateway: string, expect?: ReceiptExpectation): Promise<Record<string, unknown>> {
  const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", gateway));
  const { payload, protectedHeader } = await compactVerify(receipt, jwks, { algorithms: ["EdDSA", "ES256"] });
  if (protectedHeader.typ !== "huren-receipt+jwt") throw new Error(`receipt typ is ${protectedHeader.typ}`);
  const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
  if (expect && (claims.iss !== expect.iss || claims.aud !== expect.aud)) {
    throw new Error(`receipt is from ${String(claims.iss)} for ${String(claims.aud)}, expected ${expect.iss} for ${expect.aud}`);
  }
  if (expect?.subject) {
    const { opening, ...subject } = expect.subject;
    if (!opening) throw new Error("the answer has no subjectOpening: cannot confirm whom the receipt is about");
    if (!(await receiptSubjectMatches(claims.subject, subject, opening))) throw new Error(`the receipt's subject commitment does not open to the ${subject.type} that was sent`);
  }
  return claims;
}
