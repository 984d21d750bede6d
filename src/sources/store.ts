/**
 * Adapter registrations as stored, read back: public parts only (sealed values read "(sealed)"),
 * every version kept in `adapter_versions`, the last conformance check, and the full config with
 * its sealed parts opened, for building a source. Registering is `./register.ts`; what a
 * registration may say is `./adapter-config.ts`.
 */
import { asc, eq } from "drizzle-orm";
import { adapters, adapterVersions } from "../db/schema.ts";
import type { Queryable } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { SEALED, type AdapterBody, type AdapterKind } from "./adapter-config.ts";
import type { CheckReport } from "./check.ts";

export interface AdapterRecord {
  id: string;
  department: string;
  kind: AdapterKind;
  evidenceTypes: string[];
  /** Public part of the config: what GET shows; sealed parts read "(sealed)". */
  config: Record<string, unknown>;
  enabled: boolean;
  version: number;
  updatedAt: string;
  /** The last conformance check's report (of whichever version it ran against), or null. */
  lastCheck: CheckReport | null;
}

/** The body a PUT /v1/adapters/{id} would send to leave the adapter as it is (secrets as "(sealed)"). */
export const adapterBodyOf = (a: AdapterRecord): AdapterBody => ({ department: a.department, kind: a.kind, evidenceTypes: a.evidenceTypes, config: a.config, enabled: a.enabled });

/** A stored row as GET shows it (public parts only). */
export function toRecord(row: typeof adapters.$inferSelect): AdapterRecord {
  const config = { ...row.config };
  // Fixture rows from before placeholders were stored have none; say "(sealed)" all the same.
  if (row.kind === "fixture" && row.sealedSecrets && !("records" in config)) config.records = SEALED;
  return {
    id: row.id,
    department: row.department,
    kind: row.kind as AdapterKind,
    evidenceTypes: row.evidenceTypes,
    config,
    enabled: row.enabled,
    version: row.version,
    updatedAt: row.updatedAt.toISOString(),
    lastCheck: (row.lastCheck as CheckReport | null) ?? null,
  };
}

export interface AdapterVersion {
  version: number;
  department: string;
  kind: AdapterKind;
  evidenceTypes: string[];
  config: Record<string, unknown>;
  enabled: boolean;
  changedBy: string | null;
  createdAt: string;
}

/** Every stored version of an adapter, oldest first (public parts only). */
export async function listAdapterVersions(db: Queryable, id: string): Promise<AdapterVersion[]> {
  const rows = await db.select().from(adapterVersions).where(eq(adapterVersions.id, id)).orderBy(asc(adapterVersions.version));
  return rows.map((r) => ({
    version: r.version,
    department: r.department,
    kind: r.kind as AdapterKind,
    evidenceTypes: r.evidenceTypes,
    config: r.config,
    enabled: r.enabled,
    changedBy: r.changedBy,
    createdAt: r.createdAt.toISOString(),
  }));
}

/** Stores a conformance check report; not a config change, so no new version. */
export async function setLastCheck(db: Queryable, id: string, report: CheckReport): Promise<void> {
  await db.update(adapters).set({ lastCheck: report as unknown as Record<string, unknown> }).where(eq(adapters.id, id));
}

export async function getAdapter(db: Queryable, id: string): Promise<AdapterRecord | undefined> {
  const [row] = await db.select().from(adapters).where(eq(adapters.id, id));
  return row ? toRecord(row) : undefined;
}

export async function listAdapters(db: Queryable, department?: string): Promise<AdapterRecord[]> {
  const rows = await db
    .select()
    .from(adapters)
    .where(department ? eq(adapters.department, department) : undefined)
    .orderBy(asc(adapters.id));
  return rows.map(toRecord);
}

/** The full config (sealed parts opened) of one adapter: for building its source only. */
export async function loadAdapterConfig(db: Queryable, secrets: Secrets, id: string) {
  const [row] = await db.select().from(adapters).where(eq(adapters.id, id));
  if (!row) return undefined;
  const sealed = row.sealedSecrets ? (JSON.parse(await secrets.unseal(row.sealedSecrets)) as object) : {};
  return {
    id: row.id,
    department: row.department,
    kind: row.kind as AdapterKind,
    evidenceTypes: row.evidenceTypes,
    version: row.version,
    enabled: row.enabled,
    beyondGrants: row.beyondGrants,
    config: { ...row.config, ...sealed },
  };
}
