/**
 * Reading the stored ledger: entries, the tree's stored hashes (as a HashReader for merkle.ts),
 * the current size. Hashes are standard base64 in the database, as in proofs and checkpoints.
 */
import { asc, and, eq, gte, lt, sql } from "drizzle-orm";
import { ledgerEntries, ledgerHead, ledgerNodes } from "../db/schema.ts";
import type { Queryable } from "../db/types.ts";
import type { Hash, HashReader, NodeId } from "./merkle.ts";

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));

/** Stored hashes by coordinate, in one query per call. Throws if one is missing (a gap is tampering). */
export function nodeReader(q: Queryable): HashReader {
  return async (ids: NodeId[]): Promise<Hash[]> => {
    if (ids.length === 0) return [];
    const tuples = sql.join(
      ids.map((id) => sql`(${id.level}::int, ${id.index}::bigint)`),
      sql`, `,
    );
    const rows = await q.select().from(ledgerNodes).where(sql`(${ledgerNodes.level}, ${ledgerNodes.idx}) in (${tuples})`);
    const byKey = new Map(rows.map((r) => [`${r.level}/${r.idx}`, r.hash]));
    return ids.map((id) => {
      const hash = byKey.get(`${id.level}/${id.index}`);
      if (hash === undefined) throw new Error(`ledger node ${id.level}/${id.index} is missing`);
      return fromBase64(hash);
    });
  };
}

/** Number of committed entries. */
export async function ledgerSize(q: Queryable): Promise<number> {
  const [head] = await q.select({ size: ledgerHead.size }).from(ledgerHead).where(eq(ledgerHead.id, 1));
  return head?.size ?? 0;
}

export interface StoredEntry {
  index: number;
  entry: Record<string, unknown>;
  /** Standard base64 of the leaf hash. */
  leafHash: string;
}

const toStored = (r: { idx: number; entryJson: string; leafHash: string }): StoredEntry => ({
  index: r.idx,
  entry: JSON.parse(r.entryJson) as Record<string, unknown>,
  leafHash: r.leafHash,
});

export async function getEntry(q: Queryable, index: number): Promise<(StoredEntry & { requester: string }) | undefined> {
  const [row] = await q.select().from(ledgerEntries).where(eq(ledgerEntries.idx, index));
  return row ? { ...toStored(row), requester: row.requester } : undefined;
}

/** Entries with from ≤ index < to, oldest first, at most `limit`. */
export async function entriesByIndex(q: Queryable, from: number, to: number, limit: number): Promise<StoredEntry[]> {
  const rows = await q
    .select({ idx: ledgerEntries.idx, entryJson: ledgerEntries.entryJson, leafHash: ledgerEntries.leafHash })
    .from(ledgerEntries)
    .where(and(gte(ledgerEntries.idx, from), lt(ledgerEntries.idx, to)))
    .orderBy(asc(ledgerEntries.idx))
    .limit(limit);
  return rows.map(toStored);
}

/**
 * Entries with from ≤ index < to as stored: the exact JSON text the leaf hash is over
 * (SHA-256(0x00 ‖ text)), so a verifier can hash it itself instead of trusting `leafHash`.
 */
export async function rawEntriesByIndex(q: Queryable, from: number, to: number, limit: number): Promise<{ index: number; entryJson: string }[]> {
  const rows = await q
    .select({ idx: ledgerEntries.idx, entryJson: ledgerEntries.entryJson })
    .from(ledgerEntries)
    .where(and(gte(ledgerEntries.idx, from), lt(ledgerEntries.idx, to)))
    .orderBy(asc(ledgerEntries.idx))
    .limit(limit);
  return rows.map((r) => ({ index: r.idx, entryJson: r.entryJson }));
}
