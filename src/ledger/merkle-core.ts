/**
 * RFC 9162 §2.1.1 hashing primitives and the storage coordinates shared by the tree builder
 * (merkle.ts) and the proof code (proof.ts). Kept separate so neither imports the other.
 *
 * Storage model: every *complete* (perfect) subtree is stored once under `{ level, index }`:
 * level 0 index i is the leaf hash of entry i; level L index i is the hash of the perfect
 * subtree over leaves [i·2^L, (i+1)·2^L). A stored node never changes once written, so any
 * tree size's root and proofs can be assembled from O(log n) of them.
 *
 * Sizes are JS numbers (safe integers up to 2^53 − 1), so bit arithmetic is done with
 * division rather than `>>`, which would truncate to 32 bits.
 */
import { createHash } from "node:crypto";

/** A 32-byte SHA-256 output. */
export type Hash = Uint8Array;

/** Coordinate of a stored perfect subtree: `level` 0 is a leaf, `index` counts from the left. */
export interface NodeId {
  level: number;
  index: number;
}

/** A node to persist: its coordinate plus its hash. */
export interface StoredNode extends NodeId {
  hash: Hash;
}

/**
 * Reads stored hashes, returning them in the order asked. One call should be one storage round
 * trip (e.g. one SQL `select … where (level, idx) in (…)`); it must throw if any is missing.
 */
export type HashReader = (ids: NodeId[]) => Promise<Hash[]>;

export const HASH_SIZE = 32;

// Domain separation (RFC 9162 §2.1.1): a leaf can never be mistaken for an interior node.
const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_INPUT = new Uint8Array(1 + 2 * HASH_SIZE).fill(0x01, 0, 1); // 0x01 ‖ left ‖ right

// createHash returns a Buffer; hand out plain Uint8Array views so that equality checks in
// callers (and test matchers) never trip over the subclass.
const asHash = (b: Buffer): Hash => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/**
 * Leaf hash: SHA-256(0x00 ‖ data).
 * @example
 * leafHash(new TextEncoder().encode('{"a":1}')); // 32 bytes
 */
export function leafHash(data: Uint8Array): Hash {
  return asHash(createHash("sha256").update(LEAF_PREFIX).update(data).digest());
}

/**
 * Interior node hash: SHA-256(0x01 ‖ left ‖ right).
 * @example
 * const parent = nodeHash(leafHash(a), leafHash(b));
 */
export function nodeHash(left: Hash, right: Hash): Hash {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new RangeError(`nodeHash needs two ${HASH_SIZE}-byte hashes`);
  }
  // One update of a reused 65-byte buffer is measurably cheaper than three updates, and this
  // is the hot path of CompactRange. Safe to share: hashing is synchronous.
  NODE_INPUT.set(left, 1);
  NODE_INPUT.set(right, 1 + HASH_SIZE);
  return asHash(createHash("sha256").update(NODE_INPUT).digest());
}

/**
 * Root of the empty tree: SHA-256 of the empty string. A fresh copy each call, so a caller
 * mutating it cannot corrupt anyone else's value.
 * @example
 * Buffer.from(emptyRoot()).toString("hex"); // "e3b0c442…b855"
 */
export function emptyRoot(): Hash {
  return asHash(createHash("sha256").digest());
}

/**
 * Byte equality of two hashes (not constant-time: tree hashes are public).
 * @example
 * hashEquals(treeRoot, checkpoint.rootHash);
 */
export function hashEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True for a Uint8Array of exactly 32 bytes. */
export const isHash = (h: unknown): h is Hash => h instanceof Uint8Array && h.length === HASH_SIZE;

/** True for a non-negative safe integer (a valid leaf index or tree size). */
export const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** Throws a RangeError unless `value` is a non-negative safe integer. */
export function checkCount(name: string, value: number): void {
  if (!isCount(value)) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${String(value)}`);
  }
}

/** Throws a RangeError unless `hash` is 32 bytes. */
export function checkHash(name: string, hash: Uint8Array): void {
  if (!isHash(hash)) throw new RangeError(`${name} must be a ${HASH_SIZE}-byte hash`);
}

/** The largest power of two strictly less than n (n ≥ 2): the RFC 9162 split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Decomposes leaves [lo, hi) into maximal aligned perfect subtrees, left to right. For the
 * ranges RFC 9162's recursion produces (lo aligned to a power of two ≥ hi − lo), folding these
 * from the right (see foldRight) gives exactly MTH(D[lo:hi]): the first piece is the left child
 * of size k, the rest is the right child, recursively. With lo = 0 these are the tree's "peaks".
 */
export function subtreeNodes(lo: number, hi: number): NodeId[] {
  const out: NodeId[] = [];
  while (lo < hi) {
    let level = 0;
    let size = 1;
    while (lo % (size * 2) === 0 && lo + size * 2 <= hi) {
      level++;
      size *= 2;
    }
    out.push({ level, index: lo / size });
    lo += size;
  }
  return out;
}

/**
 * The stored subtrees whose right fold is the root of a tree of `size` leaves: one per set bit
 * of `size`, highest level first. At most 53 of them, and usually about log2(size) / 2.
 * @example
 * peakNodes(6); // [{ level: 2, index: 0 }, { level: 1, index: 2 }]
 */
export function peakNodes(size: number): NodeId[] {
  checkCount("size", size);
  return subtreeNodes(0, size);
}

/** Folds hashes right to left: h0 ⊕ (h1 ⊕ (… ⊕ hk)). Non-empty input. */
export function foldRight(hashes: Hash[]): Hash {
  let acc = hashes[hashes.length - 1];
  if (acc === undefined) throw new RangeError("foldRight needs at least one hash");
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i]!, acc);
  return acc;
}

/**
 * Calls the reader once (or not at all for no ids) and checks that it kept its contract, so a
 * short or malformed answer fails here rather than as a wrong root later.
 */
export async function readHashes(read: HashReader, ids: NodeId[]): Promise<Hash[]> {
  if (ids.length === 0) return [];
  const hashes = await read(ids);
  if (hashes.length !== ids.length) {
    throw new Error(`hash reader returned ${hashes.length} hashes for ${ids.length} ids`);
  }
  hashes.forEach((h, i) => {
    if (!isHash(h)) throw new Error(`hash reader returned a malformed hash for ${nodeKey(ids[i]!)}`);
  });
  return hashes;
}

/**
 * A compact string key for a node, handy for maps and log messages.
 * @example
 * nodeKey({ level: 3, index: 5 }); // "3/5"
 */
export const nodeKey = (id: NodeId): string => `${id.level}/${id.index}`;
