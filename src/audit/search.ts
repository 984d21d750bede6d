/**
 * The auditor's search over the access ledger (§8): filters, newest first, cursor paging.
 * A person is searched by keyed reference (HMAC of type:id), never by a raw-id column.
 */
import { and, desc, eq, gte, lt, lte, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { ledgerEntries } from "../db/schema.ts";
import type { Db } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import { subjectSchema } from "../catalog/subject.ts";
import { HurenError } from "../errors.ts";
import { b64url, fromB64url } from "../crypto/encoding.ts";
import { fromBound, timeBoundSchema, toBound } from "./dates.ts";
import { purposeSchema } from "./access-log.ts";

export const DECISIONS = ["permitted", "partial", "denied"] as const;

export const auditSearchSchema = z
  .object({
    subject: subjectSchema.optional(),
    requester: z.string().max(64).optional(),
    uid: z.string().max(64).optional(),
    case: z.string().max(64).optional(),
    matter: z.string().max(64).optional(),
    evidenceType: z.string().max(64).optional(),
    decision: z.enum(DECISIONS).optional(),
    from: timeBoundSchema.optional(),
    to: timeBoundSchema.optional(),
    cursor: z.string().max(64).optional(),
    limit: z.number().int().min(1).max(500).default(50),
    purpose: purposeSchema.optional().describe("Required with `subject` (§5.4): the case or ticket reference; the search is then ledgered"),
  })
  .strict()
  .superRefine((q, ctx) => {
    if (q.subject && q.purpose === undefined) ctx.addIssue({ code: "custom", path: ["purpose"], message: "purpose is required when searching by person (the case or ticket reference, 1–128 characters)" });
  });
export type AuditSearch = z.infer<typeof auditSearchSchema>;

export interface AuditHit {
  index: number;
  recordedAt: string;
  entry: Record<string, unknown>;
  leafHash: string;
}

const encodeCursor = (idx: number) => b64url(new TextEncoder().encode(`before:${idx}`));
function decodeCursor(cursor: string): number {
  try {
    const m = /^before:(\d+)$/.exec(new TextDecoder().decode(fromB64url(cursor)));
    if (m) return Number(m[1]);
  } catch {
    /* fall through */
  }
  throw new HurenError("validation-failed", 400, "Validation failed", "cursor is not one this gateway issued", { errors: [{ path: "cursor", message: "invalid cursor" }] });
}

/** The WHERE conditions shared by search and the subject report. */
export async function auditConditions(secrets: Secrets, q: Omit<AuditSearch, "limit" | "cursor" | "purpose">): Promise<SQL[]> {
  const where: SQL[] = [];
  if (q.subject) where.push(eq(ledgerEntries.subjectRef, await secrets.subjectRef(q.subject)));
  if (q.requester) where.push(eq(ledgerEntries.requester, q.requester));
  if (q.uid) where.push(eq(ledgerEntries.uid, q.uid));
  if (q.case) where.push(eq(ledgerEntries.caseRef, q.case));
  if (q.matter) where.push(eq(ledgerEntries.matter, q.matter));
  if (q.decision) where.push(eq(ledgerEntries.decision, q.decision));
  if (q.evidenceType) where.push(sql`${ledgerEntries.evidenceTypes} @> ${JSON.stringify([q.evidenceType])}::jsonb`);
  if (q.from) where.push(gte(ledgerEntries.recordedAt, fromBound(q.from)));
  if (q.to) where.push(lte(ledgerEntries.recordedAt, toBound(q.to)));
  return where;
}

/**
 * @example
 * const page = await searchLedger(db, secrets, { subject: { type: "resident-id", id }, limit: 50 });
 * // page.entries newest first; pass page.nextCursor back for the next page
 */
export async function searchLedger(db: Db, secrets: Secrets, q: Omit<AuditSearch, "purpose">): Promise<{ entries: AuditHit[]; nextCursor: string | null }> {
  const where = await auditConditions(secrets, q);
  if (q.cursor) where.push(lt(ledgerEntries.idx, decodeCursor(q.cursor)));
  const rows = await db
    .select({ idx: ledgerEntries.idx, recordedAt: ledgerEntries.recordedAt, entryJson: ledgerEntries.entryJson, leafHash: ledgerEntries.leafHash })
    .from(ledgerEntries)
    .where(and(...where))
    .orderBy(desc(ledgerEntries.idx))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return {
    entries: page.map((r) => ({ index: r.idx, recordedAt: r.recordedAt.toISOString(), entry: JSON.parse(r.entryJson) as Record<string, unknown>, leafHash: r.leafHash })),
    nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]!.idx) : null,
  };
}
