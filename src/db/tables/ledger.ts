/**
 * The access ledger: its head, entries, stored tree, checkpoints, the checkpoint lease and witness cosignatures (PROTOCOL §5).
 * Part of the one drizzle schema (src/db/schema.ts re-exports every table).
 */
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt } from "./columns.ts";

/**
 * One row; `size` is the number of ledger entries. Appenders lock it (`update … returning`),
 * so indexes are consecutive and in commit order even with several gateway processes.
 */
export const ledgerHead = pgTable("ledger_head", {
  id: integer("id").primaryKey(),
  size: bigint("size", { mode: "number" }).notNull(),
});

/**
 * The access ledger. `entry_json` is the RFC 8785 canonical text whose leaf hash is
 * `leaf_hash`; it is stored as text (not jsonb) so the exact hashed bytes survive.
 * The other columns are copies of entry fields, indexed for the auditor's search.
 */
export const ledgerEntries = pgTable(
  "ledger_entries",
  {
    idx: bigint("idx", { mode: "number" }).primaryKey(),
    verificationId: text("verification_id").notNull(),
    entryJson: text("entry_json").notNull(),
    leafHash: text("leaf_hash").notNull(),
    subjectRef: text("subject_ref").notNull(),
    requester: text("requester").notNull(),
    uid: text("uid"),
    matter: text("matter"),
    caseRef: text("case_ref"),
    decision: text("decision").notNull(),
    evidenceTypes: jsonb("evidence_types").notNull().$type<string[]>(),
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    uniqueIndex("ledger_entries_verification").on(t.verificationId),
    index("ledger_entries_subject").on(t.subjectRef, t.idx),
    index("ledger_entries_requester").on(t.requester, t.idx),
    index("ledger_entries_recorded").on(t.recordedAt),
  ],
);

/**
 * Stored Merkle tree hashes: (level, index) is the complete subtree of 2^level leaves starting
 * at leaf index·2^level. Written in the same transaction as the entries they cover, so any
 * inclusion or consistency proof needs O(log n) reads.
 */
export const ledgerNodes = pgTable(
  "ledger_nodes",
  {
    level: integer("level").notNull(),
    idx: bigint("idx", { mode: "number" }).notNull(),
    hash: text("hash").notNull(),
  },
  (t) => [primaryKey({ columns: [t.level, t.idx] })],
);

/** Signed checkpoints (C2SP tlog-checkpoint as a signed note), one per published tree size. */
export const ledgerCheckpoints = pgTable("ledger_checkpoints", {
  size: bigint("size", { mode: "number" }).primaryKey(),
  rootHash: text("root_hash").notNull(),
  note: text("note").notNull(),
  createdAt: createdAt(),
});


/**
 * The lease that lets one gateway process at a time sign checkpoints and talk to witnesses:
 * one row; a process takes it when it holds it already or it has expired.
 */
export const ledgerCheckpointer = pgTable("ledger_checkpointer", {
  id: integer("id").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});

/**
 * Verified C2SP cosignature/v1 lines, one per checkpoint and witness key (`witness` is the
 * witness's vkey). Append-only like the checkpoints they belong to.
 */
export const ledgerCosignatures = pgTable(
  "ledger_cosignatures",
  {
    // No foreign key to ledger_checkpoints: it would make TRUNCATE there fail on the key
    // instead of on the append-only trigger, and rows are only ever written for stored ones.
    size: bigint("size", { mode: "number" }).notNull(),
    witness: text("witness").notNull(),
    /** The note signature line, `— <name> <base64>`, without its newline. */
    line: text("line").notNull(),
    /** The time the witness put in the cosignature. */
    signedAt: timestamp("signed_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.size, t.witness] })],
);
