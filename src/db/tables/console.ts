/**
 * The console (#12): browser sessions, and OpenID Connect subjects mapped to members.
 * Part of the one drizzle schema (src/db/schema.ts re-exports every table).
 */
import { boolean, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { members } from "./config.ts";

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

