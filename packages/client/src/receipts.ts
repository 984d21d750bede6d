/**
 * Checking a receipt offline (PROTOCOL §3): the gateway's signature against its published JWKS,
 * who it was for, and — with the opening the window filed beside it — which person it is about.
 */
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import { buffer, bytesEqual, fromBase64url, utf8 } from "./bytes.ts";
import { VerifyError } from "./errors.ts";

export interface Subject {
  type: "resident-id" | "uscc";
  id: string;
}

export interface ReceiptResult {
  type: string;
  status: string;
  source?: string;
  claims?: Record<string, unknown>;
  checkedAt?: string;
}

export interface ReceiptPayload {
  iss: string;
  aud: string;
  iat: number;
  jti: string;
  matter: string;
  case: string;
  uid: string | null;
  subject: { type: string; masked: string; commitment: string };
  results: ReceiptResult[];
  ledger?: { index: number; leafHash: string };
}

export interface ReceiptCheck {
  /** The gateway's JWKS (`GET /.well-known/jwks.json`), kept with the filed receipts. */
  jwks: JSONWebKeySet;
  /** With `subject`: confirms the receipt is about this person (the `subjectOpening` of the answer). */
  opening?: string;
  subject?: Subject;
  /** Expected issuer (gateway id) and audience (the window's member id). */
  issuer?: string;
  audience?: string;
}

/** `masked` as the gateway writes it: first 4 and last 4 characters, stars between. */
export const maskId = (id: string): string => id.slice(0, 4) + "*".repeat(Math.max(0, id.length - 8)) + id.slice(-4);

/** base64url HMAC-SHA256(key = opening, message = UTF-8 `type:id`) — the receipt's subject commitment. */
export async function subjectCommitment(subject: Subject, opening: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", buffer(opening), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, buffer(utf8(`${subject.type}:${subject.id}`))));
}

/**
 * Verifies a receipt offline and returns its payload; throws VerifyError naming the failed step.
 * @example
 * const payload = await verifyReceipt(answer.receipt, { jwks, opening: answer.subjectOpening, subject });
 */
export async function verifyReceipt(receipt: string, check: ReceiptCheck): Promise<ReceiptPayload> {
  let verified: Awaited<ReturnType<typeof compactVerify>>;
  try {
    verified = await compactVerify(receipt, createLocalJWKSet(check.jwks), { algorithms: ["EdDSA", "ES256"] });
  } catch (err) {
    throw new VerifyError("bad-signature", `the receipt's signature does not verify with the JWKS given (${(err as Error).message})`);
  }
  if (verified.protectedHeader.typ !== "huren-receipt+jwt") throw new VerifyError("wrong-type", `typ is ${String(verified.protectedHeader.typ)}, not huren-receipt+jwt`);
  let payload: ReceiptPayload;
  try {
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as ReceiptPayload;
  } catch {
    throw new VerifyError("malformed", "the receipt's payload is not JSON");
  }
  if (check.issuer !== undefined && payload.iss !== check.issuer) throw new VerifyError("wrong-issuer", `issued by ${payload.iss}, expected ${check.issuer}`);
  if (check.audience !== undefined && payload.aud !== check.audience) throw new VerifyError("wrong-audience", `issued to ${payload.aud}, expected ${check.audience}`);
  if (check.subject !== undefined || check.opening !== undefined) {
    if (!check.subject || !check.opening) throw new VerifyError("malformed", "checking the subject needs both the subject and the opening");
    const opening = fromBase64url(check.opening);
    const committed = fromBase64url(payload.subject?.commitment ?? "");
    if (!opening || opening.length !== 32) throw new VerifyError("malformed", "the opening is not 32 bytes of base64url");
    if (!committed) throw new VerifyError("malformed", "the receipt has no subject commitment (a v1 receipt?)");
    const expected = await subjectCommitment(check.subject, opening);
    if (payload.subject.type !== check.subject.type || payload.subject.masked !== maskId(check.subject.id) || !bytesEqual(expected, committed)) {
      throw new VerifyError("subject-mismatch", "the receipt is not about this subject (or the opening belongs to another receipt)");
    }
  }
  return payload;
}
