/**
 * When cached configuration must be read again. Three signals, all cheap to check on a hot path:
 * a NOTIFY from the database (any process changed a table), a (re)connection of the listener
 * (notifications may have been lost) and a write made by this process through a config store
 * (read-your-writes, before the writer's response is sent, without waiting for the NOTIFY).
 *
 * Caches do not subscribe: they remember the {@link ConfigChanges.stamp} they loaded under and
 * load again when it differs, so nothing here holds on to them.
 */

/** The tables the hot path caches; the names are what the `huren_config` trigger sends. */
export const CONFIG_TABLES = ["members", "evidence_types", "matters", "policies", "adapters"] as const;
export type ConfigTable = (typeof CONFIG_TABLES)[number];

/** The NOTIFY channel of drizzle/0004_config_notify.sql. */
export const CONFIG_CHANNEL = "huren_config";

const zero = (): Record<ConfigTable, number> => ({ members: 0, evidence_types: 0, matters: 0, policies: 0, adapters: 0 });

/**
 * Writes made by this process, per table. Module state on purpose, like the process it counts:
 * a store function only has a `Queryable` (often a transaction), not the caches of whichever
 * app called it, and every cache in the process must see the write (the admin's own app, the
 * bootstrap before the app exists, a test calling the store directly).
 */
const localWrites = zero();

/**
 * Wraps a config store's write: once it settles (committed or not: a needless reload is cheap),
 * every cache in this process reads `table` again. When the write ran inside a caller's longer
 * transaction, a load between then and that commit can still cache the old rows; the NOTIFY,
 * sent at commit, clears them.
 * @example
 * return configWrite("matters", db.insert(matters).values(row));
 */
export async function configWrite<T>(table: ConfigTable, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } finally {
    localWrites[table]++;
  }
}

/**
 * One process's (or, on Workers, one request's) invalidation signal.
 * @example
 * const changes = new ConfigChanges();
 * const at = changes.stamp(["policies"]);
 * changes.invalidate(["policies"]);
 * changes.stamp(["policies"]) !== at; // true: cached policies are stale
 */
export class ConfigChanges {
  private readonly invalidations = zero();

  /** Everything cached from `tables` (default: all) is stale from now on. */
  invalidate(tables: readonly ConfigTable[] = CONFIG_TABLES): void {
    for (const t of tables) this.invalidations[t]++;
  }

  /** The payload of a `huren_config` notification: a table name; anything else clears all. */
  notified(payload: string): void {
    this.invalidate((CONFIG_TABLES as readonly string[]).includes(payload) ? [payload as ConfigTable] : CONFIG_TABLES);
  }

  /**
   * A number that changes whenever anything cached from `tables` may have changed (a sum of
   * counters that only grow). Equal stamps before and after a load mean the load is current.
   */
  stamp(tables: readonly ConfigTable[]): number {
    let n = 0;
    for (const t of tables) n += this.invalidations[t] + localWrites[t];
    return n;
  }
}
