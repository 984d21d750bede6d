/**
 * A real PostgreSQL through postgres.js. Used on Node when DATABASE_URL is set, and by the
 * Worker through Hyperdrive (which hands us a connection string); only Node runs migrations.
 */
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { schema } from "./schema.ts";
import type { Database, Db } from "./types.ts";

const MIGRATION_LOCK = 0x4875_7265; // "Hure"

export interface PostgresOptions {
  url: string;
  /** Pool size per process. */
  max?: number | undefined;
}

/**
 * Connects without migrating (what the Worker does).
 * @example
 * const database = connectPostgres({ url: process.env.DATABASE_URL! });
 */
export function connectPostgres(options: PostgresOptions): Database {
  const client = postgres(options.url, {
    max: options.max ?? 10,
    // Fetching types at connect costs a round trip per connection and we use none.
    fetch_types: false,
    onnotice: () => {},
  });
  const db = drizzle(client, { schema }) as unknown as Db;
  return {
    db,
    driver: "postgres",
    // postgres.js listens on a connection of its own (outside the pool `max`), listens again
    // whenever that connection is lost and calls onlisten each time it does.
    async listen(channel, onNotify, onListen) {
      const { unlisten } = await client.listen(channel, onNotify, onListen);
      return async () => {
        await unlisten();
      };
    },
    close: () => client.end({ timeout: 5 }),
  };
}

/** Connects and applies the migrations in drizzle/ (Node only: the migrator reads files). */
export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const { migrate } = await import("drizzle-orm/postgres-js/migrator");
  const { MIGRATIONS_FOLDER } = await import("./migrations-folder.ts");
  const migrator = postgres(options.url, { max: 1, onnotice: () => {} });
  try {
    // Several gateways may start at once against one database: migrate one at a time.
    await migrator`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(migrator), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await migrator.end({ timeout: 5 });
  }
  return connectPostgres(options);
}
