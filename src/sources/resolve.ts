/**
 * Picks the adapter that answers for an evidence type for a requester's region and keeps built
 * sources (pools, indexes) alive across requests, rebuilding one only when its version changes,
 * so several gateway processes pick up a department's new config from the shared database.
 */
import { eq } from "drizzle-orm";
import { adapters, members } from "../db/schema.ts";
import type { Db } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import type { AdapterContext, EvidenceSource } from "../adapters/types.ts";
import { createHttpSource, httpConfigSchema } from "../adapters/http.ts";
import { createFixtureSource, fixtureConfigSchema } from "../adapters/fixture.ts";
import { loadAdapterConfig, type AdapterKind } from "./store.ts";

export interface ResolvedSource {
  adapterId: string;
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
  /** Everything a source needs but its config, for one department. */
  context(department: string): AdapterContext;
}

export class SourceResolver {
  private readonly built = new Map<string, { version: number; source: EvidenceSource }>();

  constructor(private readonly deps: SourceResolverDeps) {}

  /** The enabled adapter for `evidenceType` closest to `region`, or undefined. */
  async resolve(evidenceType: string, region: string | null): Promise<ResolvedSource | undefined> {
    const rows = await this.deps.db
      .select({ id: adapters.id, version: adapters.version, department: adapters.department, types: adapters.evidenceTypes, deptRegion: members.region })
      .from(adapters)
      .innerJoin(members, eq(members.id, adapters.department))
      .where(eq(adapters.enabled, true));
    let best: (typeof rows)[number] | undefined;
    let bestScore = -1;
    for (const row of rows) {
      if (!row.types.includes(evidenceType) || !row.deptRegion || !region) continue;
      const score = regionCoverage(row.deptRegion, region);
      if (score > bestScore || (score === bestScore && best && row.id < best.id)) {
        best = row;
        bestScore = score;
      }
    }
    if (!best || bestScore < 0) return undefined;
    const source = await this.sourceFor(best.id, best.version);
    return source && { adapterId: best.id, adapterVersion: best.version, department: best.department, source };
  }

  private async sourceFor(id: string, version: number): Promise<EvidenceSource | undefined> {
    const cached = this.built.get(id);
    if (cached?.version === version) return cached.source;
    const record = await loadAdapterConfig(this.deps.db, this.deps.secrets, id);
    if (!record?.enabled) return undefined;
    const source = this.build(record.id, record.kind, record.department, record.config, record.evidenceTypes);
    this.built.set(id, { version: record.version, source });
    await cached?.source.close?.();
    return source;
  }

  private build(id: string, kind: AdapterKind, department: string, config: unknown, evidenceTypes: string[]): EvidenceSource {
    const ctx = this.deps.context(department);
    switch (kind) {
      case "http":
        return createHttpSource(id, httpConfigSchema.parse(config), ctx);
      case "fixture":
        return createFixtureSource(id, fixtureConfigSchema.parse(config), ctx, evidenceTypes);
      case "sql":
        throw new Error("sql adapters are not available yet");
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.built.values()].map((b) => b.source.close?.()));
    this.built.clear();
  }
}
