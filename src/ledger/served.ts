/**
 * Which checkpoint `GET /v1/ledger/checkpoint` serves (PROTOCOL §5.2), read-only: with witnesses
 * configured, the newest checkpoint cosigned by at least `quorum` of them — the log's own
 * signature line first, then the cosignatures in the configured witnesses' order; until one
 * reaches the quorum, the newest checkpoint with the cosignatures it has. Without witnesses, the
 * newest checkpoint. Proof bundles (§5.3) pick their checkpoint from the same rule.
 */
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Queryable } from "../db/types.ts";
import { ledgerCheckpoints, ledgerCosignatures } from "../db/schema.ts";

export interface WitnessPolicy {
  /** The witnesses' vkeys (C2SP, signature type 0x04), in the order their lines are served. */
  vkeys: string[];
  /** Cosignatures a checkpoint needs before it replaces the previous served one. */
  quorum: number;
}

export interface ServedCheckpoint {
  size: number;
  /** Standard base64 root hash. */
  rootHash: string;
  /** The signed note with the cosignature lines appended, exactly as served. */
  note: string;
  /** The witnesses (vkeys) whose cosignatures the note carries. */
  cosignedBy: string[];
  /** Whether the cosignatures reach the quorum (always true without witnesses). */
  quorum: boolean;
}

/**
 * @example
 * const cp = await servedCheckpoint(db, { vkeys, quorum: 2 }); // undefined before the first checkpoint
 */
export async function servedCheckpoint(db: Queryable, policy?: WitnessPolicy): Promise<ServedCheckpoint | undefined> {
  const vkeys = policy?.vkeys ?? [];
  let size: number | undefined;
  let quorum = vkeys.length === 0 || (policy?.quorum ?? 0) <= 0;
  if (!quorum) {
    // Groups come off the primary key (size, witness) newest first; LIMIT 1 stops at the first
    // size with enough cosignatures.
    const [row] = await db
      .select({ size: ledgerCosignatures.size })
      .from(ledgerCosignatures)
      .where(inArray(ledgerCosignatures.witness, vkeys))
      .groupBy(ledgerCosignatures.size)
      .having(sql`count(*) >= ${policy!.quorum}`)
      .orderBy(desc(ledgerCosignatures.size))
      .limit(1);
    if (row) {
      size = Number(row.size);
      quorum = true;
    }
  }
  const [cp] =
    size === undefined
      ? await db.select().from(ledgerCheckpoints).orderBy(desc(ledgerCheckpoints.size)).limit(1)
      : await db.select().from(ledgerCheckpoints).where(eq(ledgerCheckpoints.size, size));
  if (!cp) return undefined;
  const lines =
    vkeys.length === 0
      ? []
      : await db
          .select({ witness: ledgerCosignatures.witness, line: ledgerCosignatures.line })
          .from(ledgerCosignatures)
          .where(and(eq(ledgerCosignatures.size, cp.size), inArray(ledgerCosignatures.witness, vkeys)));
  lines.sort((a, b) => vkeys.indexOf(a.witness) - vkeys.indexOf(b.witness));
  return {
    size: cp.size,
    rootHash: cp.rootHash,
    note: cp.note + lines.map((l) => `${l.line}\n`).join(""),
    cosignedBy: lines.map((l) => l.witness),
    quorum,
  };
}

export interface RecentCheckpoint {
  size: number;
  rootHash: string;
  createdAt: Date;
  /** Cosignatures stored for it, by witness vkey, with the time each witness put in. */
  cosignatures: { witness: string; signedAt: Date }[];
}

/**
 * The newest `limit` checkpoints with the witness cosignatures stored for each (the console's
 * ledger page). Cosignatures of witnesses no longer configured are listed too: they were valid.
 * @example const list = await recentCheckpoints(db, 20);
 */
export async function recentCheckpoints(db: Queryable, limit: number): Promise<RecentCheckpoint[]> {
  const cps = await db.select().from(ledgerCheckpoints).orderBy(desc(ledgerCheckpoints.size)).limit(limit);
  if (cps.length === 0) return [];
  const sigs = await db
    .select({ size: ledgerCosignatures.size, witness: ledgerCosignatures.witness, signedAt: ledgerCosignatures.signedAt })
    .from(ledgerCosignatures)
    .where(inArray(ledgerCosignatures.size, cps.map((c) => c.size)));
  return cps.map((c) => ({
    size: c.size,
    rootHash: c.rootHash,
    createdAt: c.createdAt,
    cosignatures: sigs.filter((s) => Number(s.size) === c.size).map((s) => ({ witness: s.witness, signedAt: s.signedAt })),
  }));
}
