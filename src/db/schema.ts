/**
 * The one drizzle schema, shared by PGlite (embedded default, tests) and PostgreSQL; the tables
 * live in src/db/tables/ by area and are all exported from here (drizzle.config.ts reads this file).
 *
 * Privacy rule (PIPL): no column here holds a raw person id. People appear only as keyed
 * HMAC references (`subject_ref`), and the key never lives in the database.
 */
import * as configTables from "./tables/config.ts";
import * as ledgerTables from "./tables/ledger.ts";
import * as consentTables from "./tables/consent.ts";
import * as consoleTables from "./tables/console.ts";
import * as supervisionTables from "./tables/supervision.ts";

export * from "./tables/config.ts";
export * from "./tables/ledger.ts";
export * from "./tables/consent.ts";
export * from "./tables/console.ts";
export * from "./tables/supervision.ts";

/** Every table, for drizzle's relational queries. */
export const schema = { ...configTables, ...ledgerTables, ...consentTables, ...consoleTables, ...supervisionTables };
