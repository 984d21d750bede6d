/**
 * The catalog in the database: admin-registered evidence types (the built-ins come from code)
 * and matters with their material lists.
 */
import { asc, eq } from "drizzle-orm";
import type { z } from "zod";
import { evidenceTypes, matters } from "../db/schema.ts";
import type { Queryable } from "../db/types.ts";
import { HurenError } from "../errors.ts";
import { configWrite } from "../config/changes.ts";
import type { EvidenceTypeDef } from "./evidence-types.ts";
import { BUILTIN_EVIDENCE_TYPES, isBuiltinType } from "./builtin-types.ts";
import type { evidenceTypeBodySchema, matterBodySchema } from "./bodies.ts";

export type EvidenceTypeBody = z.infer<typeof evidenceTypeBodySchema>;
export type MatterBody = z.infer<typeof matterBodySchema>;

export type Matter = MatterBody & { code: string };

function rowToType(row: typeof evidenceTypes.$inferSelect): EvidenceTypeDef {
  return { ...(row.definition as Omit<EvidenceTypeDef, "type" | "builtin">), type: row.type, builtin: false };
}

export async function getEvidenceType(db: Queryable, type: string): Promise<EvidenceTypeDef | undefined> {
  const builtin = BUILTIN_EVIDENCE_TYPES.find((t) => t.type === type);
  if (builtin) return builtin;
  const [row] = await db.select().from(evidenceTypes).where(eq(evidenceTypes.type, type));
  return row ? rowToType(row) : undefined;
}

export async function listEvidenceTypes(db: Queryable): Promise<EvidenceTypeDef[]> {
  const rows = await db.select().from(evidenceTypes).orderBy(asc(evidenceTypes.type));
  return [...BUILTIN_EVIDENCE_TYPES, ...rows.map(rowToType)];
}

/**
 * @throws HurenError builtin-type (409) for the five built-in types, which cannot be redefined.
 */
export async function putEvidenceType(db: Queryable, type: string, body: EvidenceTypeBody): Promise<{ created: boolean; type: EvidenceTypeDef }> {
  if (isBuiltinType(type)) {
    throw new HurenError("builtin-type", 409, "Built-in evidence type", `"${type}" is built in and cannot be redefined`);
  }
  const existing = await db.select({ type: evidenceTypes.type }).from(evidenceTypes).where(eq(evidenceTypes.type, type));
  const definition = { ...body } as Record<string, unknown>;
  // This process's config cache reads again at once (the NOTIFY tells the other processes).
  await configWrite("evidence_types", db.insert(evidenceTypes).values({ type, definition }).onConflictDoUpdate({ target: evidenceTypes.type, set: { definition, updatedAt: new Date() } }));
  return { created: existing.length === 0, type: { ...(body as Omit<EvidenceTypeDef, "type" | "builtin">), type, builtin: false } };
}

function rowToMatter(row: typeof matters.$inferSelect): Matter {
  return { code: row.code, name: row.name, region: row.region, requirements: row.requirements };
}

export async function getMatter(db: Queryable, code: string): Promise<Matter | undefined> {
  const [row] = await db.select().from(matters).where(eq(matters.code, code));
  return row ? rowToMatter(row) : undefined;
}

export async function listMatters(db: Queryable): Promise<Matter[]> {
  return (await db.select().from(matters).orderBy(asc(matters.code))).map(rowToMatter);
}

/**
 * Every evidence type a matter lists must exist.
 * @throws HurenError unknown-evidence-type (422)
 */
export async function putMatter(db: Queryable, code: string, body: MatterBody): Promise<{ created: boolean; matter: Matter }> {
  for (const req of body.requirements) {
    if (!(await getEvidenceType(db, req.evidenceType))) {
      throw new HurenError("unknown-evidence-type", 422, "Unknown evidence type", `evidence type "${req.evidenceType}" is not in the catalog`);
    }
  }
  const existing = await getMatter(db, code);
  const values = { name: body.name, region: body.region, requirements: body.requirements };
  await configWrite("matters", db.insert(matters).values({ code, ...values }).onConflictDoUpdate({ target: matters.code, set: { ...values, updatedAt: new Date() } }));
  return { created: existing === undefined, matter: { code, ...values } };
}
