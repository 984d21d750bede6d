/**
 * The receipt a window files instead of a paper copy (§3). It names the person only as a masked
 * id plus a salted digest: whoever holds the id can confirm it, nobody else can recover it.
 */
import canonicalize from "canonicalize";
import type { Subject } from "../catalog/subject.ts";
import { maskSubjectId, randomSalt, subjectDigest } from "../catalog/subject.ts";
import { b64url, sha256b64url } from "../crypto/encoding.ts";
import type { ItemResult } from "./request.ts";

export interface ReceiptPayload {
  iss: string;
  aud: string;
  iat: number;
  jti: string;
  matter: string;
  case: string;
  uid: string | null;
  subject: { type: string; masked: string; salt: string; digest: string };
  results: Omit<ItemResult, "reason">[];
}

export async function buildReceiptPayload(args: {
  gatewayId: string;
  window: string;
  verificationId: string;
  issuedAt: Date;
  matter: string;
  caseRef: string;
  uid: string | undefined;
  subject: Subject;
  results: ItemResult[];
}): Promise<ReceiptPayload> {
  const salt = randomSalt();
  return {
    iss: args.gatewayId,
    aud: args.window,
    iat: Math.floor(args.issuedAt.getTime() / 1000),
    jti: args.verificationId,
    matter: args.matter,
    case: args.caseRef,
    uid: args.uid ?? null,
    subject: { type: args.subject.type, masked: maskSubjectId(args.subject), salt: b64url(salt), digest: await subjectDigest(args.subject.id, salt) },
    // "without reason text" (§3): the receipt states outcomes, not policy internals.
    results: args.results.map(({ reason: _reason, ...rest }) => rest),
  };
}

/**
 * What the ledger entry commits to: base64url SHA-256 of the RFC 8785 form of the receipt
 * payload without `ledger` (which cannot be known before the entry is appended).
 */
export const receiptHash = (payload: ReceiptPayload): Promise<string> => sha256b64url(canonicalize(payload)!);
