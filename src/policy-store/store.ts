/**
 * Stored policy documents. Every change is a new version with a content hash; the old ones are
 * kept, so a ledger entry's `policyVersion` can always be looked up. Putting an identical
 * document again is a no-op (bootstrap is applied at every start).
 */
import canonicalize from "canonicalize";
import { and, asc, eq } from "drizzle-orm";
import { policies, policyVersions } from "../db/schema.ts";
import type { Db, Queryable } from "../db/types.ts";
import { sha256b64url } from "../crypto/encoding.ts";
import { HurenError, type FieldError } from "../errors.ts";
import { governedTypes, policySections, type PolicyDocument, type PolicyVersion } from "../policies/model.ts";
import { getEvidenceType } from "../catalog/store.ts";
import { claimFieldNames } from "../catalog/evidence-types.ts";
import { getMember } from "../members/members.ts";
import { configWrite } from "../config/changes.ts";

export const policyHash = (doc: PolicyDocument): Promise<string> => sha256b64url(canonicalize(doc)!);

function toVersion(row: { id: string; version: number; hash: string; document: unknown }): PolicyVersion {
  return { id: row.id, version: row.version, hash: row.hash, document: row.document as PolicyDocument };
}

/**
 * A document must name what exists: its evidence types, its department, and only claims its
 * types have (a misspelt field would otherwise silently disclose nothing).
 * @throws HurenError unknown-evidence-type | unknown-member | validation-failed (422)
 */
export async function checkPolicyAgainstCatalog(db: Queryable, doc: PolicyDocument): Promise<void> {
  if (doc.department !== undefined) {
    const dept = await getMember(db, doc.department);
    if (dept?.kind !== "department") throw new HurenError("unknown-member", 422, "Unknown department", `"${doc.department}" is not a registered department`, { errors: [{ path: "department", message: "not a registered department" }] });
  }
  const errors: FieldError[] = [];
  for (const { evidenceType, section } of policySections(doc)) {
    const def = await getEvidenceType(db, evidenceType);
    const at = doc.evidenceType !== undefined ? "" : `evidenceTypes.${evidenceType}.`;
    if (!def) throw new HurenError("unknown-evidence-type", 422, "Unknown evidence type", `evidence type "${evidenceType}" is not in the catalog`, { errors: [{ path: at ? `evidenceTypes.${evidenceType}` : "evidenceType", message: "unknown evidence type" }] });
    const names = claimFieldNames(def);
    section.rules.forEach((rule, r) =>
      rule.fields.forEach((f, i) => {
        if (!names.includes(f)) errors.push({ path: `${at}rules.${r}.fields.${i}`, message: `"${f}" is not a claim of ${evidenceType}` });
      }),
    );
  }
  if (errors.length > 0) throw new HurenError("invalid-policy", 422, "Policy names unknown claims", "the policy lists fields its evidence type does not have", { errors });
}

/**
 * Checks the document against the catalog, then stores it as a new version unless unchanged.
 * @example
 * const { policy, changed } = await putPolicy(db, "dibao", { evidenceType: "subsistence-allowance.certificate", rules: [...] });
 */
export async function putPolicy(db: Db, id: string, document: PolicyDocument): Promise<{ policy: PolicyVersion; created: boolean; changed: boolean }> {
  await checkPolicyAgainstCatalog(db, document);
  const hash = await policyHash(document);
  // This process's config cache reads again at once (the NOTIFY tells the other processes).
  return configWrite("policies", db.transaction(async (tx) => {
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
  }));
}

export async function getPolicy(db: Queryable, id: string): Promise<PolicyVersion | undefined> {
  const [row] = await db.select().from(policies).where(eq(policies.id, id));
  return row ? toVersion(row) : undefined;
}

export async function listPolicies(db: Queryable): Promise<PolicyVersion[]> {
  return (await db.select().from(policies).orderBy(asc(policies.id))).map(toVersion);
}

/** One stored version, current or past: what a ledger entry's `policyVersion` (`id@n`) names. */
export async function getPolicyVersion(db: Queryable, id: string, version: number): Promise<PolicyVersion | undefined> {
  const [row] = await db.select().from(policyVersions).where(and(eq(policyVersions.id, id), eq(policyVersions.version, version)));
  return row ? toVersion(row) : undefined;
}

/**
 * Current versions of the policies governing the given evidence types, by id. A city has tens
 * of documents, not thousands, so they are filtered here rather than by a JSON query that
 * would have to know both document forms.
 */
export async function policiesFor(db: Queryable, types: string[]): Promise<PolicyVersion[]> {
  return types.length === 0 ? [] : governing(await listPolicies(db), types);
}

/** Those of `policies` that govern any of `types`: what {@link policiesFor} keeps. */
export function governing(policies: readonly PolicyVersion[], types: readonly string[]): PolicyVersion[] {
  const wanted = new Set(types);
  return policies.filter((p) => governedTypes(p.document).some((t) => wanted.has(t)));
}
