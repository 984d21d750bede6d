/**
 * Picks the adapter that answers for an evidence type for a requester's region and keeps built
 * sources (pools, indexes, breakers) alive across requests, rebuilding one only when its version
 * changes, so several gateway processes pick up a department's new config from the shared
 * database. Breakers and stats live here, in process memory: each gateway process judges the
 * departments by what it saw itself.
 */
import { and, eq } from "drizzle-orm";
import { adapters, members } from "../db/schema.ts";
import type { Db, Queryable } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import type { AdapterContext, EvidenceSource } from "../adapters/types.ts";
import { loadAdapterConfig } from "./store.ts";
import { buildResilientSource, type BuildInput } from "./build.ts";
import type { ResilientSource } from "./resilience.ts";
import { LookupStats, type StatsSummary } from "./stats.ts";
import type { BreakerSnapshot } from "./breaker.ts";

/** An enabled adapter as the resolver picks among them: what it answers for and where. */
export interface AdapterRoute {
  id: string;
  version: number;
  department: string;
  evidenceTypes: string[];
  /** The department's region; a department without one answers nowhere. */
  departmentRegion: string | null;
}

/**
 * Every enabled adapter of an enabled department, answering only for the evidence types its
 * department is granted (§4), with the department's region: one query, what the config cache
 * holds. Grants live on the members table, so a grant changed anywhere reaches every process
 * with the members NOTIFY (src/config/cache.ts reads routes again on members and adapters changes).
 */
export async function loadAdapterRoutes(db: Queryable): Promise<AdapterRoute[]> {
  const rows = await db
    .select({ id: adapters.id, version: adapters.version, department: adapters.department, evidenceTypes: adapters.evidenceTypes, departmentRegion: members.region, grants: members.grants })
    .from(adapters)
    .innerJoin(members, eq(members.id, adapters.department))
    .where(and(eq(adapters.enabled, true), eq(members.enabled, true), eq(members.kind, "department")));
  return rows.flatMap(({ grants, ...row }) => {
    const granted = grants?.evidenceTypes ?? [];
    const evidenceTypes = row.evidenceTypes.filter((t) => granted.includes(t));
    return evidenceTypes.length ? [{ ...row, evidenceTypes }] : [];
  });
}

export interface ResolvedSource {
  adapterId: string;
  /** The version whose config built `source`: what the ledger records as having answered. */
  adapterVersion: number;
  department: string;
  source: EvidenceSource;
}

/**
 * Does a department registered for `deptRegion` cover a requester in `region`? GB/T 2260 codes
 * are PPCCDD: a city code (CC00 → PPCC00) covers its districts, a province code its cities.
 * Returns a specificity (higher is closer) or -1.
 */
export function regionCoverage(deptRegion: string, region: string): number {
  if (deptRegion === region) return 3;
  if (deptRegion.endsWith("0000") && deptRegion.slice(0, 2) === region.slice(0, 2)) return 1;
  if (deptRegion.endsWith("00") && deptRegion.slice(0, 4) === region.slice(0, 4)) return 2;
  return -1;
}

export interface SourceResolverDeps {
  db: Db;
  secrets: Secrets;
  /** The enabled adapters, e.g. from the config cache; default {@link loadAdapterRoutes} on every resolve. */
  routes?: () => Promise<AdapterRoute[]>;
  /** Everything a source needs but its config, for one department's adapter. */
  context(department: string, adapter: { beyondGrants: boolean }): AdapterContext;
  /** Hears every lookup of a live source (metrics): `ms` null when the department was not asked. */
  onLookup?: (adapterId: string, ms: number | null, code: string | undefined) => void;
}

/** One built adapter's live figures in this process, for metrics. */
export interface AdapterFigures {
  id: string;
  breaker: BreakerSnapshot["state"];
  inFlight: number;
  queued: number;
}

/** What this process knows of an adapter's health. */
export interface AdapterHealth {
  /** The version this process runs, or null if it has not built the adapter yet. */
  version: number | null;
  breaker: BreakerSnapshot;
  inFlight: number;
  recent: StatsSummary;
}

export class SourceResolver {
  private readonly built = new Map<string, { version: number; source: ResilientSource }>();
  private readonly building = new Map<string, Promise<{ version: number; source: ResilientSource } | undefined>>();
  /** Per adapter id, across versions: a new config does not wipe what the old one did. */
  private readonly stats = new Map<string, LookupStats>();

  constructor(private readonly deps: SourceResolverDeps) {}

  /** The enabled adapter for `evidenceType` closest to `region`, or undefined. */
  async resolve(evidenceType: string, region: string | null): Promise<ResolvedSource | undefined> {
    const rows = await (this.deps.routes ?? (() => loadAdapterRoutes(this.deps.db)))();
    let best: AdapterRoute | undefined;
    let bestScore = -1;
    for (const row of rows) {
      if (!row.evidenceTypes.includes(evidenceType) || !row.departmentRegion || !region) continue;
      const score = regionCoverage(row.departmentRegion, region);
      if (score > bestScore || (score === bestScore && best && row.id < best.id)) {
        best = row;
        bestScore = score;
      }
    }
    if (!best || bestScore < 0) return undefined;
    // The row may come from a cache, but the version recorded is always the one read with the
    // config that built the source (see build): a cached row can cost a rebuild, never a wrong number.
    const built = await this.sourceFor(best.id, best.version);
    return built && { adapterId: best.id, adapterVersion: built.version, department: best.department, source: built.source };
  }

  private async sourceFor(id: string, version: number): Promise<{ version: number; source: ResilientSource } | undefined> {
    const cached = this.built.get(id);
    if (cached?.version === version) return cached;
    // Concurrent first lookups share one build: two pools for one adapter would leak one.
    let pending = this.building.get(id);
    if (!pending) {
      pending = this.build(id).finally(() => this.building.delete(id));
      this.building.set(id, pending);
    }
    return pending;
  }

  private async build(id: string): Promise<{ version: number; source: ResilientSource } | undefined> {
    const record = await loadAdapterConfig(this.deps.db, this.deps.secrets, id);
    if (!record?.enabled) return undefined;
    const previous = this.built.get(id);
    if (previous?.version === record.version) return previous;
    // The version read with the config, not the one read a moment earlier: a change in between
    // must not be ledgered under the old number.
    const entry = { version: record.version, source: buildResilientSource(record, this.deps.context(record.department, record), this.statsFor(id)) };
    this.built.set(id, entry);
    // Lookups still running on the old version finish on it; its pool closes gracefully.
    void previous?.source.close?.()?.catch(() => {});
    return entry;
  }

  private statsFor(id: string): LookupStats {
    let s = this.stats.get(id);
    const onLookup = this.deps.onLookup;
    if (!s) this.stats.set(id, (s = new LookupStats(undefined, undefined, undefined, onLookup && ((ms, code) => onLookup(id, ms, code)))));
    return s;
  }

  /**
   * A source outside the cache, with its own breaker and throwaway stats: what the conformance
   * check runs against, so checking never trips or resets the live circuit by itself.
   */
  buildDetached(input: BuildInput & { department: string }): ResilientSource {
    return buildResilientSource(input, this.deps.context(input.department, { beyondGrants: input.beyondGrants ?? false }));
  }

  /** The live source's circuit is closed again (a check just passed for this version). */
  resetBreaker(id: string, version: number): void {
    const cached = this.built.get(id);
    if (cached?.version === version) cached.source.breaker.reset();
  }

  health(id: string): AdapterHealth {
    const cached = this.built.get(id);
    return {
      version: cached?.version ?? null,
      breaker: cached ? cached.source.breaker.snapshot() : { state: "closed", consecutiveFailures: 0 },
      inFlight: cached?.source.limiter.inFlight ?? 0,
      recent: this.statsFor(id).summary(),
    };
  }

  /** Every adapter this process has built (bounded by the adapters registered), for metrics. */
  figures(): AdapterFigures[] {
    return [...this.built].map(([id, { source }]) => ({ id, breaker: source.breaker.state, inFlight: source.limiter.inFlight, queued: source.limiter.queued }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.built.values()].map((b) => b.source.close?.()));
    this.built.clear();
  }
}
