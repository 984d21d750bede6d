/**
 * Registering an adapter: which department answers for which evidence types, and how. A PUT is
 * validated per kind, against the catalog and against the department's grants (§4); its sealed
 * parts are encrypted. Every version is kept in `adapter_versions`, written in the same
 * transaction as the adapter itself, so the `adapterVersion` in a ledger entry always names a
 * config that existed.
 */
import canonicalize from "canonicalize";
import { and, eq, sql } from "drizzle-orm";
import { adapters, adapterVersions } from "../db/schema.ts";
import type { Queryable } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { HurenError } from "../errors.ts";
import { configWrite } from "../config/changes.ts";
import { getMember, NO_GRANTS, type Member, type MemberKind } from "../members/members.ts";
import { compileHostGrant } from "../reach/hosts.ts";
import { Reach, ReachError } from "../reach/guard.ts";
import { getEvidenceType } from "../catalog/store.ts";
import type { EvidenceTypeDef } from "../catalog/evidence-types.ts";
import { checkAgainstCatalog, parseAdapterConfig, reachTarget, SEALED, SEALED_KEYS, type AdapterBody, type AdapterKind } from "./adapter-config.ts";
import { toRecord, type AdapterRecord } from "./store.ts";

function invalid(path: string, message: string): HurenError {
  return new HurenError("invalid-adapter-config", 422, "Invalid adapter configuration", message, {
    errors: [{ path, message }],
  });
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
