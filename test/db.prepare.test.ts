/**
 * drizzle sends every statement not built with `.prepare(name)` as `prepare: false`, which made
 * postgres.js send it unnamed with a describe step first: two round trips and a parse on every
 * execution. connectPostgres keeps them prepared (src/db/postgres.ts `preparing`), in and out of
 * transactions, unless DATABASE_PREPARE=off asks for the unnamed form (a pooler that cannot keep
 * statements). Checked on the server's own list of the connection's prepared statements.
 */
import { afterEach, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { connectPostgres } from "../src/db/postgres.ts";
import { rowsOf } from "../src/db/rows.ts";
import type { Database, Db, Tx } from "../src/db/types.ts";
import { createHarness, type Harness } from "./harness.ts";

/** Statements this connection keeps prepared whose text contains `marker`. */
async function preparedWith(q: Db | Tx, marker: string): Promise<number> {
  const [row] = rowsOf<{ n: number }>(await q.execute(sql`select count(*)::int as n from pg_prepared_statements where statement like ${`%${marker}%`}`));
  return row!.n;
}

describe.skipIf(!process.env.DATABASE_URL)("prepared statements on PostgreSQL", () => {
  let h: Harness | undefined;
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    await h?.close();
  });

  const connect = async (prepare?: boolean) => {
    h = await createHarness();
    // One connection, so the statement and the look at pg_prepared_statements share a session.
    database = connectPostgres({ url: h.databaseUrl!, max: 1, prepare });
    return database.db;
  };

  it("keeps a drizzle statement prepared, with its parameters, and reuses it", async () => {
    const db = await connect();
    for (const n of [1, 2, 3]) {
      const [row] = rowsOf<{ v: number }>(await db.execute(sql`select ${n}::int + 0 as v /* prep-a */`));
      expect(row!.v).toBe(n);
    }
    expect(await preparedWith(db, "prep-a")).toBe(1);
  });

  it("keeps statements inside a transaction prepared too", async () => {
    const db = await connect();
    await db.transaction(async (tx) => {
      await tx.execute(sql`select ${1}::int as v /* prep-b */`);
      expect(await preparedWith(tx, "prep-b")).toBe(1);
    });
  });

  it("sends statements unnamed with prepare off (DATABASE_PREPARE=off)", async () => {
    const db = await connect(false);
    await db.execute(sql`select ${1}::int as v /* prep-c */`);
    expect(await preparedWith(db, "prep-c")).toBe(0);
  });

  it("does not keep a statement with more than 64 parameters (a spelled-out list)", async () => {
    const db = await connect();
    const list = sql.join(Array.from({ length: 65 }, (_, i) => sql`${i}::int`), sql`, `);
    await db.execute(sql`select ${list} /* prep-d */`);
    expect(await preparedWith(db, "prep-d")).toBe(0);
  });
});
