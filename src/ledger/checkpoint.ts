/**
 * C2SP tlog checkpoints (https://c2sp.org/tlog-checkpoint): the body of the ledger's signed tree
 * head — origin line, decimal tree size, base64 root hash, optional extension lines. Signing and
 * opening the note around it is note.ts's job; this module is only the text format.
 */
import { fail, fromBase64, isValidText, toBase64 } from "./note-codec.ts";

/** A tlog checkpoint: the signed statement "the log `origin` has `size` entries with this root". */
export interface Checkpoint {
  origin: string;
  size: number;
  rootHash: Uint8Array;
  /** Optional extra lines after the root hash; each non-empty. */
  extensions?: string[];
}

/**
 * The checkpoint note text: origin, decimal size, base64 root hash, extension lines, each
 * newline-terminated. Throws RangeError for values that cannot be represented.
 * @example
 * formatCheckpoint({ origin: "huren.example.gov/ledger", size: 8, rootHash }); // "huren…\n8\nXcna…=\n"
 */
export function formatCheckpoint(cp: Checkpoint): string {
  const extensions = cp.extensions ?? [];
  if (cp.origin === "" || !isValidText(cp.origin) || cp.origin.includes("\n")) {
    throw new RangeError("checkpoint origin must be a non-empty single line");
  }
  if (!Number.isSafeInteger(cp.size) || cp.size < 0) throw new RangeError("checkpoint size must be a non-negative safe integer");
  if (!(cp.rootHash instanceof Uint8Array) || cp.rootHash.length !== 32) throw new RangeError("checkpoint root hash must be 32 bytes");
  for (const line of extensions) {
    // An empty line would end the note text early; a newline would forge extra lines.
    if (line === "" || line.includes("\n") || !isValidText(line)) {
      throw new RangeError("checkpoint extension lines must be non-empty single lines");
    }
  }
  return [cp.origin, String(cp.size), toBase64(cp.rootHash), ...extensions].map((l) => `${l}\n`).join("");
}

/**
 * Parses checkpoint note text (e.g. `openNote(…).text`). Throws NoteError `malformed-checkpoint`.
 * Sizes above 2^53 − 1 are rejected rather than silently rounded.
 * @example
 * const { origin, size, rootHash } = parseCheckpoint(opened.text);
 */
export function parseCheckpoint(text: string): Checkpoint & { extensions: string[] } {
  const bad = (why: string): never => fail("malformed-checkpoint", `checkpoint ${why}`);
  if (!text.endsWith("\n")) bad("text must end with a newline");
  const [origin, sizeText, rootText, ...extensions] = text.slice(0, -1).split("\n");
  if (origin === undefined || sizeText === undefined || rootText === undefined) bad("needs origin, size and root hash lines");
  if (origin === "") bad("origin is empty");
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText!)) bad("size is not a decimal number without leading zeros");
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) bad("size is larger than 2^53 - 1");
  const rootHash = fromBase64(rootText!);
  if (rootHash === undefined || rootHash.length !== 32) bad("root hash is not base64 of 32 bytes");
  if (extensions.some((l) => l === "")) bad("has an empty extension line");
  return { origin: origin!, size, rootHash: rootHash!, extensions };
}
