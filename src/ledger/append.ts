/**
 * Appending to the access ledger. The ledger knows nothing of verifications: it is handed
 * entries (JSON objects) plus their search columns, gives each the next index, and returns the
 * index and leaf hash.
 *
 * Indexes are consecutive from 0 and follow commit order, even with several processes on one
 * database: the single `ledger_head` row is locked by `update … returning` until the
 * transaction commits, so a later index can never commit before an earlier one. The tree's
 * new stored hashes are written in the same transaction, so entries and tree never disagree.
 */
import canonicalize from "canonicalize";
import { eq, sql } from "drizzle-orm";
import { ledgerEntries, ledgerHead, ledgerNodes } from "../db/schema.ts";
import type { Tx } from "../db/types.ts";
import { utf8 } from "../crypto/encoding.ts";
import { appendLeaves, leafHash } from "./merkle.ts";
import { nodeReader, toBase64 } from "./store.ts";

export interface LedgerEntryInput {
  /** The entry; the ledger adds `index` (so a reordered or missing entry is named by itself). */
  entry: Record<string, unknown>;
  verificationId: string;
  subjectRef: string;
  requester: string;
  uid: string | undefined;
  matter: string | undefined;
  caseRef: string | undefined;
  decision: string;
  evidenceTypes: string[];
  recordedAt: Date;
}

export interface AppendedEntry {
  index: number;
  /** Standard base64 of SHA-256(0x00 ‖ canonical entry), as in proofs and checkpoints. */
  leafHash: string;
}

/** RFC 8785 canonical JSON of an entry: the exact bytes that are hashed. */
export function canonicalEntry(entry: Record<string, unknown>): string {
  const text = canonicalize(entry);
  if (text === undefined) throw new Error("ledger entry is not serialisable");
  return text;
}

/**
 * Appends a batch of entries inside the caller's transaction; durable when it commits.
 * @example
 * const [appended] = await db.transaction((tx) => appendEntries(tx, [input]));
 */
export async function appendEntries(tx: Tx, inputs: LedgerEntryInput[]): Promise<AppendedEntry[]> {
  if (inputs.length === 0) return [];
  const [head] = await tx
    .update(ledgerHead)
    .set({ size: sql`${ledgerHead.size} + ${inputs.length}` })
    .where(eq(ledgerHead.id, 1))
    .returning({ size: ledgerHead.size });
  if (!head) throw new Error("ledger_head row is missing (migrations not applied?)");
  const first = head.size - inputs.length;

  const rows = inputs.map((input, i) => {
    const index = first + i;
    const entryJson = canonicalEntry({ ...input.entry, index });
    const leaf = leafHash(utf8(entryJson));
    return { input, index, entryJson, leaf, leafB64: toBase64(leaf) };
  });
  const nodes = await appendLeaves(first, rows.map((r) => r.leaf), nodeReader(tx));

  // One JSON parameter per table instead of a bound parameter per column and row: building and
  // binding thousands of parameters was the CPU cost that limited appends (docs/ledger.md).
  const entryRows = rows.map(({ input, index, entryJson, leafB64 }) => ({
    idx: index,
    verification_id: input.verificationId,
    entry_json: entryJson,
    leaf_hash: leafB64,
    subject_ref: input.subjectRef,
    requester: input.requester,
    uid: input.uid ?? null,
    matter: input.matter ?? null,
    case_ref: input.caseRef ?? null,
    decision: input.decision,
    evidence_types: input.evidenceTypes,
    recorded_at: input.recordedAt.toISOString(),
  }));
  await tx.execute(sql`
    insert into ${ledgerEntries} (idx, verification_id, entry_json, leaf_hash, subject_ref, requester, uid, matter, case_ref, decision, evidence_types, recorded_at)
    select idx, verification_id, entry_json, leaf_hash, subject_ref, requester, uid, matter, case_ref, decision, evidence_types, recorded_at
    from jsonb_to_recordset(${JSON.stringify(entryRows)}::jsonb) as r(idx bigint, verification_id text, entry_json text, leaf_hash text, subject_ref text,
      requester text, uid text, matter text, case_ref text, decision text, evidence_types jsonb, recorded_at timestamptz)`);
  const nodeRows = nodes.map((n) => ({ level: n.level, idx: n.index, hash: toBase64(n.hash) }));
  await tx.execute(sql`
    insert into ${ledgerNodes} (level, idx, hash)
    select level, idx, hash from jsonb_to_recordset(${JSON.stringify(nodeRows)}::jsonb) as r(level int, idx bigint, hash text)`);
  return rows.map((r) => ({ index: r.index, leafHash: r.leafB64 }));
}

/** One entry; see appendEntries. */
export async function appendEntry(tx: Tx, input: LedgerEntryInput): Promise<AppendedEntry> {
  const [appended] = await appendEntries(tx, [input]);
  return appended!;
}
