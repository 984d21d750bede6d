/**
 * The access ledger's RFC 9162 Merkle tree over *stored* subtree hashes, in the manner of Go's
 * golang.org/x/mod/sumdb/tlog: appending writes each leaf hash plus every perfect subtree it
 * completes, and roots and proofs are then assembled from O(log n) stored hashes instead of
 * being recomputed from the leaves. Pure: storage is reached only through a HashReader.
 *
 * This module is the public entry point; it re-exports the primitives (merkle-core.ts) and the
 * proofs (proof.ts) so callers need a single import.
 */
import {
  checkCount,
  checkHash,
  emptyRoot,
  foldRight,
  isHash,
  nodeHash,
  peakNodes,
  readHashes,
  splitPoint,
  type Hash,
  type HashReader,
  type StoredNode,
} from "./merkle-core.ts";

export {
  HASH_SIZE,
  emptyRoot,
  hashEquals,
  leafHash,
  nodeHash,
  nodeKey,
  peakNodes,
  type Hash,
  type HashReader,
  type NodeId,
  type StoredNode,
} from "./merkle-core.ts";
export { consistencyProof, inclusionProof, verifyConsistency, verifyInclusion } from "./proof.ts";

/**
 * Pushes leaf number `index` onto a right-edge stack (levels/hashes, parallel arrays, lowest
 * level last) and merges equal-level neighbours, which are always siblings. Every node it
 * creates is reported, leaf first. Shared by CompactRange and appendLeaves so the two cannot
 * disagree about coordinates.
 */
function pushLeaf(
  levels: number[],
  hashes: Hash[],
  index: number,
  leaf: Hash,
  emit: ((node: StoredNode) => void) | undefined,
): void {
  levels.push(0);
  hashes.push(leaf);
  emit?.({ level: 0, index, hash: leaf });
  const size = index + 1;
  let top = levels.length - 1;
  while (top > 0 && levels[top] === levels[top - 1]) {
    const hash = nodeHash(hashes[top - 1]!, hashes[top]!);
    const level = levels[top]! + 1;
    levels.pop();
    hashes.pop();
    levels[top - 1] = level;
    hashes[top - 1] = hash;
    top--;
    // The new node ends exactly at `size`, which is therefore a multiple of 2^level.
    emit?.({ level, index: size / 2 ** level - 1, hash });
  }
}

/**
 * Hashes to store when appending `leaves` (leaf hashes) to a tree that currently has `n`
 * leaves: each leaf at `{ level: 0, index: n + i }` plus every parent the batch completes, in
 * creation order. Reads, in at most one reader call, only the existing right-edge subtrees that
 * get merged — at most log2(n) of them, and none at all when the batch completes no parent
 * reaching into the old tree (e.g. one leaf appended at an even size).
 * @example
 * const nodes = await appendLeaves(head.size, [leafHash(bytes)], readFromDb);
 * await db.insert(ledgerNodes).values(nodes.map(({ level, index, hash }) => ({ level, idx: index, hash })));
 */
export async function appendLeaves(n: number, leaves: Hash[], read: HashReader): Promise<StoredNode[]> {
  checkCount("n", n);
  leaves.forEach((leaf, i) => checkHash(`leaves[${i}]`, leaf));
  if (leaves.length === 0) return [];
  const end = n + leaves.length;
  checkCount("n + leaves.length", end);
  // A peak of the old tree is merged iff its parent is complete in the new tree. If one peak
  // is merged so are all lower ones (they sit inside that parent), so `needed` is a suffix of
  // the peaks and the unread higher peaks are never touched by pushLeaf.
  const needed = peakNodes(n).filter((p) => (Math.floor(p.index / 2) + 1) * 2 ** (p.level + 1) <= end);
  const hashes = await readHashes(read, needed);
  const levels = needed.map((p) => p.level);
  const out: StoredNode[] = [];
  const emit = (node: StoredNode) => out.push(node);
  leaves.forEach((leaf, i) => pushLeaf(levels, hashes, n + i, leaf, emit));
  return out;
}

/**
 * Root hash of the tree of `size` leaves, from its peaks in one reader call (none for size 0).
 * @example
 * const root = await treeHash(head.size, readFromDb);
 * formatCheckpoint({ origin, size: head.size, rootHash: root });
 */
export async function treeHash(size: number, read: HashReader): Promise<Hash> {
  checkCount("size", size);
  if (size === 0) return emptyRoot();
  return foldRight(await readHashes(read, peakNodes(size)));
}

/**
 * The RFC 9162 §2.1.1 MTH of a list of leaf hashes, straight from the recursive definition.
 * O(n): an independent reference for tests and for small trees, not for the live ledger.
 * @example
 * rootFromLeaves([leafHash(a), leafHash(b)]); // nodeHash(leafHash(a), leafHash(b))
 */
export function rootFromLeaves(leaves: Hash[]): Hash {
  leaves.forEach((leaf, i) => checkHash(`leaves[${i}]`, leaf));
  if (leaves.length === 0) return emptyRoot();
  const mth = (lo: number, hi: number): Hash => {
    if (hi - lo === 1) return leaves[lo]!;
    const k = splitPoint(hi - lo);
    return nodeHash(mth(lo, lo + k), mth(lo + k, hi));
  };
  return mth(0, leaves.length);
}

/**
 * Streaming tree builder in O(log n) memory: push leaf hashes in order and ask for the root at
 * any size. It keeps only the right-edge perfect subtrees ("peaks"); each push costs one leaf
 * slot plus amortised one nodeHash, and root() folds the ≤ log2(n) peaks.
 *
 * For an offline verifier that must say *where* a log stops matching: compare `root()` against
 * each known root (checkpoints) as `size` reaches it — the first failing size s, after the last
 * good size g, bounds the first bad entry to [g, s); and/or pass `onNode` to compare every
 * completed subtree with the stored one at the same coordinate — the first mismatching
 * level-0 node is the exact first bad index. `clone()` / `fromPeaks()` let a caller resume or
 * bisect without re-reading from the start.
 * @example
 * const range = new CompactRange();
 * for (const entry of entries) {
 *   range.push(leafHash(entry), (node) => {
 *     if (node.level === 0 && !hashEquals(node.hash, storedLeaf(node.index))) firstBad ??= node.index;
 *   });
 *   if (range.size === cp.size && !hashEquals(range.root(), cp.rootHash)) reportMismatch(range.size);
 * }
 */
export class CompactRange {
  #size = 0;
  // Parallel arrays, highest level first; levels strictly decrease (one peak per set bit).
  #levels: number[] = [];
  #hashes: Hash[] = [];

  /** Number of leaves pushed so far (the tree size whose root `root()` returns). */
  get size(): number {
    return this.#size;
  }

  /**
   * Resumes from a tree of `size` leaves given its peak hashes in `peakNodes(size)` order
   * (e.g. read from storage), so verification can continue without the earlier leaves.
   * @example
   * const ids = peakNodes(cp.size);
   * const range = CompactRange.fromPeaks(cp.size, await read(ids));
   */
  static fromPeaks(size: number, peaks: Hash[]): CompactRange {
    const ids = peakNodes(size);
    if (peaks.length !== ids.length) {
      throw new RangeError(`a tree of size ${size} has ${ids.length} peaks, got ${peaks.length}`);
    }
    peaks.forEach((h, i) => checkHash(`peaks[${i}]`, h));
    const range = new CompactRange();
    range.#size = size;
    range.#levels = ids.map((id) => id.level);
    range.#hashes = [...peaks];
    return range;
  }

  /**
   * Appends one leaf hash. `onNode`, if given, sees the leaf and each subtree it completes,
   * with storage coordinates, leaf first.
   * @example
   * range.push(leafHash(bytes));
   */
  push(leaf: Hash, onNode?: (node: StoredNode) => void): void {
    if (!isHash(leaf)) throw new RangeError("leaf must be a 32-byte hash");
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new RangeError("tree size would exceed 2^53 - 1");
    pushLeaf(this.#levels, this.#hashes, this.#size, leaf, onNode);
    this.#size++;
  }

  /**
   * Root of the tree of the leaves pushed so far (the empty-tree root before any push).
   * @example
   * hashEquals(range.root(), checkpoint.rootHash);
   */
  root(): Hash {
    return this.#size === 0 ? emptyRoot() : foldRight(this.#hashes);
  }

  /**
   * The current peaks with their coordinates, highest level first — what `fromPeaks` takes back.
   * @example
   * const saved = range.peaks(); // persist, then CompactRange.fromPeaks(range.size, saved.map((p) => p.hash))
   */
  peaks(): StoredNode[] {
    let start = 0;
    return this.#levels.map((level, i) => {
      const width = 2 ** level;
      const node = { level, index: start / width, hash: this.#hashes[i]! };
      start += width;
      return node;
    });
  }

  /**
   * An independent copy, e.g. to try a root at some size and carry on from an earlier state.
   * @example
   * const before = range.clone();
   */
  clone(): CompactRange {
    const copy = new CompactRange();
    copy.#size = this.#size;
    copy.#levels = [...this.#levels];
    copy.#hashes = [...this.#hashes];
    return copy;
  }
}
