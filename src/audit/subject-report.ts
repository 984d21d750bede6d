/**
 * "Who looked at my data?" (§8, after Estonia's Data Tracker): for one person, every access —
 * when, for which matter, on which basis, from which window and operator, with what outcome —
 * in words an auditor can hand to the person.
 */
import { inArray } from "drizzle-orm";
import type { Db } from "../db/types.ts";
import type { Secrets } from "../crypto/secrets.ts";
import type { Subject } from "../catalog/subject.ts";
import { matters, members } from "../db/schema.ts";
import { searchLedger } from "./search.ts";

interface EntryItem {
  type: string;
  decision: string;
  reasons?: string[];
  basis: string | null;
  citation?: string | null;
  fields?: string[];
  status: string;
  source?: string | null;
}

export interface SubjectAccess {
  time: string;
  index: number;
  verificationId: string;
  window: { id: string; name: string | null; region: string | null };
  operator: string | null;
  matter: { code: string; name: string | null };
  case: string;
  consent: string | null;
  items: { evidenceType: string; decision: string; basis: string | null; citation: string | null; disclosed: string[]; outcome: string; source: string | null; reasons: string[] }[];
}

/**
 * @example
 * const report = await subjectReport(db, secrets, { type: "resident-id", id }, { limit: 200 });
 */
export async function subjectReport(db: Db, secrets: Secrets, subject: Subject, page: { limit: number; cursor?: string | undefined }): Promise<{ accesses: SubjectAccess[]; nextCursor: string | null }> {
  const { entries, nextCursor } = await searchLedger(db, secrets, { subject, limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}) });
  const windowIds = [...new Set(entries.map((e) => String(e.entry.requester)))];
  const matterCodes = [...new Set(entries.map((e) => String(e.entry.matter)))];
  const windows = windowIds.length ? await db.select({ id: members.id, name: members.name, region: members.region }).from(members).where(inArray(members.id, windowIds)) : [];
  const matterRows = matterCodes.length ? await db.select({ code: matters.code, name: matters.name }).from(matters).where(inArray(matters.code, matterCodes)) : [];
  const windowById = new Map(windows.map((w) => [w.id, w]));
  const matterByCode = new Map(matterRows.map((m) => [m.code, m.name]));

  const accesses = entries.map(({ index, entry }): SubjectAccess => {
    const e = entry as Record<string, unknown> & { items?: EntryItem[] };
    const requester = String(e.requester);
    const w = windowById.get(requester);
    return {
      time: String(e.time),
      index,
      verificationId: String(e.verificationId),
      window: { id: requester, name: w?.name ?? null, region: w?.region ?? (e.requesterRegion as string | null) ?? null },
      operator: (e.uid as string | null) ?? null,
      matter: { code: String(e.matter), name: matterByCode.get(String(e.matter)) ?? null },
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
  });
  return { accesses, nextCursor };
}
