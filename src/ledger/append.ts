/**
 * Appending to the access ledger. The ledger knows nothing of verifications: it is handed an
 * entry (a JSON object) plus the search columns, and returns its index and leaf hash.
 *
 * Indexes are consecutive from 0 and follow commit order, even with several processes on
 * one database: the single `ledger_head` row is locked by `update … returning` until the
 * transaction commits, so a later index can never commit before an earlier one.
 */
import canonicalize from "canonicalize";
import { eq, sql } from "drizzle-orm";
import { ledgerEntries, ledgerHead } from "../db/schema.ts";
import type { Tx } from "../db/types.ts";
import { utf8 } from "../crypto/encoding.ts";
import { leafHash } from "./merkle.ts";

export interface LedgerEntryInput {
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

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

/**
 * Appends one entry inside the caller's transaction; durable when that transaction commits.
 * @example
 * await db.transaction(async (tx) => appendEntry(tx, { entry, verificationId, ... }));
 */
export async function appendEntry(tx: Tx, input: LedgerEntryInput): Promise<AppendedEntry> {
  const entryJson = canonicalEntry(input.entry);
  const hash = toBase64(leafHash(utf8(entryJson)));
  const [head] = await tx
    .update(ledgerHead)
    .set({ size: sql`${ledgerHead.size} + 1` })
    .where(eq(ledgerHead.id, 1))
    .returning({ size: ledgerHead.size });
  if (!head) throw new Error("ledger_head row is missing (migrations not applied?)");
  const index = head.size - 1;
  await tx.insert(ledgerEntries).values({
    idx: index,
    verificationId: input.verificationId,
    entryJson,
    leafHash: hash,
    subjectRef: input.subjectRef,
    requester: input.requester,
    uid: input.uid ?? null,
    matter: input.matter ?? null,
    caseRef: input.caseRef ?? null,
    decision: input.decision,
    evidenceTypes: input.evidenceTypes,
    recordedAt: input.recordedAt,
  });
  return { index, leafHash: hash };
}
