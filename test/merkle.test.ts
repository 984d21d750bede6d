/**
 * RFC 9162 tree, proofs and CompactRange: golden vectors (transparency-dev's reference 8-leaf
 * tree), an independent recursive reference for PATH/PROOF, and fast-check properties.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CompactRange,
  appendLeaves,
  consistencyProof,
  emptyRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  nodeKey,
  peakNodes,
  rootFromLeaves,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type StoredNode,
} from "../src/ledger/merkle.ts";
import { MemoryStore, ceilLog2, flipBit, hex, refPath, refSubproof, unhex, vectors } from "./merkle-fixtures.ts";

const goldenLeaves = vectors.leafData.map((d) => leafHash(unhex(d)));
const golden = new MemoryStore();
await golden.append(goldenLeaves);

// A bigger random tree for the properties; every prefix size n uses only nodes inside [0, n).
const MAX = 300;
const big = new MemoryStore();
const bigLeaves = Array.from({ length: MAX }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)));
for (let i = 0; i < MAX; ) {
  const k = 1 + ((i * 7) % 17); // uneven batches exercise the batch append
  await big.append(bigLeaves.slice(i, i + k));
  i += k;
}
const bigRoots = Array.from({ length: MAX + 1 }, (_, n) => rootFromLeaves(bigLeaves.slice(0, n)));

describe("hashing", () => {
  it.each(vectors.leafData.map((d, i) => [i, d, vectors.leafHashes[i]!] as const))(
    "leaf %i hashes to the golden value",
    (_i, data, expected) => expect(hex(leafHash(unhex(data)))).toBe(expected),
  );

  it("empty root is SHA-256 of the empty string", () => {
    expect(hex(emptyRoot())).toBe(vectors.rootsBySize["0"]);
  });

  it("nodeHash is 0x01-prefixed and rejects non-32-byte inputs", () => {
    const [a, b] = [goldenLeaves[0]!, goldenLeaves[1]!];
    expect(hex(nodeHash(a, b))).toBe(vectors.rootsBySize["2"]);
    expect(() => nodeHash(a, new Uint8Array(31))).toThrow(RangeError);
  });
});

describe("roots", () => {
  it.each(Object.entries(vectors.rootsBySize))("size %s matches from leaves, storage and CompactRange", async (s, root) => {
    const size = Number(s);
    expect(hex(rootFromLeaves(goldenLeaves.slice(0, size)))).toBe(root);
    expect(hex(await treeHash(size, golden.read))).toBe(root);
    const range = new CompactRange();
    goldenLeaves.slice(0, size).forEach((l) => range.push(l));
    expect(hex(range.root())).toBe(root);
  });

  it("treeHash reads only the peaks, in one call", async () => {
    for (let n = 0; n <= MAX; n++) {
      big.resetCounts();
      expect(await treeHash(n, big.read)).toEqual(bigRoots[n]);
      expect(big.calls).toBe(n === 0 ? 0 : 1);
      expect(big.ids).toBe(peakNodes(n).length);
      expect(big.ids).toBeLessThanOrEqual(ceilLog2(n + 1));
    }
  });
});

describe("golden proofs", () => {
  it.each(vectors.inclusion)("inclusion of $index in $size", async ({ index, size, path }) => {
    const proof = await inclusionProof(index, size, golden.read);
    expect(proof.map(hex)).toEqual(path);
    expect(verifyInclusion(goldenLeaves[index]!, index, size, proof, unhex(vectors.rootsBySize[size]!))).toBe(true);
  });

  it.each(vectors.consistency)("consistency $from → $to", async ({ from, to, proof: expected }) => {
    const proof = await consistencyProof(from, to, golden.read);
    expect(proof.map(hex)).toEqual(expected);
    const [oldRoot, newRoot] = [unhex(vectors.rootsBySize[from]!), unhex(vectors.rootsBySize[to]!)];
    expect(verifyConsistency(from, to, proof, oldRoot, newRoot)).toBe(true);
  });
});

describe("appendLeaves", () => {
  it("stores exactly every complete subtree, once, with the right hash", () => {
    let expected = 0;
    for (let level = 0; 2 ** level <= MAX; level++) {
      const width = 2 ** level;
      for (let i = 0; (i + 1) * width <= MAX; i++) {
        expected++;
        expect(big.nodes.get(`${level}/${i}`)).toEqual(rootFromLeaves(bigLeaves.slice(i * width, (i + 1) * width)));
      }
    }
    expect(big.nodes.size).toBe(expected);
  });

  it("batch appends equal one-at-a-time appends and CompactRange's reported nodes", async () => {
    const single = new MemoryStore();
    for (const l of bigLeaves.slice(0, 100)) await single.append([l]);
    const range = new CompactRange();
    const seen: StoredNode[] = [];
    bigLeaves.slice(0, 100).forEach((l) => range.push(l, (n) => seen.push(n)));
    const whole = new MemoryStore();
    await whole.append(bigLeaves.slice(0, 100));
    expect([...single.nodes.entries()].sort()).toEqual([...whole.nodes.entries()].sort());
    expect(new Map(seen.map((n) => [nodeKey(n), n.hash]))).toEqual(whole.nodes);
  });

  it("reads at most the old peaks in at most one call, and none when nothing old is merged", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 250 }), fc.integer({ min: 1, max: 50 }), async (n, k) => {
        const store = new MemoryStore();
        await store.append(bigLeaves.slice(0, n));
        store.resetCounts();
        await store.append(bigLeaves.slice(n, n + k));
        expect(store.calls).toBeLessThanOrEqual(1);
        expect(store.ids).toBeLessThanOrEqual(peakNodes(n).length);
        expect(await treeHash(n + k, store.read)).toEqual(bigRoots[n + k]);
      }),
      { numRuns: 60 },
    );
    const store = new MemoryStore();
    await store.append(bigLeaves.slice(0, 6));
    store.resetCounts();
    await store.append([bigLeaves[6]!]); // leaf 6 completes no parent
    expect(store.calls).toBe(0);
  });

  it("validates its arguments", async () => {
    await expect(appendLeaves(-1, [goldenLeaves[0]!], golden.read)).rejects.toThrow(RangeError);
    await expect(appendLeaves(0, [new Uint8Array(3)], golden.read)).rejects.toThrow(RangeError);
    await expect(appendLeaves(2 ** 53 - 1, [goldenLeaves[0]!], golden.read)).rejects.toThrow(RangeError);
    expect(await appendLeaves(5, [], golden.read)).toEqual([]);
  });
});

describe("proof properties (sizes up to 300)", () => {
  const sizeAndIndex = fc.integer({ min: 1, max: MAX }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1)));
  const oldAndNew = fc.integer({ min: 0, max: MAX }).chain((n) => fc.tuple(fc.nat(n), fc.constant(n)));

  it("inclusion proofs equal the RFC reference, verify, and use one O(log n) read", async () => {
    await fc.assert(
      fc.asyncProperty(sizeAndIndex, async ([n, i]) => {
        big.resetCounts();
        const proof = await inclusionProof(i, n, big.read);
        expect(big.calls).toBe(n === 1 ? 0 : 1);
        expect(big.ids).toBeLessThanOrEqual(2 * ceilLog2(n));
        expect(proof).toEqual(refPath(i, bigLeaves.slice(0, n)));
        expect(verifyInclusion(bigLeaves[i]!, i, n, proof, bigRoots[n]!)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it("tampered inclusion proofs, leaves, roots and indexes fail", async () => {
    await fc.assert(
      fc.asyncProperty(sizeAndIndex, fc.nat(), fc.nat(255), async ([n, i], pick, bit) => {
        const proof = await inclusionProof(i, n, big.read);
        const [leaf, root] = [bigLeaves[i]!, bigRoots[n]!];
        expect(verifyInclusion(flipBit(leaf, bit), i, n, proof, root)).toBe(false);
        expect(verifyInclusion(leaf, i, n, proof, flipBit(root, bit))).toBe(false);
        expect(verifyInclusion(leaf, i, n, [...proof, leaf], root)).toBe(false);
        if (proof.length > 0) {
          const j = pick % proof.length;
          expect(verifyInclusion(leaf, i, n, proof.with(j, flipBit(proof[j]!, bit)), root)).toBe(false);
          expect(verifyInclusion(leaf, i, n, proof.slice(0, -1), root)).toBe(false);
          const other = (i + 1 + (pick % (n - 1))) % n; // any index but i
          expect(verifyInclusion(leaf, other, n, proof, root)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("consistency proofs equal the RFC reference, verify, and use one O(log n) read", async () => {
    await fc.assert(
      fc.asyncProperty(oldAndNew, async ([m, n]) => {
        big.resetCounts();
        const proof = await consistencyProof(m, n, big.read);
        expect(big.calls).toBeLessThanOrEqual(1);
        expect(big.ids).toBeLessThanOrEqual(2 * ceilLog2(n) + 1);
        expect(proof).toEqual(m === 0 ? [] : refSubproof(m, bigLeaves.slice(0, n), true));
        expect(verifyConsistency(m, n, proof, bigRoots[m]!, bigRoots[n]!)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it("tampered consistency proofs and roots fail", async () => {
    await fc.assert(
      fc.asyncProperty(oldAndNew, fc.nat(), fc.nat(255), async ([m, n], pick, bit) => {
        const proof = await consistencyProof(m, n, big.read);
        const [oldRoot, newRoot] = [bigRoots[m]!, bigRoots[n]!];
        expect(verifyConsistency(m, n, proof, flipBit(oldRoot, bit), newRoot)).toBe(false);
        if (m > 0) expect(verifyConsistency(m, n, proof, oldRoot, flipBit(newRoot, bit))).toBe(false);
        expect(verifyConsistency(m, n, [...proof, oldRoot], oldRoot, newRoot)).toBe(false);
        if (proof.length > 0) {
          const j = pick % proof.length;
          expect(verifyConsistency(m, n, proof.with(j, flipBit(proof[j]!, bit)), oldRoot, newRoot)).toBe(false);
          expect(verifyConsistency(m, n, proof.slice(0, -1), oldRoot, newRoot)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("argument validation", () => {
  it.each([
    ["negative index", () => inclusionProof(-1, 4, golden.read)],
    ["index = size", () => inclusionProof(4, 4, golden.read)],
    ["fractional index", () => inclusionProof(1.5, 4, golden.read)],
    ["NaN size", () => inclusionProof(0, Number.NaN, golden.read)],
    ["unsafe size", () => inclusionProof(0, 2 ** 53, golden.read)],
    ["m > n", () => consistencyProof(5, 4, golden.read)],
    ["negative m", () => consistencyProof(-1, 4, golden.read)],
    ["negative tree size", () => treeHash(-1, golden.read)],
  ])("%s is a RangeError", async (_name, call) => {
    await expect(call()).rejects.toThrow(RangeError);
  });

  it("verifiers reject impossible coordinates and malformed hashes instead of throwing", () => {
    const [leaf, root] = [goldenLeaves[0]!, unhex(vectors.rootsBySize["1"]!)];
    expect(verifyInclusion(leaf, 0, 1, [], root)).toBe(true);
    expect(verifyInclusion(leaf, 1, 1, [], root)).toBe(false);
    expect(verifyInclusion(leaf, -1, 1, [], root)).toBe(false);
    expect(verifyInclusion(leaf, 0, 1, [new Uint8Array(5)], root)).toBe(false);
    expect(verifyInclusion(leaf.subarray(1), 0, 1, [], root)).toBe(false);
    expect(verifyConsistency(2, 1, [], root, root)).toBe(false);
    expect(verifyConsistency(1, 1, [], root, root)).toBe(true);
    expect(verifyConsistency(1, 1, [root], root, root)).toBe(false);
    expect(verifyConsistency(0, 1, [], emptyRoot(), root)).toBe(true);
    expect(verifyConsistency(0, 1, [], root, root)).toBe(false);
    expect(verifyConsistency(1, 2, [], root, root)).toBe(false);
  });

  it("a reader that breaks its contract is reported", async () => {
    await expect(inclusionProof(0, 8, async () => [])).rejects.toThrow(/returned 0 hashes/);
    await expect(treeHash(3, async (ids) => ids.map(() => new Uint8Array(1)))).rejects.toThrow(/malformed/);
    await expect(treeHash(300, golden.read)).rejects.toThrow(/missing node/);
  });
});

describe("CompactRange", () => {
  it("root equals rootFromLeaves for every size 0..300 and keeps one peak per set bit", () => {
    const range = new CompactRange();
    for (let n = 0; n <= MAX; n++) {
      if (n > 0) range.push(bigLeaves[n - 1]!);
      expect(range.size).toBe(n);
      expect(range.root()).toEqual(bigRoots[n]);
      expect(range.peaks().map(({ level, index }) => ({ level, index }))).toEqual(peakNodes(n));
    }
  });

  it("resumes from stored peaks and clones independently", async () => {
    for (const n of [0, 1, 7, 64, 123, 255]) {
      const ids = peakNodes(n);
      const resumed = CompactRange.fromPeaks(n, ids.length ? await big.read(ids) : []);
      const copy = resumed.clone();
      bigLeaves.slice(n).forEach((l) => resumed.push(l));
      expect(resumed.root()).toEqual(bigRoots[MAX]);
      expect(copy.size).toBe(n);
      expect(copy.root()).toEqual(bigRoots[n]);
    }
    expect(() => CompactRange.fromPeaks(3, [goldenLeaves[0]!])).toThrow(RangeError);
  });

  it("pinpoints the first bad entry via the reported nodes", () => {
    const tampered = [...bigLeaves];
    tampered[137] = flipBit(tampered[137]!);
    const range = new CompactRange();
    let firstBad: number | undefined;
    tampered.forEach((l) =>
      range.push(l, (node) => {
        if (firstBad === undefined && !big.nodes.get(nodeKey(node))!.every((b, i) => b === node.hash[i])) {
          firstBad = node.index * 2 ** node.level;
        }
      }),
    );
    expect(firstBad).toBe(137);
    expect(range.root()).not.toEqual(bigRoots[MAX]);
  });
});
