/**
 * Streaming export of ledger entries, oldest first, as JSON Lines or CSV. Pages through the
 * table by index, so memory stays flat however large the range; the JSONL form is what the
 * offline verifier reads (`huren ledger verify`).
 */
import { and, asc, gte, lt, lte, type SQL } from "drizzle-orm";
import { z } from "zod";
import { ledgerEntries } from "../db/schema.ts";
import type { Db } from "../db/types.ts";

export const exportQuerySchema = z.object({
  format: z.enum(["jsonl", "csv"]).default("jsonl"),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  fromIndex: z.coerce.number().int().min(0).optional(),
  toIndex: z.coerce.number().int().min(0).optional().describe("exclusive"),
});
export type ExportQuery = z.infer<typeof exportQuerySchema>;

const CSV_COLUMNS = ["index", "recordedAt", "verificationId", "requester", "uid", "matter", "case", "decision", "evidenceTypes", "subjectRef", "leafHash", "entry"] as const;
const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

const PAGE = 1000;

/**
 * @example
 * for await (const chunk of exportEntries(db, { format: "jsonl" })) res.write(chunk);
 */
export async function* exportEntries(db: Db, q: ExportQuery): AsyncGenerator<string> {
  const base: SQL[] = [];
  if (q.from) base.push(gte(ledgerEntries.recordedAt, new Date(q.from)));
  if (q.to) base.push(lte(ledgerEntries.recordedAt, new Date(q.to)));
  if (q.toIndex !== undefined) base.push(lt(ledgerEntries.idx, q.toIndex));
  let next = q.fromIndex ?? 0;
  if (q.format === "csv") yield CSV_COLUMNS.join(",") + "\r\n";
  for (;;) {
    const rows = await db
      .select()
      .from(ledgerEntries)
      .where(and(gte(ledgerEntries.idx, next), ...base))
      .orderBy(asc(ledgerEntries.idx))
      .limit(PAGE);
    if (rows.length === 0) return;
    let chunk = "";
    for (const r of rows) {
      if (q.format === "jsonl") {
        // entry_json is canonical already; splice it in verbatim so the hashed bytes travel as stored.
        chunk += `{"index":${r.idx},"leafHash":${JSON.stringify(r.leafHash)},"entry":${r.entryJson}}\n`;
      } else {
        const cells = [r.idx, r.recordedAt.toISOString(), r.verificationId, r.requester, r.uid, r.matter, r.caseRef, r.decision, r.evidenceTypes.join(" "), r.subjectRef, r.leafHash, r.entryJson];
        chunk += cells.map(csvCell).join(",") + "\r\n";
      }
    }
    yield chunk;
    next = rows[rows.length - 1]!.idx + 1;
    if (rows.length < PAGE) return;
  }
}
