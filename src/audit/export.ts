/**
 * Streaming export of ledger entries, oldest first, as JSON Lines or CSV. Pages through the
 * table by index, so memory stays flat however large the range; the JSONL form is what the
 * offline verifier reads (`huren ledger verify`).
 *
 * The CSV is for people with a spreadsheet: a UTF-8 byte order mark (without it Excel reads the
 * Chinese as GBK and garbles it), one row per evidence item with its status, decision, reasons,
 * basis and citation as columns, and times in China Standard Time with the offset written out.
 * Entries that are not verifications (§5.4) are one row each, with their purpose.
 */
import { and, asc, gte, lt, lte, type SQL } from "drizzle-orm";
import { z } from "zod";
import { ledgerEntries } from "../db/schema.ts";
import type { Db } from "../db/types.ts";
import { entryKind } from "../ledger/record.ts";
import { fromBound, timeBoundSchema, toBound, toCst } from "./dates.ts";
import { purposeSchema } from "./access-log.ts";

export const exportQuerySchema = z.object({
  format: z.enum(["jsonl", "csv"]).default("jsonl"),
  from: timeBoundSchema.optional(),
  to: timeBoundSchema.optional(),
  fromIndex: z.coerce.number().int().min(0).optional(),
  toIndex: z.coerce.number().int().min(0).optional().describe("exclusive"),
  purpose: purposeSchema,
});
export type ExportQuery = z.infer<typeof exportQuerySchema>;

/** Chinese first, the stable English name beside it (what scripts should key on). */
export const CSV_COLUMNS = [
  ["序号", "index"],
  ["时间", "time"],
  ["类型", "kind"],
  ["记录编号", "id"],
  ["请求方", "requester"],
  ["经办人", "uid"],
  ["事项", "matter"],
  ["办件编号", "case"],
  ["主体引用", "subjectRef"],
  ["整体结果", "verificationDecision"],
  ["证照类型", "evidenceType"],
  ["核验状态", "status"],
  ["决定", "decision"],
  ["原因", "reason"],
  ["依据", "basis"],
  ["法规引用", "citation"],
  ["数据来源", "source"],
  ["用途", "purpose"],
  ["叶哈希", "leafHash"],
] as const;

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

interface Row {
  idx: number;
  recordedAt: Date;
  entryJson: string;
  leafHash: string;
}

interface Item {
  type?: string;
  status?: string;
  decision?: string;
  reasons?: string[];
  basis?: string | null;
  citation?: string | null;
  source?: string | null;
}

/** One CSV line per evidence item (or one for an entry without items). */
export function csvRows(r: Row): string {
  const e = JSON.parse(r.entryJson) as Record<string, unknown>;
  const kind = entryKind(e);
  const subject = e.subject as { ref?: string } | undefined;
  const head = [r.idx, toCst(r.recordedAt), kind, e.verificationId ?? e.id, e.requester, e.uid, e.matter, e.case, subject?.ref, kind === "verification" ? e.decision : ""];
  const tail = (purpose: unknown) => [purpose, r.leafHash];
  const items = kind === "verification" ? ((e.items as Item[] | undefined) ?? []) : [];
  if (items.length === 0) return [...head, "", "", "", "", "", "", "", ...tail(e.purpose)].map(csvCell).join(",") + "\r\n";
  return items
    .map((i) => [...head, i.type, i.status, i.decision, (i.reasons ?? []).join(" "), i.basis, i.citation, i.source, ...tail("")].map(csvCell).join(",") + "\r\n")
    .join("");
}

const PAGE = 1000;

/**
 * @example
 * for await (const chunk of exportEntries(db, { format: "jsonl", purpose: "AUD-2026-031" })) res.write(chunk);
 */
export async function* exportEntries(db: Db, q: Omit<ExportQuery, "purpose">): AsyncGenerator<string> {
  const base: SQL[] = [];
  if (q.from) base.push(gte(ledgerEntries.recordedAt, fromBound(q.from)));
  if (q.to) base.push(lte(ledgerEntries.recordedAt, toBound(q.to)));
  if (q.toIndex !== undefined) base.push(lt(ledgerEntries.idx, q.toIndex));
  let next = q.fromIndex ?? 0;
  if (q.format === "csv") yield "\uFEFF" + CSV_COLUMNS.map(([zh, en]) => csvCell(`${zh} ${en}`)).join(",") + "\r\n";
  for (;;) {
    const rows = await db
      .select({ idx: ledgerEntries.idx, recordedAt: ledgerEntries.recordedAt, entryJson: ledgerEntries.entryJson, leafHash: ledgerEntries.leafHash })
      .from(ledgerEntries)
      .where(and(gte(ledgerEntries.idx, next), ...base))
      .orderBy(asc(ledgerEntries.idx))
      .limit(PAGE);
    if (rows.length === 0) return;
    let chunk = "";
    for (const r of rows) {
      // entry_json is canonical already; splice it in verbatim so the hashed bytes travel as stored.
      chunk += q.format === "jsonl" ? `{"index":${r.idx},"leafHash":${JSON.stringify(r.leafHash)},"entry":${r.entryJson}}\n` : csvRows(r);
    }
    yield chunk;
    next = rows[rows.length - 1]!.idx + 1;
    if (rows.length < PAGE) return;
  }
}
