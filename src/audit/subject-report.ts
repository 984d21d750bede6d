/**
 * "Who looked at my data?" (§8, after Estonia's Data Tracker): for one person, every access —
 * when, for which matter, on which basis, from which window and operator, with what outcome —
 * in words an auditor can hand to the person. Auditors who searched for, reported on or
 * exported this person's record (§5.4 `audit-access`) are listed as such, and so are the
 * person's own earlier reports (`subject-access`). Each access carries its ledger index and leaf
 * hash, so an app can show it checked the entry against a (witnessed) checkpoint.
 */
import { inArray } from "drizzle-orm";
import type { Db } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import type { Subject } from "../catalog/subject.ts";
import { matters, members } from "../db/schema.ts";
import { entryKind } from "../ledger/record.ts";
import { searchLedger, type AuditHit } from "./search.ts";

interface EntryItem {
  type: string;
  decision: string;
  reasons?: string[];
  basis: string | null;
  citation?: string | null;
  fields?: string[];
  status: string;
}

interface Located {
  time: string;
  index: number;
  leafHash: string;
}

export interface VerificationAccess extends Located {
  kind: "verification";
  verificationId: string;
  window: { id: string; name: string | null; region: string | null };
  operator: string | null;
  matter: { code: string; name: string | null };
  case: string;
  consent: string | null;
  items: { evidenceType: string; decision: string; basis: string | null; citation: string | null; disclosed: string[]; outcome: string; source: string | null; reasons: string[] }[];
}

/** An auditor's (or the person's own app's) look at the record: who, why, what they asked. */
export interface RecordAccess extends Located {
  kind: "audit-access" | "subject-access";
  by: { id: string; name: string | null; kind: string | null };
  operator: string | null;
  action: string;
  purpose: string | null;
}

export type SubjectAccess = VerificationAccess | RecordAccess;

type Names = Map<string, { name: string | null; region: string | null; kind: string }>;

function verificationAccess(hit: AuditHit, names: Names, matterNames: Map<string, string>): VerificationAccess {
  const e = hit.entry as Record<string, unknown> & { items?: (EntryItem & { source?: string | null })[] };
  const requester = String(e.requester);
  const w = names.get(requester);
  return {
    kind: "verification",
    time: String(e.time),
    index: hit.index,
    leafHash: hit.leafHash,
    verificationId: String(e.verificationId),
    window: { id: requester, name: w?.name ?? null, region: w?.region ?? (e.requesterRegion as string | null) ?? null },
    operator: (e.uid as string | null) ?? null,
    matter: { code: String(e.matter), name: matterNames.get(String(e.matter)) ?? null },
    case: String(e.case),
    consent: (e.consent as string | null) ?? null,
    items: (e.items ?? []).map((i) => ({
      evidenceType: i.type,
      decision: i.decision,
      basis: i.basis,
      citation: i.citation ?? null,
      disclosed: i.status === "verified" ? ["valid", ...(i.fields ?? [])] : i.status === "invalid" ? ["valid", "certStatus"] : [],
      outcome: i.status,
      source: i.source ?? null,
      reasons: i.reasons ?? [],
    })),
  };
}

function recordAccess(hit: AuditHit, kind: RecordAccess["kind"], names: Names): RecordAccess {
  const e = hit.entry;
  const by = String(e.requester);
  const m = names.get(by);
  return {
    kind,
    time: String(e.time),
    index: hit.index,
    leafHash: hit.leafHash,
    by: { id: by, name: m?.name ?? null, kind: m?.kind ?? null },
    operator: (e.uid as string | null) ?? null,
    action: String(e.action ?? kind),
    purpose: (e.purpose as string | undefined) ?? null,
  };
}

/**
 * @example
 * const report = await subjectReport(db, secrets, { type: "resident-id", id }, { limit: 200 });
 */
export async function subjectReport(db: Db, secrets: Secrets, subject: Subject, page: { limit: number; cursor?: string | undefined }): Promise<{ accesses: SubjectAccess[]; nextCursor: string | null }> {
  const { entries, nextCursor } = await searchLedger(db, secrets, { subject, limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}) });
  const memberIds = [...new Set(entries.map((e) => String(e.entry.requester)))];
  const matterCodes = [...new Set(entries.filter((e) => entryKind(e.entry) === "verification").map((e) => String(e.entry.matter)))];
  const memberRows = memberIds.length ? await db.select({ id: members.id, name: members.name, region: members.region, kind: members.kind }).from(members).where(inArray(members.id, memberIds)) : [];
  const matterRows = matterCodes.length ? await db.select({ code: matters.code, name: matters.name }).from(matters).where(inArray(matters.code, matterCodes)) : [];
  const names: Names = new Map(memberRows.map((m) => [m.id, { name: m.name, region: m.region, kind: m.kind }]));
  const matterNames = new Map(matterRows.map((m) => [m.code, m.name]));

  const accesses = entries.flatMap((hit): SubjectAccess[] => {
    const kind = entryKind(hit.entry);
    if (kind === "verification") return [verificationAccess(hit, names, matterNames)];
    if (kind === "audit-access" || kind === "subject-access") return [recordAccess(hit, kind, names)];
    return [];
  });
  return { accesses, nextCursor };
}
