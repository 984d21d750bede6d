/**
 * The auditor's proof checks, offline: a checkpoint's signature (C2SP signed note), consistency
 * between two checkpoints (RFC 9162 §2.1.4) and a receipt's inclusion (its JWS with the
 * gateway's JWKS, then §2.1.3 against a checkpoint). Pure functions over texts and parsed JSON.
 *
 * Each returns `{ ok: true, … }` or `{ ok: false, problem, detail }` rather than throwing, because
 * a failed check is an expected answer for a verifier, not an exception; they throw only for
 * caller mistakes (RangeError).
 */
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from "jose";
import type { Checkpoint } from "./checkpoint.ts";
import { verifyConsistency, verifyInclusion, type Hash } from "./merkle.ts";
import { fromBase64 } from "./note-codec.ts";
import { NoteError, openNote, parseCheckpoint, type NoteErrorCode, type VerifierKey } from "./note.ts";
import { receiptSubjectMatches } from "../catalog/subject.ts";

export type CheckProblem =
  | NoteErrorCode // the checkpoint note: malformed, unknown or bad signature
  | "wrong-origin" // signed by the key, but for another log
  | "malformed-proof" // not a list of base64 32-byte hashes
  | "inconsistent" // the older checkpoint is not a prefix of the newer: the log forked or was rewritten
  | "bad-receipt" // the receipt JWS does not verify, or has no ledger claim
  | "wrong-subject" // the receipt's subject commitment does not open to the subject and opening given
  | "wrong-gateway" // the receipt was issued by another gateway than the checkpoint's log
  | "beyond-checkpoint" // the receipt's entry is newer than the checkpoint
  | "not-included"; // the proof does not place the receipt's leaf in the checkpoint's tree

export type Check<T extends object = object> = ({ ok: true } & T) | { ok: false; problem: CheckProblem; detail: string };

const failed = (problem: CheckProblem, detail: string) => ({ ok: false as const, problem, detail });

/**
 * Opens a signed checkpoint with the verifier key and parses it. The origin must be `origin`,
 * by default the key's name (Huren names the key after its log: `<gateway id>/ledger`).
 * @example
 * const opened = await checkCheckpoint(noteText, "huren.test/ledger+1a2b3c4d+AR…");
 * if (opened.ok) console.log(opened.checkpoint.size);
 */
export async function checkCheckpoint(note: string, key: string | VerifierKey, options: { origin?: string } = {}): Promise<Check<{ checkpoint: Checkpoint }>> {
  try {
    const opened = await openNote(note, [key]);
    const checkpoint = parseCheckpoint(opened.text);
    const origin = options.origin ?? (typeof key === "string" ? key.slice(0, key.indexOf("+")) : key.name);
    if (checkpoint.origin !== origin) return failed("wrong-origin", `the checkpoint is for the log "${checkpoint.origin}", not "${origin}"`);
    return { ok: true, checkpoint };
  } catch (err) {
    if (err instanceof NoteError) return failed(err.code, err.message);
    throw err;
  }
}

/**
 * Reads a proof as the gateway serves it (`{ "hashes": [b64…] }`) or as a bare array.
 * @example
 * const proof = parseProof(JSON.parse(await readFile("proof.json", "utf8")));
 */
export function parseProof(json: unknown): Hash[] | undefined {
  const list = Array.isArray(json) ? json : typeof json === "object" && json !== null ? (json as { hashes?: unknown }).hashes : undefined;
  if (!Array.isArray(list)) return undefined;
  const hashes = list.map((h) => (typeof h === "string" ? fromBase64(h) : undefined));
  return hashes.every((h): h is Uint8Array => h?.length === 32) ? hashes : undefined;
}

/**
 * Is the `older` checkpoint's tree a prefix of the `newer` one's, by `proof`? Throws RangeError
 * when older is the larger (swapped arguments).
 * @example
 * const check = checkConsistency(yesterday, today, await (await fetch(`…/consistency?from=${yesterday.size}&to=${today.size}`)).json());
 */
export function checkConsistency(older: Checkpoint, newer: Checkpoint, proof: unknown): Check {
  if (older.size > newer.size) throw new RangeError(`the older checkpoint (size ${older.size}) is larger than the newer (size ${newer.size})`);
  if (older.origin !== newer.origin) return failed("wrong-origin", `the checkpoints are for different logs ("${older.origin}", "${newer.origin}")`);
  const hashes = parseProof(proof);
  if (!hashes) return failed("malformed-proof", "the proof is not a list of base64 32-byte hashes");
  if (!verifyConsistency(older.size, newer.size, hashes, older.rootHash, newer.rootHash)) {
    const same = older.size === newer.size;
    return failed("inconsistent", same ? `two checkpoints of size ${older.size} sign different roots: the log forked` : `the proof does not show the tree of ${older.size} entries as a prefix of the tree of ${newer.size}: history was rewritten or the proof is wrong`);
  }
  return { ok: true };
}

export interface ReceiptInclusionInput {
  /** The receipt, a compact JWS (typ huren-receipt+jwt). */
  receipt: string;
  /** The gateway's /.well-known/jwks.json. */
  jwks: JSONWebKeySet;
  /** A checkpoint at least as new as the receipt, already opened with the verifier key. */
  checkpoint: Checkpoint;
  /** The inclusion proof for the receipt's index at the checkpoint's size. */
  proof: unknown;
  /**
   * Optionally, whom the receipt should be about: the id the window holds and the
   * `subjectOpening` filed beside the receipt (PROTOCOL v1.1 §3).
   */
  subject?: { type: string; id: string; opening: string };
}

/**
 * Verifies a receipt's signature, then that its ledger entry is in the checkpoint's tree.
 * @example
 * const check = await checkReceiptInclusion({ receipt, jwks, checkpoint, proof });
 * if (check.ok) console.log(`receipt ${check.payload.jti} is entry ${check.index}`);
 */
export async function checkReceiptInclusion(input: ReceiptInclusionInput): Promise<Check<{ index: number; leafHash: string; payload: Record<string, unknown> }>> {
  const { checkpoint: cp } = input;
  let payload: Record<string, unknown>;
  try {
    const verified = await compactVerify(input.receipt.trim(), createLocalJWKSet(input.jwks), { algorithms: ["EdDSA", "ES256"] });
    if (verified.protectedHeader.typ !== "huren-receipt+jwt") return failed("bad-receipt", `the JWS has typ ${String(verified.protectedHeader.typ)}, not huren-receipt+jwt`);
    payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
  } catch (err) {
    return failed("bad-receipt", `the receipt does not verify with the JWKS (${err instanceof Error ? err.message : String(err)})`);
  }
  if (input.subject) {
    const { opening, ...subject } = input.subject;
    if (!(await receiptSubjectMatches(payload.subject, subject, opening))) return failed("wrong-subject", `the receipt's subject commitment does not open to that ${subject.type} with that opening`);
  }
  const ledger = payload.ledger as { index?: unknown; leafHash?: unknown } | undefined;
  const index = ledger?.index;
  const leaf = typeof ledger?.leafHash === "string" ? fromBase64(ledger.leafHash) : undefined;
  if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0 || leaf?.length !== 32) {
    return failed("bad-receipt", "the receipt has no ledger claim { index, leafHash }");
  }
  // Bind receipt and log: the checkpoint's origin is `<gateway id>/ledger`, the receipt's iss that gateway.
  const gateway = cp.origin.endsWith("/ledger") ? cp.origin.slice(0, -"/ledger".length) : undefined;
  if (gateway !== undefined && payload.iss !== gateway) return failed("wrong-gateway", `the receipt was issued by ${String(payload.iss)}, the checkpoint is ${cp.origin}`);
  if (index >= cp.size) return failed("beyond-checkpoint", `the receipt is entry ${index}, but the checkpoint covers only ${cp.size} entries; use a newer checkpoint`);
  const hashes = parseProof(input.proof);
  if (!hashes) return failed("malformed-proof", "the proof is not a list of base64 32-byte hashes");
  if (!verifyInclusion(leaf, index, cp.size, hashes, cp.rootHash)) {
    return failed("not-included", `the proof does not place leaf ${ledger!.leafHash as string} at index ${index} in the tree of ${cp.size} entries`);
  }
  return { ok: true, index, leafHash: ledger!.leafHash as string, payload };
}
