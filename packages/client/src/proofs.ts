/**
 * Offline check of a C2SP tlog-proof@v1 bundle (PROTOCOL §5.3) that the gateway serves at
 * `GET /v1/ledger/proofs/bundle?index=I`: filed with a receipt, it proves the access was logged in a
 * ledger whose checkpoint the log signed and a quorum of witnesses cosigned.
 */
import { bytesEqual, concat, fromBase64, sha256 } from "./bytes.ts";
import { VerifyError } from "./errors.ts";
import { hasCosignature, hasLogSignature, parseCheckpointNote, parseVkey, type Checkpoint } from "./note.ts";

export interface ProofBundle {
  extra?: Uint8Array;
  index: number;
  proof: Uint8Array[];
  checkpoint: Checkpoint;
}

export function parseProofBundle(text: string): ProofBundle {
  const lines = text.split("\n");
  if (lines[0] !== "c2sp.org/tlog-proof@v1") throw new VerifyError("malformed", "not a c2sp.org/tlog-proof@v1 bundle");
  let at = 1;
  let extra: Uint8Array | undefined;
  if (lines[at]?.startsWith("extra ")) {
    extra = fromBase64(lines[at]!.slice(6));
    if (!extra) throw new VerifyError("malformed", "the extra line is not base64");
    at++;
  }
  const m = /^index (0|[1-9][0-9]*)$/.exec(lines[at] ?? "");
  if (!m) throw new VerifyError("malformed", "the bundle has no index line");
  at++;
  const proof: Uint8Array[] = [];
  for (; lines[at] !== undefined && lines[at] !== ""; at++) {
    const h = fromBase64(lines[at]!);
    if (!h || h.length !== 32) throw new VerifyError("malformed", `proof line ${at + 1} is not a base64 SHA-256 hash`);
    proof.push(h);
  }
  if (lines[at] !== "") throw new VerifyError("malformed", "the bundle has no checkpoint");
  return { ...(extra ? { extra } : {}), index: Number(m[1]), proof, checkpoint: parseCheckpointNote(lines.slice(at + 1).join("\n")) };
}

const interior = (left: Uint8Array, right: Uint8Array) => sha256(concat(Uint8Array.of(1), left, right));

/** RFC 9162 §2.1.3.2: does `proof` take `leaf` at `index` to `root` in a tree of `size`? */
export async function verifyInclusion(leaf: Uint8Array, index: number, size: number, proof: Uint8Array[], root: Uint8Array): Promise<boolean> {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await interior(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await interior(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(r, root);
}

export interface ProofPolicy {
  /** The ledger's note verifier key (`GET /v1/ledger/key`). */
  log: string;
  /** Witnesses' cosignature vkeys (type 0x04) and how many of them must have cosigned. */
  witnesses?: string[];
  quorum?: number;
  /** The entry's leaf hash (standard base64), e.g. the receipt's `ledger.leafHash`. */
  leafHash: string;
  /** When given, the bundle must be for this index (the receipt's `ledger.index`). */
  index?: number;
}

export interface ProofCheck {
  index: number;
  size: number;
  origin: string;
  /** Names of the witnesses whose cosignatures verified. */
  cosigners: string[];
}

/**
 * Verifies a tlog-proof bundle offline; throws VerifyError naming the failed step.
 * @example
 * await verifyProofBundle(text, { log: ledgerKey, witnesses: [auditBureauVkey], quorum: 1, leafHash: receipt.ledger.leafHash });
 */
export async function verifyProofBundle(text: string, policy: ProofPolicy): Promise<ProofCheck> {
  const bundle = parseProofBundle(text);
  const { checkpoint } = bundle;
  const logKey = await parseVkey(policy.log);
  if (checkpoint.origin !== logKey.name) throw new VerifyError("log-signature", `the checkpoint is for ${checkpoint.origin}, the log key for ${logKey.name}`);
  if (!(await hasLogSignature(checkpoint, logKey))) throw new VerifyError("log-signature", "the checkpoint is not signed by the log's key");
  if (policy.index !== undefined && bundle.index !== policy.index) throw new VerifyError("leaf-mismatch", `the bundle is for index ${bundle.index}, the receipt names ${policy.index}`);
  const leaf = fromBase64(policy.leafHash);
  if (!leaf || leaf.length !== 32) throw new VerifyError("malformed", "the leaf hash is not a base64 SHA-256 hash");
  if (!(await verifyInclusion(leaf, bundle.index, checkpoint.size, bundle.proof, checkpoint.rootHash))) {
    throw new VerifyError("inclusion-failed", `the leaf is not at index ${bundle.index} of the tree of ${checkpoint.size} the checkpoint names`);
  }
  const cosigners: string[] = [];
  for (const w of policy.witnesses ?? []) {
    const key = await parseVkey(w);
    if (await hasCosignature(checkpoint, key)) cosigners.push(key.name);
  }
  const quorum = policy.quorum ?? 0;
  if (cosigners.length < quorum) throw new VerifyError("quorum-not-met", `${cosigners.length} of the required ${quorum} witnesses cosigned the checkpoint${cosigners.length ? ` (${cosigners.join(", ")})` : ""}`);
  return { index: bundle.index, size: checkpoint.size, origin: checkpoint.origin, cosigners };
}
