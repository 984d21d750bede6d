/**
 * The embedded default: PGlite (PostgreSQL compiled to WASM) in-process, persisted under a
 * directory, or in memory for tests. Node only: the Worker never imports this file.
 */
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { schema } from "./schema.ts";
import type { Database, Db } from "./types.ts";

import { MIGRATIONS_FOLDER } from "./migrations-folder.ts";

/**
 * Opens (and migrates) an embedded database.
 * @example
 * const database = await openPglite({ dataDir: ".huren/db" }); // or {} for in-memory
 */
export async function openPglite(options: { dataDir?: string | undefined }): Promise<Database> {
  const client = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
  await client.waitReady;
  const db = drizzle(client, { schema }) as unknown as Db;
  await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
  return {
    db,
    driver: "pglite",
    // One in-process connection that cannot drop: onListen runs once, when listening starts.
    async listen(channel, onNotify, onListen) {
      const stop = await client.listen(channel, onNotify);
      onListen();
      return () => stop();
    },
    close: () => client.close(),
  };
}
