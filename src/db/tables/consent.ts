/**
 * Consents and their uses, policy quotas and rate-limit counters.
 * Part of the one drizzle schema (src/db/schema.ts re-exports every table).
 */
import { bigint, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { createdAt } from "./columns.ts";

/**
 * Registered consents (§6). The subject is a keyed reference; the token itself (which names the
 * person) is kept only sealed, and its hash proves which token was presented.
 */
export const consents = pgTable(
  "consents",
  {
    id: text("id").primaryKey(),
    issuer: text("issuer").notNull(),
    subjectRef: text("subject_ref").notNull(),
    grantee: text("grantee").notNull(),
    matters: jsonb("matters").notNull().$type<string[]>(),
    evidenceTypes: jsonb("evidence_types").notNull().$type<string[]>(),
    notBefore: timestamp("not_before", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    maxUses: integer("max_uses"),
    uses: integer("uses").notNull().default(0),
    method: text("method").notNull(),
    proof: text("proof").notNull(),
    tokenHash: text("token_hash").notNull(),
    sealedToken: text("sealed_token"),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    revokedBy: text("revoked_by"),
    createdAt: createdAt(),
  },
  (t) => [index("consents_subject").on(t.subjectRef), index("consents_issuer").on(t.issuer)],
);

export const consentUses = pgTable(
  "consent_uses",
  {
    consentId: text("consent_id").notNull(),
    verificationId: text("verification_id").notNull(),
    requester: text("requester").notNull(),
    evidenceTypes: jsonb("evidence_types").notNull().$type<string[]>(),
    ledgerIndex: bigint("ledger_index", { mode: "number" }),
    usedAt: timestamp("used_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.consentId, t.verificationId] })],
);

/** Fixed-window counters for per-operator and per-window quotas. */
export const quotaCounters = pgTable(
  "quota_counters",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key, t.windowStart] })],
);

/**
 * Request rate limits (#14): how much of each key's quota gateway processes have leased in the
 * current fixed window (src/ratelimit/). `granted` is what the last lease got (returned by the
 * same upsert); `expires_at` is when the row can go. Unlogged (see the migration): losing it in
 * a crash only resets the current windows.
 */
export const rateLimitCounters = pgTable(
  "rate_limit_counters",
  {
    scope: text("scope").notNull(),
    key: text("key").notNull(),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    quota: integer("quota").notNull(),
    taken: integer("taken").notNull(),
    granted: integer("granted").notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key, t.windowStart] }), index("rate_limit_counters_expiry").on(t.expiresAt)],
);
