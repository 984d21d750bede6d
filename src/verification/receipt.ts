/**
 * The receipt a window files instead of a paper copy (§3). It names the person only as a masked
 * id plus a commitment keyed by a per-verification opening that travels beside the receipt, never
 * inside it: whoever holds the id and the opening can confirm whom it is about; the receipt alone
 * reveals nothing beyond the mask (PROTOCOL v1.1).
 */
import canonicalize from "canonicalize";
import type { Subject } from "../catalog/subject.ts";
import { maskSubjectId, randomOpening, subjectCommitment } from "../catalog/subject.ts";
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
  subject: { type: string; masked: string; commitment: string };
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
}): Promise<{ payload: ReceiptPayload; subjectOpening: string }> {
  const opening = randomOpening();
  const payload: ReceiptPayload = {
    iss: args.gatewayId,
    aud: args.window,
    iat: Math.floor(args.issuedAt.getTime() / 1000),
    jti: args.verificationId,
    matter: args.matter,
    case: args.caseRef,
    uid: args.uid ?? null,
    subject: { type: args.subject.type, masked: maskSubjectId(args.subject), commitment: await subjectCommitment(args.subject, opening) },
    // "without reason text" (§3): the receipt states outcomes, not policy internals.
    results: args.results.map(({ reason: _reason, ...rest }) => rest),
  };
  return { payload, subjectOpening: b64url(opening) };
}

/**
 * What the ledger entry commits to: base64url SHA-256 of the RFC 8785 form of the receipt
 * payload without `ledger` (which cannot be known before the entry is appended).
 */
export const receiptHash = (payload: ReceiptPayload): Promise<string> => sha256b64url(canonicalize(payload)!);
