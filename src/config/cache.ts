/**
 * The configuration a verification reads — its matter, evidence types, the policies, which
 * adapter answers, the answering department's region — held in process memory, so the hot path
 * makes no round trip for it. Each table is read whole (a city has tens to hundreds of rows, and
 * they change rarely) and kept until it changes: a NOTIFY from any process, a listener
 * reconnect, a write made here (see ./changes.ts), or at the latest after the TTL.
 *
 * Admin reads (GET routes, checks before a write) keep reading the database: there fresh beats fast.
 */
import type { Logger } from "../deps.ts";
import type { Database, Queryable } from "../db/types.ts";
import type { EvidenceTypeDef } from "../catalog/evidence-types.ts";
import { getEvidenceType, getMatter, listEvidenceTypes, listMatters, type Matter } from "../catalog/store.ts";
import type { PolicyVersion } from "../policies/model.ts";
import { governing, listPolicies, policiesFor } from "../policy-store/store.ts";
import { createMemberCache, getMember, MEMBER_CACHE_TTL_MS, type Member, type MemberCache } from "../members/members.ts";
import { loadAdapterRoutes, type AdapterRoute } from "../sources/resolve.ts";
import { CONFIG_CHANNEL, ConfigChanges, type ConfigTable } from "./changes.ts";
import { ReadThrough } from "./read-through.ts";
import { describeError } from "../logging/errors.ts";

/** Default TTL: how stale a cached table can get if a notification is lost. */
export const CONFIG_CACHE_TTL_MS = 30_000;

/** What deciding a verification reads. Cached values are shared between requests: read-only. */
export interface ConfigReader {
  matter(code: string): Promise<Matter | undefined>;
  /** Built-in or registered. */
  evidenceType(type: string): Promise<EvidenceTypeDef | undefined>;
  /** Current versions of the policies governing any of `types`. */
  policiesFor(types: string[]): Promise<PolicyVersion[]>;
  /** Every enabled adapter with its department's region (what the resolver picks from). */
  adapterRoutes(): Promise<AdapterRoute[]>;
  member(id: string): Promise<Member | undefined>;
}

export interface ConfigCache extends ConfigReader {
  /** The member cache behind {@link ConfigReader.member}, also used for authentication and department keys. */
  members: MemberCache;
  changes: ConfigChanges;
}

/**
 * Straight from the database, every time: for callers without a cache (a domain verb called
 * directly, e.g. from a test or a script).
 */
export function directConfig(db: Queryable): ConfigReader {
  return {
    matter: (code) => getMatter(db, code),
    evidenceType: (type) => getEvidenceType(db, type),
    policiesFor: (types) => policiesFor(db, types),
    adapterRoutes: () => loadAdapterRoutes(db),
    member: (id) => getMember(db, id),
  };
}

export interface ConfigCacheOptions {
  /** Default {@link CONFIG_CACHE_TTL_MS}; 0 caches nothing (members included). */
  ttlMs?: number;
  now?: () => number;
  /** The invalidation signal; wire it to the database with {@link listenForConfigChanges}. */
  changes?: ConfigChanges;
}

/**
 * @example
 * const changes = new ConfigChanges();
 * const config = createConfigCache(db, { changes });
 * const stop = await listenForConfigChanges(database, changes, logger);
 * await config.matter("220100-public-rental-housing"); // a query the first time only
 */
export function createConfigCache(db: Queryable, options: ConfigCacheOptions = {}): ConfigCache {
  const ttlMs = options.ttlMs ?? CONFIG_CACHE_TTL_MS;
  const now = options.now ?? Date.now;
  const changes = options.changes ?? new ConfigChanges();
  const table = <V>(tables: readonly ConfigTable[], load: () => Promise<V>) => new ReadThrough<V>(load, { ttlMs, now, stamp: () => changes.stamp(tables) });

  const matters = table(["matters"], async () => new Map((await listMatters(db)).map((m) => [m.code, m])));
  const evidenceTypes = table(["evidence_types"], async () => {
    // Built-ins included, and first, so they win as in getEvidenceType (none can be registered).
    const byType = new Map<string, EvidenceTypeDef>();
    for (const def of await listEvidenceTypes(db)) if (!byType.has(def.type)) byType.set(def.type, def);
    return byType;
  });
  const policies = table(["policies"], () => listPolicies(db));
  // The region comes from the members table: a department moved elsewhere changes the routes.
  const routes = table(["adapters", "members"], () => loadAdapterRoutes(db));
  // Members are many (every window) and read one at a time: a keyed cache with its own bounds,
  // and a TTL no longer than it had on its own (key removals are security changes).
  const members = createMemberCache(db, { ttlMs: Math.min(ttlMs, MEMBER_CACHE_TTL_MS), now, changes });

  return {
    matter: async (code) => (await matters.get()).get(code),
    evidenceType: async (type) => (await evidenceTypes.get()).get(type),
    policiesFor: async (types) => (types.length === 0 ? [] : governing(await policies.get(), types)),
    adapterRoutes: () => routes.get(),
    member: (id) => members.get(id),
    members,
    changes,
  };
}

/**
 * Subscribes `changes` to the database's `huren_config` notifications: a notice invalidates
 * its table, a (re)connection everything. Resolves to a function that stops, or undefined when
 * the driver cannot listen or listening failed (logged): the TTL then bounds staleness alone.
 * @example
 * const stop = await listenForConfigChanges(database, changes, logger);
 * await stop?.();
 */
export async function listenForConfigChanges(database: Database, changes: ConfigChanges, logger: Logger): Promise<(() => Promise<void>) | undefined> {
  if (!database.listen) return undefined;
  try {
    return await database.listen(
      CONFIG_CHANNEL,
      (payload) => changes.notified(payload),
      () => changes.invalidate(),
    );
  } catch (err) {
    logger.error({ event: "config-listen-failed", ...describeError(err) });
    return undefined;
  }
}
