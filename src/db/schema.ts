/**
 * The one drizzle schema, shared by PGlite (embedded default, tests) and PostgreSQL.
 *
 * Privacy rule (PIPL): no column here holds a raw person id. People appear only as keyed
 * HMAC references (`subject_ref`), and the key never lives in the database.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

export const members = pgTable("members", {
  id: text("id").primaryKey(),
  kind: text("kind").notNull(),
  name: text("name").notNull(),
  region: text("region"),
  jwks: jsonb("jwks").notNull().$type<{ keys: Record<string, unknown>[] }>(),
  enabled: boolean("enabled").notNull().default(true),
  /**
   * Departments only (PROTOCOL §4): the evidence types it issues and the hosts its adapters may
   * reach, set by an admin. Null for other kinds.
   */
  grants: jsonb("grants").$type<{ evidenceTypes: string[]; hosts: string[] }>(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** The gateway's own keys; private halves are AES-GCM encrypted with a key derived from HUREN_SECRET. */
export const gatewayKeys = pgTable(
  "gateway_keys",
  {
    kid: text("kid").primaryKey(),
    purpose: text("purpose").notNull(),
    alg: text("alg").notNull(),
    publicJwk: jsonb("public_jwk").notNull().$type<Record<string, unknown>>(),
    sealedPrivateKey: text("sealed_private_key").notNull(),
    createdAt: createdAt(),
    retiredAt: timestamp("retired_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("gateway_keys_one_active").on(t.purpose).where(sql`retired_at is null`)],
);

/** Seen request `jti`s, kept until the token would have expired anyway. Shared by all processes. */
export const requestNonces = pgTable(
  "request_nonces",
  {
    issuer: text("issuer").notNull(),
    jti: text("jti").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.jti] }), index("request_nonces_expiry").on(t.expiresAt)],
);

/** Admin-registered evidence types; the five built-ins live in code and cannot be redefined. */
export const evidenceTypes = pgTable("evidence_types", {
  type: text("type").primaryKey(),
  definition: jsonb("definition").notNull().$type<Record<string, unknown>>(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const matters = pgTable("matters", {
  code: text("code").primaryKey(),
  name: text("name").notNull(),
  region: text("region").notNull(),
  requirements: jsonb("requirements").notNull().$type<{ evidenceType: string; exempt: boolean; note?: string }[]>(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const adapters = pgTable("adapters", {
  id: text("id").primaryKey(),
  department: text("department").notNull(),
  kind: text("kind").notNull(),
  evidenceTypes: jsonb("evidence_types").notNull().$type<string[]>(),
  /** The config without secrets; secrets (issue: sql connection strings) go sealed in `sealed_secrets`. */
  config: jsonb("config").notNull().$type<Record<string, unknown>>(),
  sealedSecrets: text("sealed_secrets"),
  enabled: boolean("enabled").notNull().default(true),
  version: integer("version").notNull().default(1),
  /** Result of the last conformance check (`POST /v1/adapters/{id}/check`). */
  lastCheck: jsonb("last_check").$type<Record<string, unknown>>(),
  /**
   * An admin registered this version's host outside the department's `grants.hosts` (§4: only an
   * admin may): connections then skip the grant, never the never-reachable set (src/reach/).
   */
  beyondGrants: boolean("beyond_grants").notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Every version an adapter ever had, so a ledger entry's `adapterVersion` can be looked up. */
export const adapterVersions = pgTable(
  "adapter_versions",
  {
    id: text("id").notNull(),
    version: integer("version").notNull(),
    department: text("department").notNull(),
    kind: text("kind").notNull(),
    evidenceTypes: jsonb("evidence_types").notNull().$type<string[]>(),
    config: jsonb("config").notNull().$type<Record<string, unknown>>(),
    sealedSecrets: text("sealed_secrets"),
    enabled: boolean("enabled").notNull(),
    changedBy: text("changed_by"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.id, t.version] })],
);

/** Current policy documents; every stored version is kept in `policy_versions`. */
export const policies = pgTable("policies", {
  id: text("id").primaryKey(),
  version: integer("version").notNull(),
  hash: text("hash").notNull(),
  document: jsonb("document").notNull().$type<Record<string, unknown>>(),
  updatedAt: updatedAt(),
});

export const policyVersions = pgTable(
  "policy_versions",
  {
    id: text("id").notNull(),
    version: integer("version").notNull(),
    hash: text("hash").notNull(),
    document: jsonb("document").notNull().$type<Record<string, unknown>>(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.id, t.version] })],
);

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

// ── stream ledger-witness: checkpoint scheduling and witness cosignatures (PROTOCOL §5, §5.2) ──

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

// ── console (#12): browser sessions of staff signed in by login link or OpenID Connect ──
/** A console session; the cookie holds a random token, the table only its SHA-256. */
export const consoleSessions = pgTable("console_sessions", {
  tokenHash: text("token_hash").primaryKey(),
  member: text("member").notNull(),
  uid: text("uid").notNull(),
  kind: text("kind").notNull(),
  csrf: text("csrf").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  endedAt: timestamp("ended_at", { withTimezone: true }),
});

/**
 * Who may sign in to the console through OpenID Connect (#12): an identity provider's subject,
 * mapped by an admin to a member and the staff member's uid. `issuer` "" matches the configured
 * issuer (HUREN_OIDC_ISSUER); a full issuer URL pins the mapping to that provider.
 */
export const consoleIdentities = pgTable(
  "console_identities",
  {
    issuer: text("issuer").notNull().default(""),
    subject: text("subject").notNull(),
    member: text("member")
      .notNull()
      .references(() => members.id),
    uid: text("uid").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    changedBy: text("changed_by").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject] })],
);

// ── stream supervision (§10 电子监察): the supervision store, kept by src/supervision/consumer.ts ──

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

export const schema = {
  members,
  gatewayKeys,
  requestNonces,
  evidenceTypes,
  matters,
  adapters,
  policies,
  policyVersions,
  ledgerHead,
  ledgerEntries,
  ledgerNodes,
  ledgerCheckpoints,
  ledgerCheckpointer,
  ledgerCosignatures,
  adapterVersions,
  consents,
  consentUses,
  quotaCounters,
  rateLimitCounters,
  consoleSessions,
  consoleIdentities,
  supervisionState,
  supervisionRollups,
  supervisionRules,
  supervisionCounters,
  supervisionSets,
  supervisionCards,
};
