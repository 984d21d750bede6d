/**
 * An in-memory transparency log for witness tests: leaves appended as the gateway's stored tree
 * appends them, checkpoints signed with a note key, consistency proofs, and the C2SP
 * add-checkpoint request body.
 */
import { appendLeaves, consistencyProof, leafHash, nodeKey, treeHash, type Hash, type HashReader } from "../src/ledger/merkle.ts";
import { formatCheckpoint, generateSignerKey, signNote } from "../src/ledger/note.ts";

export class MemoryLog {
  size = 0;
  private readonly nodes = new Map<string, Hash>();
  readonly read: HashReader = async (ids) => ids.map((id) => this.nodes.get(nodeKey(id))!);

  constructor(
    readonly origin: string,
    readonly key: { signerKey: string; verifierKey: string },
    /** Distinguishes the leaves of two forks of one log. */
    private readonly variant = "",
  ) {}

  static async create(origin: string, variant = ""): Promise<MemoryLog> {
    return new MemoryLog(origin, await generateSignerKey(origin), variant);
  }

  /** The same origin and key, other leaves: a forked view of this log. */
  fork(variant: string): MemoryLog {
    return new MemoryLog(this.origin, this.key, variant);
  }

  async append(n: number): Promise<this> {
    const leaves = Array.from({ length: n }, (_, i) => leafHash(new TextEncoder().encode(`entry ${this.size + i}${this.variant}`)));
    for (const node of await appendLeaves(this.size, leaves, this.read)) this.nodes.set(nodeKey(node), node.hash);
    this.size += n;
    return this;
  }

  async checkpoint(size = this.size, signerKey = this.key.signerKey): Promise<string> {
    return signNote(formatCheckpoint({ origin: this.origin, size, rootHash: await treeHash(size, this.read) }), signerKey);
  }

  async proof(from: number, to = this.size): Promise<string[]> {
    if (from === 0 || from === to) return [];
    return (await consistencyProof(from, to, this.read)).map((h) => Buffer.from(h).toString("base64"));
  }

  /** `old <from>`, the proof lines, a blank line, the checkpoint of `to`. */
  async addCheckpointBody(from: number, to = this.size, proof?: string[]): Promise<string> {
    const lines = proof ?? (await this.proof(from, to));
    return `old ${from}\n${lines.map((l) => `${l}\n`).join("")}\n${await this.checkpoint(to)}`;
  }
}

/** POSTs a body to `<url>/add-checkpoint`. */
export async function postCheckpoint(url: string, body: string): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(`${url}/add-checkpoint`, { method: "POST", body, headers: { "content-type": "text/plain" } });
  return { status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() };
}
