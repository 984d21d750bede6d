/**
 * Shared fixtures for test/merkle.test.ts: the golden vectors, an in-memory node store filled
 * through appendLeaves with a reader that counts its round trips, and RFC 9162's recursive
 * PATH/PROOF definitions as an independent reference for the generated proofs.
 */
import { readFileSync } from "node:fs";
import {
  appendLeaves,
  nodeKey,
  rootFromLeaves,
  type Hash,
  type HashReader,
  type NodeId,
  type StoredNode,
} from "../src/ledger/merkle.ts";

export interface Vectors {
  leafData: string[];
  leafHashes: string[];
  rootsBySize: Record<string, string>;
  inclusion: { index: number; size: number; path: string[] }[];
  consistency: { from: number; to: number; proof: string[] }[];
}
export const vectors = JSON.parse(
  readFileSync(new URL("../../shared/testdata/transparency-log-vectors.json", import.meta.url), "utf8"),
) as Vectors;

export const hex = (h: Uint8Array): string => Buffer.from(h).toString("hex");
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
export const flipBit = (h: Hash, bit = 0): Hash => {
  const c = Uint8Array.from(h);
  c[bit >> 3] = c[bit >> 3]! ^ (1 << (bit & 7));
  return c;
};
export const ceilLog2 = (n: number): number => (n <= 1 ? 0 : Math.ceil(Math.log2(n)));

/** In-memory node store filled through appendLeaves, with a reader that counts its calls. */
export class MemoryStore {
  readonly nodes = new Map<string, Hash>();
  readonly leaves: Hash[] = [];
  calls = 0;
  ids = 0;
  readonly read: HashReader = async (ids: NodeId[]) => {
    this.calls++;
    this.ids += ids.length;
    return ids.map((id) => {
      const h = this.nodes.get(nodeKey(id));
      if (!h) throw new Error(`missing node ${nodeKey(id)}`);
      return h;
    });
  };
  async append(batch: Hash[]): Promise<StoredNode[]> {
    const nodes = await appendLeaves(this.leaves.length, batch, this.read);
    for (const n of nodes) {
      if (this.nodes.has(nodeKey(n))) throw new Error(`node ${nodeKey(n)} written twice`);
      this.nodes.set(nodeKey(n), n.hash);
    }
    this.leaves.push(...batch);
    return nodes;
  }
  resetCounts(): void {
    this.calls = 0;
    this.ids = 0;
  }
}

/** RFC 9162 §2.1.3.1 PATH, straight from the recursive definition (independent reference). */
export function refPath(m: number, d: Hash[]): Hash[] {
  if (d.length <= 1) return [];
  const k = 2 ** (ceilLog2(d.length) - 1);
  return m < k
    ? [...refPath(m, d.slice(0, k)), rootFromLeaves(d.slice(k))]
    : [...refPath(m - k, d.slice(k)), rootFromLeaves(d.slice(0, k))];
}

/** RFC 9162 §2.1.4.1 SUBPROOF, straight from the recursive definition. */
export function refSubproof(m: number, d: Hash[], b: boolean): Hash[] {
  if (m === d.length) return b ? [] : [rootFromLeaves(d)];
  const k = 2 ** (ceilLog2(d.length) - 1);
  return m <= k
    ? [...refSubproof(m, d.slice(0, k), b), rootFromLeaves(d.slice(k))]
    : [...refSubproof(m - k, d.slice(k), false), rootFromLeaves(d.slice(0, k))];
}
