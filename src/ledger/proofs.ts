/**
 * Proofs over the stored tree, with the range checks callers get as problems rather than
 * RangeErrors. Hashes are standard base64 (§5).
 */
import type { Db } from "../db/types.ts";
import { HurenError } from "../errors.ts";
import { consistencyProof, inclusionProof } from "./merkle.ts";
import { ledgerSize, nodeReader, toBase64 } from "./store.ts";

const badRange = (detail: string) => new HurenError("bad-range", 422, "Outside the ledger", detail);

/**
 * RFC 9162 §2.1.3 inclusion proof of entry `index` in the tree of `size` entries.
 * @example
 * const { hashes } = await proveInclusion(db, 4711, 4712);
 */
export async function proveInclusion(db: Db, index: number, size: number): Promise<{ hashes: string[] }> {
  const current = await ledgerSize(db);
  if (size > current) throw badRange(`the ledger has ${current} entries; size ${size} does not exist yet`);
  if (index >= size) throw badRange(`index ${index} is not below size ${size}`);
  return { hashes: (await inclusionProof(index, size, nodeReader(db))).map(toBase64) };
}

/**
 * RFC 9162 §2.1.4 consistency proof between the trees of `from` and `to` entries.
 * @example
 * const { hashes } = await proveConsistency(db, 4000, 4712);
 */
export async function proveConsistency(db: Db, from: number, to: number): Promise<{ hashes: string[] }> {
  const current = await ledgerSize(db);
  if (to > current) throw badRange(`the ledger has ${current} entries; size ${to} does not exist yet`);
  if (from > to) throw badRange(`from ${from} is larger than to ${to}`);
  return { hashes: (await consistencyProof(from, to, nodeReader(db))).map(toBase64) };
}
