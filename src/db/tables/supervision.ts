/**
 * The supervision store (§10 电子监察), kept by src/supervision/consumer.ts.
 * Part of the one drizzle schema (src/db/schema.ts re-exports every table).
 */
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { updatedAt } from "./columns.ts";

/** One row: the next ledger index the consumer will fold. Moves in the same transaction as the rollups. */
export const supervisionState = pgTable("supervision_state", {
  id: integer("id").primaryKey(),
  nextIndex: bigint("next_index", { mode: "number" }).notNull(),
  updatedAt: updatedAt(),
});

/**
 * Rollups: `dim` names what is counted and at which grain (`adapter-d`, `adapter-h`, `operator-d`,
 * `matter-d`), `bucket` is the CST day (`2026-11-30`) or hour (`2026-11-30T09`), `key` the
 * department/adapter/type, operator or matter, `figures` the counters and the latency histogram.
 * Text buckets sort as time, so a range of days is a range scan.
 */
export const supervisionRollups = pgTable(
  "supervision_rollups",
  {
    dim: text("dim").notNull(),
    bucket: text("bucket").notNull(),
    key: text("key").notNull(),
    figures: jsonb("figures").notNull().$type<Record<string, unknown>>(),
  },
  (t) => [primaryKey({ columns: [t.dim, t.bucket, t.key] })],
);

/** Rules stored by the admin; a default rule applies while no row has its id. */
export const supervisionRules = pgTable("supervision_rules", {
  id: text("id").primaryKey(),
  rule: jsonb("rule").notNull().$type<Record<string, unknown>>(),
  updatedBy: text("updated_by"),
  updatedAt: updatedAt(),
});

/**
 * Rule counters per rule, counter key and period. The counter key is private: it may be a subject
 * reference or a keyed HMAC of a case number, and never leaves the store.
 */
export const supervisionCounters = pgTable(
  "supervision_counters",
  {
    rule: text("rule").notNull(),
    counterKey: text("counter_key").notNull(),
    period: text("period").notNull(),
    count: integer("count").notNull(),
    evidence: jsonb("evidence").notNull().$type<number[]>(),
  },
  (t) => [primaryKey({ columns: [t.rule, t.counterKey, t.period] })],
);

/** Distinct-count sets (people per operator, windows per person, people per case): private. */
export const supervisionSets = pgTable(
  "supervision_sets",
  {
    rule: text("rule").notNull(),
    counterKey: text("counter_key").notNull(),
    period: text("period").notNull(),
    member: text("member").notNull(),
  },
  (t) => [primaryKey({ columns: [t.rule, t.counterKey, t.period, t.member] })],
);

/** Red and yellow cards; one per rule, counter key and period, whichever process opens it. */
export const supervisionCards = pgTable(
  "supervision_cards",
  {
    id: text("id").primaryKey(),
    rule: text("rule").notNull(),
    counterKey: text("counter_key").notNull(),
    period: text("period").notNull(),
    periodFrom: timestamp("period_from", { withTimezone: true }).notNull(),
    periodTo: timestamp("period_to", { withTimezone: true }).notNull(),
    targetKind: text("target_kind").notNull(),
    /** Public: an operator, window or department id, or for a person an opaque card-local id. */
    targetId: text("target_id").notNull(),
    level: text("level").notNull(),
    count: integer("count").notNull(),
    yellow: integer("yellow").notNull(),
    red: integer("red").notNull(),
    evidence: jsonb("evidence").notNull().$type<number[]>(),
    state: text("state").notNull().default("open"),
    notes: jsonb("notes").notNull().$type<{ by: string; at: string; note: string; action: string }[]>().default([]),
    openedAt: timestamp("opened_at", { withTimezone: true }).notNull(),
    closedAt: timestamp("closed_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("supervision_cards_once").on(t.rule, t.counterKey, t.period),
    index("supervision_cards_state").on(t.state, t.openedAt),
    index("supervision_cards_period").on(t.periodFrom),
  ],
);
