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
import { eq, sql, type SQL } from "drizzle-orm";
import { ledgerEntries, ledgerHead, ledgerNodes } from "../db/schema.ts";
import type { Db, Tx } from "../db/types.ts";
import { rowsOf } from "../db/rows.ts";
import { utf8 } from "../crypto/encoding.ts";
import { appendLeaves, leafHash, type HashReader, type StoredNode } from "./merkle.ts";
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

/** The rows a batch writes once its first index is known; nothing is written yet. */
export interface PreparedAppend {
  appended: AppendedEntry[];
  /** Every stored hash the batch creates (its leaves and the parents it completes). */
  nodes: StoredNode[];
  entriesJson: string;
  nodesJson: string;
}

/**
 * Canonicalises and hashes the entries as indexes `first`, `first + 1`, … and computes the tree
 * nodes they add. `read` must return the stored hashes of the tree of `first` leaves; complete
 * subtrees never change, so any reader of them will do (the database, or a cache of them).
 */
export async function prepareAppend(first: number, inputs: LedgerEntryInput[], read: HashReader): Promise<PreparedAppend> {
  const rows = inputs.map((input, i) => {
    const index = first + i;
    const entryJson = canonicalEntry({ ...input.entry, index });
    const leaf = leafHash(utf8(entryJson));
    return { input, index, entryJson, leaf, leafB64: toBase64(leaf) };
  });
  const nodes = await appendLeaves(first, rows.map((r) => r.leaf), read);
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
  return {
    appended: rows.map((r) => ({ index: r.index, leafHash: r.leafB64 })),
    nodes,
    entriesJson: JSON.stringify(entryRows),
    nodesJson: JSON.stringify(nodes.map((n) => ({ level: n.level, idx: n.index, hash: toBase64(n.hash) }))),
  };
}

const insertEntries = (json: string, guard: SQL) => sql`
    insert into ${ledgerEntries} (idx, verification_id, entry_json, leaf_hash, subject_ref, requester, uid, matter, case_ref, decision, evidence_types, recorded_at)
    select idx, verification_id, entry_json, leaf_hash, subject_ref, requester, uid, matter, case_ref, decision, evidence_types, recorded_at
    from jsonb_to_recordset(${json}::jsonb) as r(idx bigint, verification_id text, entry_json text, leaf_hash text, subject_ref text,
      requester text, uid text, matter text, case_ref text, decision text, evidence_types jsonb, recorded_at timestamptz)
    ${guard}`;
const insertNodes = (json: string, guard: SQL) => sql`
    insert into ${ledgerNodes} (level, idx, hash)
    select level, idx, hash from jsonb_to_recordset(${json}::jsonb) as r(level int, idx bigint, hash text)
    ${guard}`;

/**
 * Appends a batch of entries inside the caller's transaction; durable when it commits.
 * @example
 * const [appended] = await db.transaction((tx) => appendEntries(tx, [input]));
 */
export async function appendEntries(tx: Tx, inputs: LedgerEntryInput[], read: HashReader = nodeReader(tx)): Promise<AppendedEntry[]> {
  return (await appendEntriesLocked(tx, inputs, read))?.appended ?? [];
}

/** appendEntries, also handing back the nodes it wrote (for a writer's cache of the tree's edge). */
export async function appendEntriesLocked(tx: Tx, inputs: LedgerEntryInput[], read: HashReader = nodeReader(tx)): Promise<PreparedAppend | undefined> {
  if (inputs.length === 0) return undefined;
  const [head] = await tx
    .update(ledgerHead)
    .set({ size: sql`${ledgerHead.size} + ${inputs.length}` })
    .where(eq(ledgerHead.id, 1))
    .returning({ size: ledgerHead.size });
  if (!head) throw new Error("ledger_head row is missing (migrations not applied?)");
  const prepared = await prepareAppend(head.size - inputs.length, inputs, read);
  await tx.execute(insertEntries(prepared.entriesJson, sql``));
  await tx.execute(insertNodes(prepared.nodesJson, sql``));
  return prepared;
}

/**
 * The one-statement append, for a writer that knows the ledger's size: advances the head from
 * `prepared`'s first index and writes the entries and nodes in a single statement (its own
 * transaction, one round trip instead of six), but only if the head is still where `prepared`
 * assumed. Returns false, having written nothing, when it is not (another process appended
 * meanwhile; the update waits for that process's commit and then finds the size changed): the
 * caller must then take the locked path, appendEntries.
 */
export async function appendPreparedIfAt(db: Db, expectedSize: number, prepared: PreparedAppend): Promise<boolean> {
  const count = prepared.appended.length;
  const onlyIfMoved = sql`where exists (select 1 from head)`;
  const result = await db.execute(sql`
    with head as (
      update ${ledgerHead} set size = size + ${count} where id = 1 and size = ${expectedSize} returning size
    ), entries as (${insertEntries(prepared.entriesJson, onlyIfMoved)} returning 1
    ), nodes as (${insertNodes(prepared.nodesJson, onlyIfMoved)} returning 1
    )
    select (select count(*) from head)::int as moved, (select count(*) from entries)::int as entries`);
  const [row] = rowsOf<{ moved: number; entries: number }>(result);
  if (!row || row.moved === 0) return false;
  if (row.entries !== count) throw new Error(`ledger append wrote ${row.entries} of ${count} entries`);
  return true;
}

/** One entry; see appendEntries. */
export async function appendEntry(tx: Tx, input: LedgerEntryInput): Promise<AppendedEntry> {
  const [appended] = await appendEntries(tx, [input]);
  return appended!;
}
