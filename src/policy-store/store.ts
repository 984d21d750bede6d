/**
 * Stored policy documents. Every change is a new version with a content hash; the old ones are
 * kept, so a ledger entry's `policyVersion` can always be looked up. Putting an identical
 * document again is a no-op (bootstrap is applied at every start).
 */
import canonicalize from "canonicalize";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { policies, policyVersions } from "../db/schema.ts";
import type { Db, Queryable } from "../db/types.ts";
import { sha256b64url } from "../crypto/encoding.ts";
import { HurenError } from "../errors.ts";
import type { PolicyDocument, PolicyVersion } from "../policies/model.ts";

export const policyHash = (doc: PolicyDocument): Promise<string> => sha256b64url(canonicalize(doc)!);

function toVersion(row: { id: string; version: number; hash: string; document: unknown }): PolicyVersion {
  return { id: row.id, version: row.version, hash: row.hash, document: row.document as PolicyDocument };
}

/**
 * @example
 * const { policy, changed } = await putPolicy(db, "dibao", { evidenceType: "subsistence-allowance.certificate", rules: [...] });
 */
export async function putPolicy(db: Db, id: string, document: PolicyDocument): Promise<{ policy: PolicyVersion; created: boolean; changed: boolean }> {
  const hash = await policyHash(document);
  return db.transaction(async (tx) => {
    // Lock the row (if any) so two admins cannot both create version n+1.
    const [current] = await tx.select().from(policies).where(eq(policies.id, id)).for("update");
    if (current?.hash === hash) return { policy: toVersion(current), created: false, changed: false };
    const version = (current?.version ?? 0) + 1;
    const values = { id, version, hash, document: document as unknown as Record<string, unknown> };
    await tx.insert(policyVersions).values(values).onConflictDoNothing();
    const written = current
      ? await tx.update(policies).set({ version, hash, document: values.document, updatedAt: new Date() }).where(and(eq(policies.id, id), eq(policies.version, current.version))).returning()
      : await tx.insert(policies).values(values).onConflictDoNothing().returning();
    if (written.length === 0) throw new HurenError("conflict", 409, "Concurrent change", `policy "${id}" was changed concurrently; retry`);
    return { policy: toVersion(values), created: !current, changed: true };
  });
}

export async function getPolicy(db: Queryable, id: string): Promise<PolicyVersion | undefined> {
  const [row] = await db.select().from(policies).where(eq(policies.id, id));
  return row ? toVersion(row) : undefined;
}

export async function listPolicies(db: Queryable): Promise<PolicyVersion[]> {
  return (await db.select().from(policies).orderBy(asc(policies.id))).map(toVersion);
}

/** Current versions of the policies governing the given evidence types. */
export async function policiesFor(db: Queryable, types: string[]): Promise<PolicyVersion[]> {
  if (types.length === 0) return [];
  const rows = await db
    .select()
    .from(policies)
    .where(inArray(sql`${policies.document}->>'evidenceType'`, types));
  return rows.map(toVersion);
}
