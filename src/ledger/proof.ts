/**
 * RFC 9162 inclusion and consistency proofs, generated from stored subtree hashes and verified
 * with the RFC's own algorithms.
 *
 * Generation first plans which subtrees [lo, hi) the proof consists of (pure arithmetic), then
 * maps them to stored NodeIds and fetches all of them in ONE reader call, because a reader call
 * is a SQL round trip. Every planned range is a perfect subtree except at most one on the right
 * edge, so a proof needs at most about 2·log2(n) stored hashes.
 *
 * Verification deliberately shares nothing with generation beyond nodeHash: it is the
 * bit-walking algorithm of RFC 9162 §2.1.3.2 / §2.1.4.2, so a bug in one cannot hide in the other.
 */
import {
  checkCount,
  foldRight,
  hashEquals,
  isCount,
  isHash,
  nodeHash,
  emptyRoot,
  readHashes,
  splitPoint,
  subtreeNodes,
  type Hash,
  type HashReader,
  type NodeId,
} from "./merkle-core.ts";

/** A half-open leaf range [lo, hi) whose MTH is one proof element. */
type Range = readonly [lo: number, hi: number];

/** RFC 9162 §2.1.3.1 PATH(m, D[0:n]) as ranges, bottom-up. */
function inclusionRanges(m: number, n: number): Range[] {
  const topDown: Range[] = [];
  let lo = 0;
  let hi = n;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (m < lo + k) {
      // PATH(m, D[lo:lo+k]) : MTH(D[lo+k:hi])
      topDown.push([lo + k, hi]);
      hi = lo + k;
    } else {
      // PATH(m-k, D[lo+k:hi]) : MTH(D[lo:lo+k])
      topDown.push([lo, lo + k]);
      lo += k;
    }
  }
  // The recursion appends each sibling after the deeper path, so the output is bottom-up.
  return topDown.reverse();
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) as ranges, 0 < m < n. */
function consistencyRanges(m: number, n: number): Range[] {
  const topDown: Range[] = [];
  let lo = 0;
  let hi = n;
  let b = true; // true while D[lo:hi]'s old part is the whole old tree (its root is known)
  while (m !== hi) {
    const k = splitPoint(hi - lo);
    if (m <= lo + k) {
      // SUBPROOF(m, D[lo:lo+k], b) : MTH(D[lo+k:hi])
      topDown.push([lo + k, hi]);
      hi = lo + k;
    } else {
      // SUBPROOF(m-k, D[lo+k:hi], false) : MTH(D[lo:lo+k])
      topDown.push([lo, lo + k]);
      lo += k;
      b = false;
    }
  }
  // SUBPROOF(m, D[m], false) = {MTH(D[m])}; with b true the verifier already has that root.
  if (!b) topDown.push([lo, hi]);
  return topDown.reverse();
}

/** Hashes each range from stored subtrees, fetching every needed node in a single call. */
async function hashRanges(ranges: Range[], read: HashReader): Promise<Hash[]> {
  const parts = ranges.map(([lo, hi]) => subtreeNodes(lo, hi));
  const ids: NodeId[] = parts.flat();
  const hashes = await readHashes(read, ids);
  let at = 0;
  return parts.map((p) => {
    const slice = hashes.slice(at, at + p.length);
    at += p.length;
    return foldRight(slice);
  });
}

/**
 * RFC 9162 §2.1.3.1 inclusion proof (audit path, bottom-up) for leaf `index` in the tree of
 * `size` leaves, read from stored hashes in one batched reader call (none for size 1).
 * Throws RangeError unless 0 ≤ index < size.
 * @example
 * const path = await inclusionProof(5, 8, reader);
 * verifyInclusion(leaf5, 5, 8, path, root8); // true
 */
export async function inclusionProof(index: number, size: number, read: HashReader): Promise<Hash[]> {
  checkCount("index", index);
  checkCount("size", size);
  if (index >= size) throw new RangeError(`index ${index} is not below tree size ${size}`);
  return hashRanges(inclusionRanges(index, size), read);
}

/**
 * RFC 9162 §2.1.4.1 consistency proof (bottom-up) that the tree of `m` leaves is a prefix of the
 * tree of `n`, read from stored hashes in one batched reader call. Empty when m = n or m = 0
 * (the empty tree is a prefix of every tree). Throws RangeError unless 0 ≤ m ≤ n.
 * @example
 * const proof = await consistencyProof(6, 8, reader);
 * verifyConsistency(6, 8, proof, root6, root8); // true
 */
export async function consistencyProof(m: number, n: number, read: HashReader): Promise<Hash[]> {
  checkCount("m", m);
  checkCount("n", n);
  if (m > n) throw new RangeError(`old size ${m} is larger than new size ${n}`);
  if (m === 0 || m === n) return [];
  return hashRanges(consistencyRanges(m, n), read);
}

const isOdd = (x: number): boolean => x % 2 === 1;
const half = (x: number): number => Math.floor(x / 2);

/**
 * RFC 9162 §2.1.3.2: does `proof` show that `leaf` (a leaf hash) is entry `index` of the tree of
 * `size` leaves with root `root`? Never throws: anything malformed (index ≥ size, non-integers,
 * hashes that are not 32 bytes) is simply not a valid proof.
 * @example
 * if (!verifyInclusion(leafHash(entryBytes), receipt.index, cp.size, receipt.path, cp.rootHash)) reject();
 */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: Hash[], root: Hash): boolean {
  if (!isCount(index) || !isCount(size) || index >= size) return false;
  if (!isHash(leaf) || !isHash(root) || !proof.every(isHash)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false; // more proof than tree
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      // On the right edge a node without a sibling is promoted unchanged: skip those levels.
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && hashEquals(r, root);
}

/**
 * RFC 9162 §2.1.4.2: does `proof` show that the tree of `m` leaves with root `oldRoot` is a prefix
 * of the tree of `n` leaves with root `newRoot`? For m = n the proof must be empty and the roots
 * equal; for m = 0 the proof must be empty and `oldRoot` must be the empty-tree root. Never throws.
 * @example
 * if (!verifyConsistency(prev.size, cp.size, proof, prev.rootHash, cp.rootHash)) alarm("fork");
 */
export function verifyConsistency(m: number, n: number, proof: Hash[], oldRoot: Hash, newRoot: Hash): boolean {
  if (!isCount(m) || !isCount(n) || m > n) return false;
  if (!isHash(oldRoot) || !isHash(newRoot) || !proof.every(isHash)) return false;
  if (m === n) return proof.length === 0 && hashEquals(oldRoot, newRoot);
  if (m === 0) return proof.length === 0 && hashEquals(oldRoot, emptyRoot());
  if (proof.length === 0) return false;
  // A power-of-two old tree is a stored subtree of the new one, so PROOF omits its root.
  const path = isPowerOfTwo(m) ? [oldRoot, ...proof] : proof;
  let fn = m - 1;
  let sn = n - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && hashEquals(fr, oldRoot) && hashEquals(sr, newRoot);
}

function isPowerOfTwo(x: number): boolean {
  if (x < 1) return false;
  while (x % 2 === 0) x /= 2;
  return x === 1;
}
