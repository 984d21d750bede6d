/**
 * Members, keys, the catalog (evidence types, matters), adapters and policies, with their version histories, and the replay store.
 * Part of the one drizzle schema (src/db/schema.ts re-exports every table).
 */
import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { createdAt, updatedAt } from "./columns.ts";

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
