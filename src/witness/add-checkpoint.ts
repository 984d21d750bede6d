/**
 * C2SP tlog-witness `add-checkpoint` (https://c2sp.org/tlog-witness), the witness side:
 *
 *   404  the checkpoint's origin is not a log this witness follows
 *   403  no signature on it verifies with the log's key
 *   400  malformed body, or old size above the checkpoint's size
 *   409  old size is not the size of the latest checkpoint cosigned for the origin (body: that
 *        size, `text/x.tlog.size`); also the same size with another root hash (a fork)
 *   422  the consistency proof from the latest cosigned checkpoint does not verify
 *   200  `cosignature/v1` line(s), after the new latest checkpoint is stored (compare-and-swap)
 *
 * Shares only the note and Merkle code with the gateway.
 */
import { fromBase64, toBase64 } from "../ledger/note-codec.ts";
import { NoteError, openNote, parseCheckpoint, type VerifierKey } from "../ledger/note.ts";
import { verifyConsistency } from "../ledger/merkle.ts";
import { signCosignature, type CosignerSigner } from "../ledger/cosignature.ts";
import type { WitnessState, WitnessStore } from "./store.ts";

export interface WitnessContext {
  store: WitnessStore;
  /** Log origin → the log's note verifier keys. */
  logs: Map<string, VerifierKey[]>;
  signer: CosignerSigner;
  now: () => Date;
  /** Told about refusals that may be evidence of log misbehaviour (fork, bad proof). */
  onEvidence?: (event: { origin: string; problem: string; size: number; note: string }) => void;
}

export interface WitnessAnswer {
  status: 200 | 400 | 403 | 404 | 409 | 422;
  contentType: string;
  body: string;
}

const MAX_PROOF_LINES = 63;
const text = (status: WitnessAnswer["status"], body: string): WitnessAnswer => ({ status, contentType: "text/plain; charset=utf-8", body: body + "\n" });
const sizeConflict = (size: number): WitnessAnswer => ({ status: 409, contentType: "text/x.tlog.size", body: `${size}\n` });

interface Request {
  oldSize: number;
  proof: Uint8Array[];
  note: string;
}

function parseRequest(body: string): Request | string {
  const split = body.indexOf("\n\n");
  if (split < 0) return "the body needs an old size line, proof lines, a blank line and a checkpoint";
  const [oldLine, ...proofLines] = body.slice(0, split).split("\n");
  const old = /^old (0|[1-9][0-9]*)$/.exec(oldLine ?? "");
  if (!old || !Number.isSafeInteger(Number(old[1]))) return "the first line must be `old <size>` in decimal without leading zeros";
  if (proofLines.length > MAX_PROOF_LINES) return `more than ${MAX_PROOF_LINES} consistency proof lines`;
  const proof: Uint8Array[] = [];
  for (const line of proofLines) {
    const hash = fromBase64(line);
    if (!hash || hash.length !== 32) return "a consistency proof line is not base64 of a 32-byte hash";
    proof.push(hash);
  }
  return { oldSize: Number(old[1]), proof, note: body.slice(split + 2) };
}

/**
 * @example
 * const answer = await addCheckpoint(ctx, await request.text());
 * return new Response(answer.body, { status: answer.status, headers: { "content-type": answer.contentType } });
 */
export async function addCheckpoint(ctx: WitnessContext, body: string): Promise<WitnessAnswer> {
  const req = parseRequest(body);
  if (typeof req === "string") return text(400, req);
  const origin = req.note.slice(0, req.note.indexOf("\n"));
  const keys = ctx.logs.get(origin);
  if (!keys) return text(404, `unknown log origin "${origin}"`);
  let noteText: string;
  try {
    noteText = (await openNote(req.note, keys)).text;
  } catch (err) {
    if (err instanceof NoteError && (err.code === "unknown-key" || err.code === "bad-signature")) return text(403, "no signature on the checkpoint verifies with the log's key");
    return text(400, err instanceof Error ? err.message : "malformed checkpoint");
  }
  let checkpoint: ReturnType<typeof parseCheckpoint>;
  try {
    checkpoint = parseCheckpoint(noteText);
  } catch (err) {
    return text(400, err instanceof Error ? err.message : "malformed checkpoint");
  }
  if (req.oldSize > checkpoint.size) return text(400, `old size ${req.oldSize} is above the checkpoint's size ${checkpoint.size}`);

  const latest = await ctx.store.latest(origin);
  const latestSize = latest?.size ?? 0;
  if (req.oldSize !== latestSize) return sizeConflict(latestSize);
  const root = toBase64(checkpoint.rootHash);
  const refusal = check(req, checkpoint.size, root, latest);
  if (refusal) {
    ctx.onEvidence?.({ origin, problem: refusal.body.trim(), size: checkpoint.size, note: req.note });
    return refusal;
  }
  const next: WitnessState & { note: string } = { size: checkpoint.size, rootHash: root, note: req.note };
  // Compare-and-swap: a concurrent request that advanced the state first wins, and this one is
  // told the new size instead of rolling the state back.
  if (!(await ctx.store.advance(origin, latest, next))) return sizeConflict((await ctx.store.latest(origin))?.size ?? 0);
  const line = await signCosignature(ctx.signer, noteText, Math.floor(ctx.now().getTime() / 1000));
  return { status: 200, contentType: "text/plain; charset=utf-8", body: `${line}\n` };
}

/** The checks after the old size matched the latest: a fork at equal size, then the proof. */
function check(req: Request, size: number, root: string, latest: WitnessState | undefined): WitnessAnswer | undefined {
  if (req.oldSize === 0) return req.proof.length === 0 ? undefined : text(400, "the consistency proof must be empty when the old size is 0");
  if (req.oldSize === size) {
    if (root !== latest!.rootHash) return text(409, `fork: a checkpoint of size ${size} with another root hash was cosigned before`);
    return req.proof.length === 0 ? undefined : text(422, "the consistency proof between equal sizes must be empty");
  }
  const ok = verifyConsistency(req.oldSize, size, req.proof, fromBase64(latest!.rootHash)!, fromBase64(root)!);
  return ok ? undefined : text(422, `the consistency proof from size ${req.oldSize} to ${size} does not verify`);
}
