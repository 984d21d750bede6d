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
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

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
};
