/**
 * The offline check of a receipt with its proof bundle (§5.3), from files alone: the receipt's
 * signature (with the gateway's JWKS, and the key's validity period when the JWKS states it),
 * the checkpoint's log signature, the receipt's leaf hash at its index in the checkpoint's tree,
 * and the witness cosignature quorum. Every check runs that can, and each says what failed, so
 * a person holding a receipt learns exactly which promise does not hold.
 */
import { decodeProtectedHeader, type JSONWebKeySet } from "jose";
import { witnessCosignatures, type CosignerKey } from "./cosignature.ts";
import { toBase64 } from "./note-codec.ts";
import { NoteError, openNote, parseCheckpoint, type VerifierKey } from "./note.ts";
import { parseProofBundle, type ProofBundle } from "./proof-bundle.ts";
import { checkReceiptInclusion } from "./verify-proofs.ts";

export type BundleStep = "receipt" | "proof" | "checkpoint" | "inclusion" | "witnesses";

export interface StepResult {
  step: BundleStep;
  ok: boolean;
  /** A problem code when it failed (`bad-receipt`, `bad-signature`, `not-included`, `no-quorum`, …). */
  problem?: string;
  detail: string;
}

export interface BundleInput {
  receipt: string;
  jwks: JSONWebKeySet;
  /** The tlog-proof text. */
  proof: string;
  /** The ledger's note verifier key, pinned out of band. */
  logKey: VerifierKey;
  witnesses: CosignerKey[];
  quorum: number;
}

/** When the JWKS says so (`validFrom`/`validUntil`, key history §13.5): was the key valid when the receipt was issued? */
function keyValidity(receipt: string, jwks: JSONWebKeySet, iat: unknown): StepResult | undefined {
  const { kid } = decodeProtectedHeader(receipt);
  const jwk = jwks.keys.find((k) => k.kid === kid) as { validFrom?: string; validUntil?: string } | undefined;
  if (!jwk || typeof iat !== "number") return undefined;
  const at = iat * 1000;
  const from = jwk.validFrom ? Date.parse(jwk.validFrom) : -Infinity;
  const until = jwk.validUntil ? Date.parse(jwk.validUntil) : Infinity;
  if (at >= from - 60_000 && at <= until + 60_000) return undefined;
  return {
    step: "receipt",
    ok: false,
    problem: "key-not-valid-then",
    detail: `the receipt was issued at ${new Date(at).toISOString()}, outside its key ${String(kid)}'s validity (${jwk.validFrom ?? "…"} – ${jwk.validUntil ?? "…"})`,
  };
}

/**
 * @example
 * const steps = await verifyReceiptBundle({ receipt, jwks, proof, logKey, witnesses, quorum: 2 });
 * const ok = steps.every((s) => s.ok);
 */
export async function verifyReceiptBundle(input: BundleInput): Promise<StepResult[]> {
  const out: StepResult[] = [];
  let bundle: ProofBundle | undefined;
  try {
    bundle = parseProofBundle(input.proof);
    out.push({ step: "proof", ok: true, detail: `c2sp.org/tlog-proof@v1 for entry ${bundle.index} with ${bundle.hashes.length} proof hashes` });
  } catch (err) {
    out.push({ step: "proof", ok: false, problem: "malformed-proof", detail: (err as Error).message });
  }

  let opened: Awaited<ReturnType<typeof openNote>> | undefined;
  let checkpoint: ReturnType<typeof parseCheckpoint> | undefined;
  if (bundle) {
    try {
      opened = await openNote(bundle.checkpoint, [input.logKey]);
      checkpoint = parseCheckpoint(opened.text);
      if (checkpoint.origin !== input.logKey.name) throw new NoteError("malformed-checkpoint", `the checkpoint is for "${checkpoint.origin}", not "${input.logKey.name}"`);
      out.push({ step: "checkpoint", ok: true, detail: `${checkpoint.origin} size ${checkpoint.size} root ${toBase64(checkpoint.rootHash)}, signed by the log key` });
    } catch (err) {
      if (!(err instanceof NoteError)) throw err;
      checkpoint = undefined;
      out.push({ step: "checkpoint", ok: false, problem: err.code, detail: err.message });
    }
  }

  // Signature, issuer and (with a checkpoint) inclusion; the proof is given as its base64 hashes.
  const probe = checkpoint ?? { origin: "", size: Number.MAX_SAFE_INTEGER, rootHash: new Uint8Array(32) };
  const check = await checkReceiptInclusion({ receipt: input.receipt, jwks: input.jwks, checkpoint: probe, proof: (bundle?.hashes ?? []).map(toBase64) });
  if (!check.ok && check.problem === "bad-receipt") {
    out.push({ step: "receipt", ok: false, problem: check.problem, detail: check.detail });
  } else {
    const payload = JSON.parse(Buffer.from(input.receipt.trim().split(".")[1] ?? "", "base64url").toString("utf8")) as { jti?: string; iat?: number; ledger?: { index?: number; leafHash?: string } };
    const validity = keyValidity(input.receipt.trim(), input.jwks, payload.iat);
    out.push(validity ?? { step: "receipt", ok: true, detail: `receipt ${payload.jti ?? ""} signed by the gateway, entry ${payload.ledger?.index} leaf ${payload.ledger?.leafHash}` });
    if (checkpoint && bundle) {
      if (bundle.index !== payload.ledger?.index) {
        out.push({ step: "inclusion", ok: false, problem: "wrong-entry", detail: `the proof is for entry ${bundle.index}, the receipt is entry ${payload.ledger?.index}` });
      } else if (check.ok) {
        out.push({ step: "inclusion", ok: true, detail: `leaf ${check.leafHash} is entry ${check.index} of the tree of ${checkpoint.size}` });
      } else {
        out.push({ step: "inclusion", ok: false, problem: check.problem, detail: check.detail });
      }
    }
  }

  if (opened) {
    const { cosignedBy, missing } = await witnessCosignatures(opened.text, opened.unverified, input.witnesses);
    const names = (vkeys: string[]) => vkeys.map((v) => v.slice(0, v.indexOf("+"))).join(", ") || "none";
    if (cosignedBy.length >= input.quorum) {
      out.push({ step: "witnesses", ok: true, detail: `${cosignedBy.length} of ${input.witnesses.length} witnesses cosigned (quorum ${input.quorum}): ${names(cosignedBy)}` });
    } else {
      const why = missing.map((m) => m.detail).join("; ");
      out.push({ step: "witnesses", ok: false, problem: "no-quorum", detail: `${cosignedBy.length} of the quorum of ${input.quorum} witnesses cosigned (${names(cosignedBy)})${why ? `: ${why}` : ""}` });
    }
  }
  return out;
}
