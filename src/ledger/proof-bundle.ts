/**
 * §5.3 offline proofs: C2SP tlog-proof@v1 (https://c2sp.org/tlog-proof), `text/x.tlog-proof`.
 *
 *   c2sp.org/tlog-proof@v1
 *   index 4711
 *   <base64 hash>            (the RFC 9162 inclusion proof, leaf's sibling first)
 *   …
 *   <blank line>
 *   <the checkpoint note verbatim, with the log's signature and witness cosignatures>
 *
 * Together with the receipt (which carries the leaf hash) it proves, with no network, that the
 * access was logged in a tree the witnesses saw. Formatting and parsing are pure.
 */
import { fromBase64, toBase64 } from "./note-codec.ts";
import type { Hash } from "./merkle-core.ts";

export const PROOF_HEADER = "c2sp.org/tlog-proof@v1";
export const PROOF_MEDIA_TYPE = "text/x.tlog-proof";

export interface ProofBundle {
  index: number;
  /** Inclusion proof, bottom-up. */
  hashes: Hash[];
  /** The signed checkpoint note, verbatim (ends in "\n"). */
  checkpoint: string;
  /** Opaque, unauthenticated extra data (the `extra` line), if any. */
  extra?: Uint8Array;
}

/**
 * @example
 * const text = formatProofBundle({ index: 4711, hashes, checkpoint: served.note });
 */
export function formatProofBundle(bundle: ProofBundle): string {
  const extra = bundle.extra ? [`extra ${toBase64(bundle.extra)}`] : [];
  return [PROOF_HEADER, ...extra, `index ${bundle.index}`, ...bundle.hashes.map(toBase64), "", bundle.checkpoint].join("\n");
}

/**
 * Parses a tlog-proof@v1; throws RangeError naming what is wrong.
 * @example
 * const { index, hashes, checkpoint } = parseProofBundle(await readFile("receipt.tlog-proof", "utf8"));
 */
export function parseProofBundle(text: string): ProofBundle {
  const lines = text.split("\n");
  let at = 0;
  const next = () => lines[at++];
  if (next() !== PROOF_HEADER) throw new RangeError(`the first line is not ${PROOF_HEADER}`);
  let extra: Uint8Array | undefined;
  let line = next();
  if (line?.startsWith("extra ")) {
    extra = fromBase64(line.slice("extra ".length));
    if (!extra) throw new RangeError("the extra line is not base64");
    line = next();
  }
  const index = line?.startsWith("index ") ? line.slice("index ".length) : undefined;
  if (index === undefined || !/^(0|[1-9][0-9]*)$/.test(index) || !Number.isSafeInteger(Number(index))) {
    throw new RangeError("there is no `index N` line (a decimal without leading zeros)");
  }
  const hashes: Hash[] = [];
  for (line = next(); line !== undefined && line !== ""; line = next()) {
    const hash = fromBase64(line);
    if (hash?.length !== 32) throw new RangeError(`proof line ${at} is not a base64 SHA-256 hash`);
    hashes.push(hash);
  }
  if (line === undefined) throw new RangeError("there is no blank line before the checkpoint");
  const checkpoint = lines.slice(at).join("\n");
  if (checkpoint === "") throw new RangeError("the checkpoint is missing");
  return { index: Number(index), hashes, checkpoint, ...(extra ? { extra } : {}) };
}
