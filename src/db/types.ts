import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { schema } from "./schema.ts";

/** Either driver: drizzle over PGlite or over postgres.js. Domain code sees only this. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;
/** A transaction handle; domain verbs that must share a transaction take this. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Anything that can run queries: the database itself or an open transaction. */
export type Queryable = Db | Tx;

export interface Database {
  db: Db;
  driver: "pglite" | "postgres";
  /**
   * Subscribes to NOTIFY on `channel`; resolves once listening, with a function that stops.
   * `onListen` runs every time the subscription is (re)established, the first time included:
   * notifications sent while a connection was down are lost, so it means "anything may have
   * changed". Absent when nothing may outlive a request (the Worker's per-request connection).
   */
  listen?(channel: string, onNotify: (payload: string) => void, onListen: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
