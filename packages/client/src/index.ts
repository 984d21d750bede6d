/**
 * @huren/client — the window-vendor SDK for the Huren (互认) gateway.
 *
 * - `createClient()` signs every request (PROTOCOL §2) and exposes typed operations;
 * - `verifyReceipt()` checks a filed receipt offline, including whom it is about (§3 v1.1);
 * - `verifyProofBundle()` checks a tlog-proof bundle offline against the ledger key and witnesses (§5.3).
 *
 * Runs on Node ≥ 20.19, in browsers and on Workers: WebCrypto and fetch only.
 */
export { createClient, type ClientOptions, type HurenClient, type VerificationAnswer, type VerificationRequest } from "./client.ts";
export { signRequest, toSigner, type MemberKey, type RequestBinding, type Signer, type SigningAlgorithm } from "./sign.ts";
export { maskId, subjectCommitment, verifyReceipt, type ReceiptCheck, type ReceiptPayload, type ReceiptResult, type Subject } from "./receipts.ts";
export { parseProofBundle, verifyInclusion, verifyProofBundle, type ProofBundle, type ProofCheck, type ProofPolicy } from "./proofs.ts";
export { parseCheckpointNote, parseVkey, type Checkpoint, type Vkey } from "./note.ts";
export { GatewayError, VerifyError, type Problem, type VerifyErrorCode } from "./errors.ts";
export type { paths, components } from "./schema.ts";
