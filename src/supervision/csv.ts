/**
 * CSV for the monthly report: UTF-8 with a byte-order mark (so WPS and Excel read the Chinese
 * names as UTF-8), CRLF line ends, RFC 4180 quoting. A file holds sections: a line `[name]`, a
 * header line, the rows, a blank line.
 */
export type Cell = string | number | null;
export interface Section {
  name: string;
  header: string[];
  rows: Cell[][];
}

export const BOM = "\uFEFF";

const quote = (c: Cell): string => {
  const s = c === null ? "" : String(c);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** @example toCsv([{ name: "totals", header: ["items"], rows: [[3]] }]) // "\uFEFF[totals]\r\nitems\r\n3\r\n\r\n" */
export function toCsv(sections: Section[]): string {
  const lines: string[] = [];
  for (const s of sections) lines.push(`[${s.name}]`, s.header.map(quote).join(","), ...s.rows.map((r) => r.map(quote).join(",")), "");
  return BOM + lines.join("\r\n") + "\r\n";
}

/** Splits CSV text (with or without BOM) into records of fields. */
export function parseCsvRecords(text: string): string[][] {
  const src = text.startsWith(BOM) ? text.slice(1) : text;
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"' && src[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") record.push(field), (field = "");
    else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && src[i + 1] === "\n") i++;
      record.push(field);
      records.push(record);
      record = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || record.length > 0) record.push(field), records.push(record);
  return records;
}

/** The sections of a file written by toCsv; every cell comes back as text. */
export function parseSections(text: string): { name: string; header: string[]; rows: string[][] }[] {
  const out: { name: string; header: string[]; rows: string[][] }[] = [];
  let current: { name: string; header: string[]; rows: string[][] } | undefined;
  for (const r of parseCsvRecords(text)) {
    if (r.length === 1 && r[0] === "") {
      current = undefined;
      continue;
    }
    const m = r.length === 1 ? /^\[(.+)\]$/.exec(r[0]!) : null;
    if (m && !current) out.push((current = { name: m[1]!, header: [], rows: [] }));
    else if (current && current.header.length === 0) current.header = r;
    else current?.rows.push(r);
  }
  return out;
}
