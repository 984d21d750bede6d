/**
 * In-memory ledgers for the verifier tests: entries hashed exactly as appendEntries does, export
 * lines exactly as /v1/audit/export writes them, checkpoints signed with a fresh note key, and
 * the tamperings an operator with database access could commit, applied to the lines.
 */
import { execFile } from "node:child_process";
import { canonicalEntry, type LedgerEntryInput } from "../src/ledger/append.ts";
import { formatCheckpoint, generateSignerKey, parseSignerKey, signNote, type Checkpoint, type SignerKey } from "../src/ledger/note.ts";
import { CompactRange, leafHash, type Hash } from "../src/ledger/merkle.ts";

export const ORIGIN = "huren.test/ledger";

const b64 = (h: Uint8Array) => Buffer.from(h).toString("base64");

export interface FixtureLedger {
  verifierKey: string;
  signer: SignerKey;
  lines: string[];
  leaves: Hash[];
  /** The checkpoint (parsed) for the first `size` entries. */
  checkpoint(size: number): Checkpoint;
  /** The signed note for the first `size` entries. */
  note(size: number): Promise<string>;
}

/** An entry like a verification's, small but with nested objects and non-ASCII text. */
export function sampleEntry(i: number, variant = ""): Record<string, unknown> {
  return {
    v: 1,
    ...(variant ? { variant } : {}),
    verificationId: `vf_${String(i).padStart(8, "0")}`,
    time: new Date(Date.UTC(2026, 10, 21, 9, 30) + i * 1000).toISOString(),
    requester: i % 3 === 0 ? "nanguan-window-01" : "chaoyang-window-02",
    uid: "staff-7",
    matter: "220100-public-rental-housing",
    case: `NG-2026-${i}`,
    subject: { type: "resident-id", ref: `sr1_${(i * 7919).toString(36)}` },
    decision: i % 5 === 0 ? "denied" : "permitted",
    items: [{ type: "housing.no-property-proof", decision: "permit", basis: "statutory", citation: "《住房保障条例》第十二条", status: "verified" }],
  };
}

/** sampleEntry `i` with its search columns, as the ledger's append takes it; `tag` keeps verification ids unique per test file. */
export const sampleInput = (i: number, tag: string): LedgerEntryInput => ({
  entry: sampleEntry(i),
  verificationId: `vf_${tag}_${i}`,
  subjectRef: `sr1_${i % 7}`,
  requester: "nanguan-window-01",
  uid: "staff-7",
  matter: "220100-public-rental-housing",
  caseRef: `NG-2026-${i}`,
  decision: "permitted",
  evidenceTypes: ["housing.no-property-proof"],
  recordedAt: new Date(Date.UTC(2026, 10, 21) + i * 1000),
});

/** Export line text for entry `index` (the route's own layout). */
export const exportLine = (index: number, leaf: string, entryText: string) => `{"index":${index},"leafHash":${JSON.stringify(leaf)},"entry":${entryText}}`;

/** `variant` makes a different ledger of the same size (a fork); `key` reuses a note key. */
export async function buildLedger(n: number, options: { key?: { signerKey: string; verifierKey: string }; variant?: string } = {}): Promise<FixtureLedger> {
  const keys = options.key ?? (await generateSignerKey(ORIGIN));
  const signer = await parseSignerKey(keys.signerKey);
  const lines: string[] = [];
  const leaves: Hash[] = [];
  const roots: Hash[] = [];
  const range = new CompactRange();
  roots.push(range.root());
  for (let i = 0; i < n; i++) {
    const text = canonicalEntry({ ...sampleEntry(i, options.variant), index: i });
    const leaf = leafHash(new TextEncoder().encode(text));
    leaves.push(leaf);
    lines.push(exportLine(i, b64(leaf), text));
    range.push(leaf);
    roots.push(range.root());
  }
  const checkpoint = (size: number): Checkpoint => ({ origin: ORIGIN, size, rootHash: roots[size]! });
  return {
    verifierKey: keys.verifierKey,
    signer,
    lines,
    leaves,
    checkpoint,
    note: (size) => signNote(formatCheckpoint(checkpoint(size)), signer),
  };
}

type Line = { index: number; leafHash: string; entry: Record<string, unknown> };
const parse = (line: string) => JSON.parse(line) as Line;
const write = (l: Line) => exportLine(l.index, l.leafHash, canonicalEntry(l.entry));

/** The tamperings, applied to a copy of the lines. Each says which index the verifier must name. */
export const tamper = {
  /** One field of entry i changed; its leafHash left as stored. */
  alter(lines: string[], i: number): string[] {
    const out = [...lines];
    const l = parse(out[i]!);
    out[i] = write({ ...l, entry: { ...l.entry, decision: l.entry.decision === "denied" ? "permitted" : "denied" } });
    return out;
  },
  /** Entry i changed and its leaf hash recomputed: self-consistent, only a checkpoint catches it. */
  forge(lines: string[], i: number): string[] {
    const out = [...lines];
    const l = parse(out[i]!);
    const text = canonicalEntry({ ...l.entry, case: "FORGED" });
    out[i] = exportLine(i, b64(leafHash(new TextEncoder().encode(text))), text);
    return out;
  },
  /** Row i deleted. */
  remove(lines: string[], i: number): string[] {
    return lines.filter((_, k) => k !== i);
  },
  /** Rows i and j exchange their entry and leaf hash (the index column stays): as a database swap. */
  swapRows(lines: string[], i: number, j: number): string[] {
    const out = [...lines];
    const a = parse(out[i]!);
    const b = parse(out[j]!);
    out[i] = write({ index: i, leafHash: b.leafHash, entry: b.entry });
    out[j] = write({ index: j, leafHash: a.leafHash, entry: a.entry });
    return out;
  },
  /** Lines i and j exchanged in the file. */
  swapLines(lines: string[], i: number, j: number): string[] {
    const out = [...lines];
    [out[i], out[j]] = [out[j]!, out[i]!];
    return out;
  },
  /** Everything from index k on deleted. */
  truncate(lines: string[], k: number): string[] {
    return lines.slice(0, k);
  },
};

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as an auditor would, `npx tsx src/cli/main.ts …`; `stdin` is piped in when given. */
export function runHuren(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile("npx", ["tsx", "src/cli/main.ts", ...args], { cwd: process.cwd(), timeout: 90_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin);
  });
}
