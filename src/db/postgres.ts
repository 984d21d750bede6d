/**
 * A real PostgreSQL through postgres.js. Used on Node when DATABASE_URL is set, and by the
 * Worker through Hyperdrive (which hands us a connection string); only Node runs migrations.
 */
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import { schema } from "./schema.ts";
import type { Database, Db } from "./types.ts";

const MIGRATION_LOCK = 0x4875_7265; // "Hure"

/**
 * A statement with more bound parameters than this is not kept prepared: a list spelled out as
 * parameters (`in ($1, …, $n)`) is a new statement for every length, and each kept statement
 * costs memory in both postgres.js and the server connection for the connection's lifetime.
 */
const PREPARE_MAX_PARAMS = 64;

type Client = ReturnType<typeof postgres>;

/**
 * drizzle hands postgres.js `prepare: false` for every query not named with `.prepare(name)`,
 * and postgres.js then sends an unnamed statement with a parameter description first: two round
 * trips per statement and a parse and plan on the server every time, on every hot statement
 * (the replay-store insert, the ledger append, the rate-limit lease). This keeps them prepared:
 * one round trip, planned once per connection. Transactions and savepoints hand drizzle a new
 * client, which is wrapped the same way. postgres.js re-prepares a statement the server has
 * dropped (a migration changing a table's columns).
 */
export function preparing<T extends Client>(client: T): T {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === "unsafe") {
        return (query: string, params?: unknown[], options?: Record<string, unknown>) =>
          target.unsafe(query, params as never, { ...options, prepare: (params?.length ?? 0) <= PREPARE_MAX_PARAMS });
      }
      if (prop === "begin" || prop === "savepoint") {
        return (...args: unknown[]) => {
          const fn = args.pop() as (c: Client) => unknown;
          const method = (target as unknown as Record<string, (...a: unknown[]) => unknown>)[prop]!;
          return method.apply(target, [...args, (c: Client) => fn(preparing(c))]);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

export interface PostgresOptions {
  url: string;
  /** Pool size per process. */
  max?: number | undefined;
  /** A connection not established within this fails; default 5 s (postgres.js alone waits 30 s). The gateway passes DATABASE_CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number | undefined;
  /** statement_timeout sent at connect; 0 (the default here) sends none. The gateway passes DATABASE_STATEMENT_TIMEOUT_MS. */
  statementTimeoutMs?: number | undefined;
  /**
   * Keep statements prepared per connection (default true): one round trip per statement. False
   * for a pooler that cannot keep them (PgBouncer before 1.21, or without max_prepared_statements,
   * in transaction mode): every statement is then sent unnamed, with a describe step first.
   */
  prepare?: boolean | undefined;
}

/**
 * Wait before reconnecting after a failed connection, in seconds. postgres.js's own backoff grows
 * to 20 s across the pool while the server is down, and a request that needs a connection waits
 * it out: capped here at 1 s, so requests fail fast (503) while it is down and the pool is back
 * within about a second once it returns.
 */
const reconnectBackoff = (retries: number) => (0.5 + Math.random() / 2) * Math.min(2 ** retries / 50, 1);

/**
 * Connects without migrating (what the Worker does).
 * @example
 * const database = connectPostgres({ url: process.env.DATABASE_URL! });
 */
export function connectPostgres(options: PostgresOptions): Database {
  const statementTimeoutMs = options.statementTimeoutMs ?? 0;
  const client = postgres(options.url, {
    max: options.max ?? 10,
    connect_timeout: (options.connectTimeoutMs ?? 5_000) / 1000,
    backoff: reconnectBackoff,
    // Server-side bound on any one statement (a lock wait, a runaway query): 57014 → 503.
    ...(statementTimeoutMs > 0 ? { connection: { statement_timeout: statementTimeoutMs } } : {}),
    // Fetching types at connect costs a round trip per connection and we use none.
    fetch_types: false,
    prepare: options.prepare ?? true,
    onnotice: () => {},
  });
  const db = drizzle(options.prepare === false ? client : preparing(client), { schema }) as unknown as Db;
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
