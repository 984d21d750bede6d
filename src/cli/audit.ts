/**
 * Auditor commands: search, subject report, export — each with `--purpose` (the case or ticket
 * reference, §5.4; the gateway ledgers the access). A person's id is read from `--subject-file`
 * or from standard input (a prompt on a terminal), never from argv, where `ps` and the shell's
 * history would keep it.
 */
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { requestToken } from "./client.ts";
import { CliError, out, printJson, printTable, problemLine, usage } from "./output.ts";
import { openSession, parse } from "./session.ts";
import { toCst } from "../audit/dates.ts";

export const AUDIT_USAGE = `  huren audit search --purpose REF [--person] [--subject-file FILE] [--matter CODE] [--requester ID]
               [--uid ID] [--case ID] [--evidence-type TYPE] [--decision D] [--from DAY|TIME] [--to DAY|TIME]
               [--limit N] [--cursor C] --key FILE [--json]   (--person: read the person's id from stdin)
  huren audit subject-report --purpose REF [--subject-file FILE] --key FILE [--json]   (id from stdin without the file)
  huren audit export --purpose REF [--format csv|jsonl] [--from DAY|TIME] [--to DAY|TIME] [--out FILE] --key FILE`;

/** `resident-id:ID`, `uscc:ID`, a bare resident id, or JSON `{ "type", "id" }`. */
export function parseSubject(text: string): { type: string; id: string } {
  const t = text.trim();
  if (!t) throw usage("no person id given");
  if (t.startsWith("{")) {
    try {
      const o = JSON.parse(t) as { type?: unknown; id?: unknown };
      if (typeof o.type === "string" && typeof o.id === "string") return { type: o.type, id: o.id };
    } catch {
      /* fall through */
    }
    throw usage('a subject file in JSON must be { "type": "resident-id", "id": "…" }');
  }
  const m = /^(resident-id|uscc):(.+)$/.exec(t);
  return m ? { type: m[1]!, id: m[2]!.trim() } : { type: "resident-id", id: t };
}

/** The first line of standard input; on a terminal, asks for it on stderr first. */
async function readPerson(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("Person (resident-id:ID or uscc:ID; not echoed to history): ");
  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  throw usage("no person id on standard input (or pass --subject-file FILE)");
}

async function subjectFrom(values: { "subject-file"?: string | boolean | undefined }): Promise<{ type: string; id: string }> {
  if (typeof values["subject-file"] === "string") {
    try {
      return parseSubject(await readFile(values["subject-file"], "utf8"));
    } catch (err) {
      if (err instanceof CliError) throw err;
      throw usage(`${values["subject-file"]}: ${(err as { code?: string }).code === "ENOENT" ? "no such file" : "cannot read"}`);
    }
  }
  return parseSubject(await readPerson());
}

function requirePurpose(purpose: unknown): string {
  if (typeof purpose !== "string" || !purpose.trim()) throw usage("--purpose REF is required: the case or ticket reference this access is for (it is ledgered)");
  return purpose;
}

interface Hit {
  index: number;
  recordedAt: string;
  entry: Record<string, unknown> & { items?: { type: string; status: string }[] };
}

const cst = (iso: unknown) => (typeof iso === "string" ? toCst(new Date(iso)) : iso);

async function search(argv: string[]) {
  const { values } = parse(argv, {
    purpose: { type: "string" },
    person: { type: "boolean", default: false },
    "subject-file": { type: "string" },
    matter: { type: "string" },
    requester: { type: "string" },
    uid: { type: "string" },
    case: { type: "string" },
    "evidence-type": { type: "string" },
    decision: { type: "string" },
    from: { type: "string" },
    to: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
  });
  const session = await openSession(values);
  const byPerson = values.person || values["subject-file"] !== undefined;
  const body = {
    ...(byPerson ? { subject: await subjectFrom(values) } : {}),
    ...(values.purpose !== undefined || byPerson ? { purpose: requirePurpose(values.purpose) } : {}),
    matter: values.matter,
    requester: values.requester,
    uid: values.uid,
    case: values.case,
    evidenceType: values["evidence-type"],
    decision: values.decision,
    from: values.from,
    to: values.to,
    cursor: values.cursor,
    ...(values.limit !== undefined ? { limit: Number(values.limit) } : {}),
  };
  const page = await session.api<{ entries: Hit[]; nextCursor: string | null }>("POST", "/v1/audit/search", body);
  if (session.json) return printJson(page);
  printTable(page.entries, [
    ["index", (h) => h.index],
    ["time (CST)", (h) => cst(h.entry.time ?? h.recordedAt)],
    ["kind", (h) => h.entry.kind ?? "verification"],
    ["requester", (h) => h.entry.requester],
    ["uid", (h) => h.entry.uid],
    ["matter", (h) => h.entry.matter ?? h.entry.action],
    ["case", (h) => h.entry.case ?? h.entry.purpose],
    ["decision", (h) => (h.entry.kind ? "" : h.entry.decision)],
    ["items", (h) => (h.entry.items ?? []).map((i) => `${i.type}=${i.status}`).join(" ")],
  ]);
  if (page.nextCursor) out(`more: --cursor ${page.nextCursor}`);
}

interface Access {
  kind: string;
  time: string;
  index: number;
  window?: { id: string; name: string | null };
  by?: { id: string; name: string | null };
  operator: string | null;
  matter?: { code: string; name: string | null };
  case?: string;
  action?: string;
  purpose?: string | null;
  items?: { evidenceType: string; outcome: string; basis: string | null }[];
}

async function subjectReport(argv: string[]) {
  const { values } = parse(argv, { purpose: { type: "string" }, "subject-file": { type: "string" }, limit: { type: "string" }, cursor: { type: "string" } });
  const purpose = requirePurpose(values.purpose);
  const session = await openSession(values);
  const subject = await subjectFrom(values);
  const body = { subject, purpose, ...(values.limit ? { limit: Number(values.limit) } : {}), ...(values.cursor ? { cursor: values.cursor } : {}) };
  const report = await session.api<{ accesses: Access[]; nextCursor: string | null }>("POST", "/v1/audit/subject-report", body);
  if (session.json) return printJson(report);
  printTable(report.accesses, [
    ["time (CST)", (a) => cst(a.time)],
    ["kind", (a) => a.kind],
    ["who", (a) => (a.window ? `${a.window.name ?? a.window.id}` : `${a.by?.name ?? a.by?.id}`)],
    ["operator", (a) => a.operator],
    ["matter / action", (a) => (a.matter ? (a.matter.name ?? a.matter.code) : a.action)],
    ["case / purpose", (a) => a.case ?? a.purpose],
    ["outcome", (a) => (a.items ?? []).map((i) => `${i.evidenceType}=${i.outcome} (${i.basis ?? "–"})`).join(" ")],
    ["ledger", (a) => a.index],
  ]);
  if (report.nextCursor) out(`more: --cursor ${report.nextCursor}`);
}

async function exportEntries(argv: string[]) {
  const { values } = parse(argv, { purpose: { type: "string" }, format: { type: "string", default: "csv" }, from: { type: "string" }, to: { type: "string" }, out: { type: "string" } });
  const purpose = requirePurpose(values.purpose);
  if (values.format !== "csv" && values.format !== "jsonl") throw usage("--format is csv or jsonl");
  const session = await openSession(values);
  const q = new URLSearchParams({ format: values.format, purpose });
  if (values.from) q.set("from", values.from);
  if (values.to) q.set("to", values.to);
  const path = `/v1/audit/export?${q.toString()}`;
  const res = await fetch(new URL(path, session.gateway), { headers: { authorization: `Bearer ${await requestToken(session.key, "GET", path, "")}` } });
  if (!res.ok || !res.body) {
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    throw new CliError(problemLine(res.status, body));
  }
  const source = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  if (values.out) {
    await pipeline(source, createWriteStream(values.out));
    process.stderr.write(`wrote ${values.out}\n`);
  } else await pipeline(source, process.stdout, { end: false });
}

export async function auditCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  if (verb === "search") return search(rest);
  if (verb === "subject-report") return subjectReport(rest);
  if (verb === "export") return exportEntries(rest);
  throw usage(`usage:\n${AUDIT_USAGE}`);
}
