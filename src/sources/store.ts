/**
 * Adapter registrations: which department answers for which evidence types, and how.
 * Configs are validated per kind; anything that could identify a person (fixture records, probe
 * subjects) or open a door (connection strings) is sealed, never stored in clear and never
 * echoed. Every version is kept in `adapter_versions`, written in the same transaction as the
 * adapter itself, so the `adapterVersion` in a ledger entry always names a config that existed.
 */
import canonicalize from "canonicalize";
import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { adapters, adapterVersions } from "../db/schema.ts";
import type { Queryable } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { HurenError, type FieldError } from "../errors.ts";
import { configWrite } from "../config/changes.ts";
import { getMember, memberIdSchema, NO_GRANTS, type Member, type MemberKind } from "../members/members.ts";
import { parseConnectionString } from "../adapters/sql-config.ts";
import { compileHostGrant } from "../reach/hosts.ts";
import { Reach, ReachError, type ReachTarget } from "../reach/guard.ts";
import { getEvidenceType } from "../catalog/store.ts";
import type { EvidenceTypeDef } from "../catalog/evidence-types.ts";
import { httpConfigSchema } from "../adapters/http.ts";
import { fixtureConfigSchema } from "../adapters/fixture.ts";
import { sqlConfigSchema, sqlMappingIssues } from "../adapters/sql-config.ts";
import type { CheckReport } from "./check.ts";

export const ADAPTER_KINDS = ["http", "sql", "fixture"] as const;
export type AdapterKind = (typeof ADAPTER_KINDS)[number];

export const adapterBodySchema = z
  .object({
    department: memberIdSchema,
    kind: z.enum(ADAPTER_KINDS),
    evidenceTypes: z.array(z.string().min(1).max(64)).min(1).max(50),
    config: z.record(z.string(), z.unknown()),
    enabled: z.boolean().default(true),
  })
  .strict();
export type AdapterBody = z.infer<typeof adapterBodySchema>;

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

/** Keys of a config that are sealed rather than stored. */
const SEALED_KEYS: Record<AdapterKind, string[]> = { http: ["probe"], fixture: ["records"], sql: ["connectionString", "probe"] };
/** Stands in the public config for a sealed value, so GET shows that one is set. */
export const SEALED = "(sealed)";

function invalid(path: string, message: string): HurenError {
  return new HurenError("invalid-adapter-config", 422, "Invalid adapter configuration", message, {
    errors: [{ path, message }],
  });
}

const CONFIG_SCHEMAS = { http: httpConfigSchema, fixture: fixtureConfigSchema, sql: sqlConfigSchema } as const;

/** Validates a config for its kind, with defaults applied (what is stored). */
export function parseAdapterConfig(kind: AdapterKind, config: unknown): Record<string, unknown> {
  const parsed = CONFIG_SCHEMAS[kind].safeParse(config);
  if (!parsed.success) {
    // Paths and messages only: zod's messages do not quote values, and a value may be a secret.
    const errors = parsed.error.issues.map((i) => ({ path: ["config", ...i.path].join("."), message: i.message }));
    throw new HurenError("invalid-adapter-config", 422, "Invalid adapter configuration", "the adapter config is not valid", { errors });
  }
  return parsed.data as Record<string, unknown>;
}

/** Checks that need the catalog: an sql adapter's claim mapping against its evidence types. */
export function checkAgainstCatalog(kind: AdapterKind, config: Record<string, unknown>, defs: readonly EvidenceTypeDef[]): void {
  if (kind !== "sql") return;
  const issues = sqlMappingIssues(config as z.infer<typeof sqlConfigSchema>, defs);
  if (issues.length) {
    const errors: FieldError[] = issues.map((i) => ({ path: `config.${i.path}`, message: i.message }));
    throw new HurenError("invalid-adapter-config", 422, "Invalid adapter configuration", errors[0]!.message, { errors });
  }
}

function toRecord(row: typeof adapters.$inferSelect): AdapterRecord {
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

async function loadDefs(db: Queryable, types: string[]): Promise<EvidenceTypeDef[]> {
  const defs: EvidenceTypeDef[] = [];
  for (const [i, type] of types.entries()) {
    const def = await getEvidenceType(db, type);
    if (!def) {
      throw new HurenError("unknown-evidence-type", 422, "Unknown evidence type", `evidence type "${type}" is not in the catalog`, {
        errors: [{ path: `evidenceTypes.${i}`, message: "unknown evidence type" }],
      });
    }
    defs.push(def);
  }
  return defs;
}

const same = (a: unknown, b: unknown) => canonicalize(a) === canonicalize(b);

/**
 * pg advisory lock key for "adapter registrations" (ASCII "hurenadp"): held for the rest of the
 * writing transaction, so two PUTs cannot both see "no other enabled adapter for this type in
 * this region" and both commit (§4: exactly one answers). PGlite has one connection, where the
 * lock is free and the transactions are serial anyway.
 */
export const ADAPTER_LOCK = 0x68757265_6e616470n;

/** Where an adapter's config connects to (http endpoint, sql host), or undefined (fixture). */
export function reachTarget(kind: AdapterKind, config: Record<string, unknown>): ReachTarget | undefined {
  if (kind === "http") {
    const url = new URL(config.endpoint as string);
    return { host: url.hostname.replace(/^\[|\]$/g, ""), port: url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80 };
  }
  if (kind === "sql") {
    const target = parseConnectionString(config.connectionString as string);
    return typeof target === "string" ? undefined : { host: target.host, port: target.port, database: target.database };
  }
  return undefined;
}

const hostNotGranted = (kind: AdapterKind) =>
  new HurenError(
    "host-not-granted",
    422,
    "Host not granted",
    `the adapter's ${kind === "http" ? "endpoint host" : "database host"} is not one this department may reach (grants.hosts), or is never reachable (link-local and metadata addresses, the gateway's own database)`,
    { errors: [{ path: kind === "http" ? "config.endpoint" : "config.connectionString", message: "host not granted" }] },
  );

/** Who registers: departments stay within their grants (§4); admins (and the bootstrap file) may go beyond. */
export interface AdapterWriter {
  id: string;
  kind: MemberKind | "bootstrap";
}

export interface PutAdapterOptions {
  /** Resolves and judges hosts; default: IP literals and granted names only (no resolver). */
  reach?: Reach;
}

/**
 * The grant checks of §4 for a registration. Returns whether the host lies beyond the
 * department's grant (allowed for admins only, and remembered so connections allow it too).
 * @throws HurenError evidence-type-not-granted (403), host-not-granted (422)
 */
async function checkGrants(department: Member, body: AdapterBody, config: Record<string, unknown>, writer: AdapterWriter, reach: Reach): Promise<boolean> {
  const grants = department.grants ?? NO_GRANTS;
  const byDepartment = writer.kind === "department";
  if (byDepartment) {
    const missing = body.evidenceTypes.filter((t) => !grants.evidenceTypes.includes(t));
    if (missing.length) {
      throw new HurenError("evidence-type-not-granted", 403, "Evidence type not granted", `this department is not granted ${missing.join(", ")} (an admin sets grants.evidenceTypes)`, {
        errors: missing.map((t) => ({ path: `evidenceTypes.${body.evidenceTypes.indexOf(t)}`, message: "evidence type not granted" })),
      });
    }
  }
  const target = reachTarget(body.kind, config);
  if (!target) return false;
  try {
    await reach.check(target, { grant: compileHostGrant(grants.hosts) }, "register");
    return false;
  } catch (err) {
    if (!(err instanceof ReachError)) throw err;
    if (byDepartment || err.reason === "never-reachable" || err.reason === "own-database") throw hostNotGranted(body.kind);
  }
  // An admin beyond the grant: still never link-local, metadata or the gateway's own database.
  try {
    await reach.check(target, { grant: undefined }, "register");
  } catch (err) {
    if (err instanceof ReachError) throw hostNotGranted(body.kind);
    throw err;
  }
  return true;
}

/**
 * Validates and stores an adapter. A change is a new version (kept in adapter_versions, same
 * transaction); a PUT of exactly what is stored changes nothing and answers the current version.
 * A department registers only within its grants; an admin (or the bootstrap file) may go beyond
 * them, except to never-reachable hosts (§4).
 * @throws HurenError evidence-type-not-granted (403), invalid-adapter-config | unknown-evidence-type | host-not-granted (422), conflict (409)
 * @example
 * const { created, adapter } = await putAdapter(db, secrets, "cc-dibao-sql", body, { id: "test-admin", kind: "admin" });
 */
export async function putAdapter(
  db: Queryable,
  secrets: Secrets,
  id: string,
  body: AdapterBody,
  writer: AdapterWriter = { id: "bootstrap", kind: "bootstrap" },
  options: PutAdapterOptions = {},
): Promise<{ created: boolean; changed: boolean; adapter: AdapterRecord }> {
  const department = await getMember(db, body.department);
  if (!department || department.kind !== "department") {
    throw invalid("department", `"${body.department}" is not a registered department`);
  }
  if (writer.kind === "department" && writer.id !== department.id) throw new HurenError("forbidden", 403, "Forbidden", `adapter "${id}" belongs to another department`);
  const defs = await loadDefs(db, body.evidenceTypes);
  const config = parseAdapterConfig(body.kind, body.config);
  checkAgainstCatalog(body.kind, config, defs);
  const beyondGrants = await checkGrants(department, body, config, writer, options.reach ?? new Reach());
  const changedBy = writer.id;

  const sealedPart: Record<string, unknown> = {};
  const publicPart: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (SEALED_KEYS[body.kind].includes(k)) {
      sealedPart[k] = v;
      publicPart[k] = SEALED;
    } else publicPart[k] = v;
  }

  // This process's resolver picks from fresh rows at once (the NOTIFY tells the other processes).
  return configWrite("adapters", db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${ADAPTER_LOCK.toString()}::bigint)`);
    const [existing] = await tx.select().from(adapters).where(eq(adapters.id, id));
    if (existing) {
      const opened = existing.sealedSecrets ? (JSON.parse(await secrets.unseal(existing.sealedSecrets)) as object) : {};
      const current = { department: existing.department, kind: existing.kind, evidenceTypes: existing.evidenceTypes, enabled: existing.enabled, config: { ...existing.config, ...opened }, beyondGrants: existing.beyondGrants };
      const wanted = { department: body.department, kind: body.kind, evidenceTypes: body.evidenceTypes, enabled: body.enabled, config, beyondGrants };
      if (same(current, wanted)) return { created: false, changed: false, adapter: toRecord(existing) };
    }

    if (body.enabled) {
      // Exactly one enabled adapter answers for an evidence type in a region (§4).
      const others = await tx.select().from(adapters).where(eq(adapters.enabled, true));
      for (const other of others) {
        if (other.id === id) continue;
        const overlap = other.evidenceTypes.filter((t) => body.evidenceTypes.includes(t));
        if (overlap.length === 0) continue;
        const otherDept = await getMember(tx, other.department);
        if (otherDept?.region === department.region) {
          throw new HurenError("conflict", 409, "Adapter conflict", `adapter "${other.id}" already answers for ${overlap.join(", ")} in region ${department.region}`);
        }
      }
    }

    const sealedSecrets = Object.keys(sealedPart).length ? await secrets.seal(JSON.stringify(sealedPart)) : null;
    const values = { department: body.department, kind: body.kind, evidenceTypes: body.evidenceTypes, config: publicPart, sealedSecrets, enabled: body.enabled, beyondGrants };
    if (existing) {
      // Adapters registered before versions were kept get their current version recorded first.
      await tx.insert(adapterVersions).values(versionRow(existing, null)).onConflictDoNothing();
    }
    const [row] = existing
      ? await tx
          .update(adapters)
          .set({ ...values, version: existing.version + 1, updatedAt: new Date() })
          .where(and(eq(adapters.id, id), eq(adapters.version, existing.version)))
          .returning()
      : await tx.insert(adapters).values({ id, ...values }).onConflictDoNothing().returning();
    if (!row) throw new HurenError("conflict", 409, "Concurrent change", `adapter "${id}" was changed concurrently; retry`);
    await tx.insert(adapterVersions).values(versionRow(row, changedBy));
    return { created: !existing, changed: true, adapter: toRecord(row) };
  }));
}

function versionRow(row: typeof adapters.$inferSelect, changedBy: string | null): typeof adapterVersions.$inferInsert {
  return {
    id: row.id,
    version: row.version,
    department: row.department,
    kind: row.kind,
    evidenceTypes: row.evidenceTypes,
    config: row.config,
    sealedSecrets: row.sealedSecrets,
    enabled: row.enabled,
    changedBy,
    createdAt: row.updatedAt,
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
