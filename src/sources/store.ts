/**
 * Adapter registrations: which department answers for which evidence types, and how.
 * Configs are validated per kind; anything that could identify a person (fixture records)
 * or open a door (connection strings) is sealed, never stored in clear and never echoed.
 */
import { and, asc, eq } from "drizzle-orm";
import { z } from "zod";
import { adapters } from "../db/schema.ts";
import type { Queryable } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { HurenError } from "../errors.ts";
import { getMember, memberIdSchema } from "../members/members.ts";
import { getEvidenceType } from "../catalog/store.ts";
import { httpConfigSchema } from "../adapters/http.ts";
import { fixtureConfigSchema } from "../adapters/fixture.ts";

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
  /** Public part of the config: what GET shows. */
  config: Record<string, unknown>;
  enabled: boolean;
  version: number;
  updatedAt: string;
}

/** Keys of a config that are sealed rather than stored: fixture records name people. */
const SEALED_KEYS: Record<AdapterKind, string[]> = { http: [], fixture: ["records"], sql: ["connectionString"] };

function invalid(path: string, message: string): HurenError {
  return new HurenError("invalid-adapter-config", 422, "Invalid adapter configuration", message, {
    errors: [{ path, message }],
  });
}

/** Validates a config for its kind, with defaults applied (what is stored). */
export function parseAdapterConfig(kind: AdapterKind, config: unknown): Record<string, unknown> {
  if (kind === "sql") {
    throw invalid("kind", "sql adapters are not available yet in this gateway version");
  }
  const schema = kind === "http" ? httpConfigSchema : fixtureConfigSchema;
  const parsed = schema.safeParse(config);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({ path: ["config", ...i.path].join("."), message: i.message }));
    throw new HurenError("invalid-adapter-config", 422, "Invalid adapter configuration", "the adapter config is not valid", { errors });
  }
  return parsed.data as Record<string, unknown>;
}

function toRecord(row: typeof adapters.$inferSelect): AdapterRecord {
  const config = { ...row.config };
  if (row.kind === "fixture" && row.sealedSecrets) config.records = "(sealed)";
  return {
    id: row.id,
    department: row.department,
    kind: row.kind as AdapterKind,
    evidenceTypes: row.evidenceTypes,
    config,
    enabled: row.enabled,
    version: row.version,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Validates and stores an adapter, bumping its version on every change.
 * @throws HurenError invalid-adapter-config | unknown-evidence-type (422), conflict (409)
 */
export async function putAdapter(
  db: Queryable,
  secrets: Secrets,
  id: string,
  body: AdapterBody,
): Promise<{ created: boolean; adapter: AdapterRecord }> {
  const department = await getMember(db, body.department);
  if (!department || department.kind !== "department") {
    throw invalid("department", `"${body.department}" is not a registered department`);
  }
  for (const [i, type] of body.evidenceTypes.entries()) {
    if (!(await getEvidenceType(db, type))) {
      throw new HurenError("unknown-evidence-type", 422, "Unknown evidence type", `evidence type "${type}" is not in the catalog`, {
        errors: [{ path: `evidenceTypes.${i}`, message: "unknown evidence type" }],
      });
    }
  }
  const config = parseAdapterConfig(body.kind, body.config);
  const sealedPart: Record<string, unknown> = {};
  const publicPart: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) (SEALED_KEYS[body.kind].includes(k) ? sealedPart : publicPart)[k] = v;
  const sealedSecrets = Object.keys(sealedPart).length ? await secrets.seal(JSON.stringify(sealedPart)) : null;

  if (body.enabled) {
    // Exactly one enabled adapter answers for an evidence type in a region (§4).
    const others = await db.select().from(adapters).where(eq(adapters.enabled, true));
    for (const other of others) {
      if (other.id === id) continue;
      const overlap = other.evidenceTypes.filter((t) => body.evidenceTypes.includes(t));
      if (overlap.length === 0) continue;
      const otherDept = await getMember(db, other.department);
      if (otherDept?.region === department.region) {
        throw new HurenError("conflict", 409, "Adapter conflict", `adapter "${other.id}" already answers for ${overlap.join(", ")} in region ${department.region}`);
      }
    }
  }

  const [existing] = await db.select().from(adapters).where(eq(adapters.id, id));
  const values = {
    department: body.department,
    kind: body.kind,
    evidenceTypes: body.evidenceTypes,
    config: publicPart,
    sealedSecrets,
    enabled: body.enabled,
  };
  const [row] = existing
    ? await db
        .update(adapters)
        .set({ ...values, version: existing.version + 1, updatedAt: new Date() })
        .where(and(eq(adapters.id, id), eq(adapters.version, existing.version)))
        .returning()
    : await db.insert(adapters).values({ id, ...values }).onConflictDoNothing().returning();
  if (!row) throw new HurenError("conflict", 409, "Concurrent change", `adapter "${id}" was changed concurrently; retry`);
  return { created: !existing, adapter: toRecord(row) };
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
    config: { ...row.config, ...sealed },
  };
}
