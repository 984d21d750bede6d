/**
 * `huren supervision <view>`: the supervision office's reading of §10 (电子监察), signed with a
 * supervisor key file. Tables for people, `--json` for scripts, `--csv` (UTF-8 with BOM) for
 * WPS and Excel.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { BOM, toCsv, type Cell } from "../supervision/csv.ts";
import { loadKeyFile, signedFetch } from "./client.ts";

export const SUPERVISION_USAGE = `  huren supervision departments|windows [--from YYYY-MM-DD] [--to YYYY-MM-DD] --key FILE [--json|--csv]
  huren supervision ranking [--date YYYY-MM-DD] --key FILE [--json|--csv]      (一天一排名)
  huren supervision cards [--state open|acknowledged|closed] --key FILE [--json|--csv]
  huren supervision acknowledge|close CARD_ID --note TEXT --key FILE
  huren supervision report --month YYYY-MM --key FILE [--json|--csv] [--out FILE]   (每月统计分析)
               FILE is a supervisor (or admin) key file, e.g. .huren/demo/city-supervision.cli.json`;

const out = (line: string): void => void process.stdout.write(line + "\n");

/** Terminal width of a string: CJK and full-width characters take two columns. */
const width = (s: string) => [...s].reduce((n, ch) => n + (/[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/.test(ch) ? 2 : 1), 0);
const pad = (s: string, w: number, right: boolean) => (right ? " ".repeat(w - width(s)) + s : s + " ".repeat(w - width(s)));

/** A plain text table; numbers right-aligned. */
export function table(header: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map((c) => (c === null ? "–" : String(c))));
  const widths = header.map((h, i) => Math.max(width(h), ...text.map((r) => width(r[i] ?? ""))));
  const numeric = header.map((_, i) => rows.every((r) => r[i] === null || typeof r[i] === "number"));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!, numeric[i]!)).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "─".repeat(w))), ...text.map(line)].join("\n");
}

const pct = (v: unknown) => (typeof v === "number" ? `${(v * 100).toFixed(1)}%` : null);
const codes = (m: Record<string, number>) => Object.entries(m).map(([k, v]) => `${k}:${v}`).join(" ") || "";

type View = { header: string[]; rows: Cell[][]; headline?: string };

function views(verb: string, body: any): View {
  switch (verb) {
    case "departments":
      return {
        header: ["部门 department", "asked", "answered", "履约率 fulfilment", "p50 ms", "p95 ms", "p99 ms", "breaches", "unavailable"],
        rows: body.departments.flatMap((d: any) => [
          [`${d.name} (${d.department})`, d.asked, d.answered, pct(d.fulfilment), d.p50Ms, d.p95Ms, d.p99Ms, d.breaches, codes(d.unavailable)],
          ...d.adapters.map((a: any) => [`  ${a.adapter} · ${a.evidenceType}`, a.asked, a.answered, pct(a.fulfilment), a.p50Ms, a.p95Ms, a.p99Ms, null, codes(a.unavailable)]),
        ]),
      };
    case "ranking":
      return {
        header: ["名次 rank", "昨日 previous", "部门 department", "履约率 fulfilment", "p95 ms", "asked"],
        rows: body.ranking.map((r: any) => [r.rank, r.previousRank, r.department, pct(r.fulfilment), r.p95Ms, r.asked]),
      };
    case "windows": {
      const free = body.windows.reduce((s: number, w: any) => s + w.certificateFree, 0);
      return {
        headline: `免提交证明 certificateFree: ${free}  (copies nobody had to bring, ${body.from} – ${body.to})`,
        header: ["窗口 / 经办人 window / operator", "免证 certificateFree", "verifications", "items", "denials"],
        rows: body.windows.flatMap((w: any) => [
          [w.window, w.certificateFree, w.verifications, w.items, codes(w.denials)],
          ...w.operators.map((o: any) => [`  ${o.operator}`, o.certificateFree, o.verifications, o.items, codes(o.denials)]),
        ]),
      };
    }
    case "cards":
      return {
        header: ["card", "牌 level", "rule", "target", "period from", "count", "threshold", "state", "evidence (ledger indexes)"],
        rows: body.cards.map((c: any) => [c.id, c.level === "red" ? "红 red" : "黄 yellow", c.rule, `${c.target.kind}:${c.target.id}`, c.period.from, c.count, c.threshold, c.state, c.evidence.slice(0, 8).join(",") + (c.evidence.length > 8 ? "…" : "")]),
      };
    default:
      throw new Error(`unknown view ${verb}`);
  }
}

const query = (params: Record<string, string | undefined>) => {
  const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
  return q.size ? `?${q}` : "";
};

export async function supervisionCommand(argv: string[]): Promise<void> {
  const [verb, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      key: { type: "string" },
      gateway: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      date: { type: "string" },
      state: { type: "string" },
      month: { type: "string" },
      note: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      csv: { type: "boolean", default: false },
    },
  });
  if (!values.key) throw new Error(`supervision needs --key\n${SUPERVISION_USAGE}`);
  const key = await loadKeyFile(values.key);
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await signedFetch(key, method, path, body, values.gateway ?? key.gateway);
    if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${typeof res.body === "string" ? res.body : JSON.stringify(res.body)}`);
    return res.body as any;
  };

  if (verb === "acknowledge" || verb === "close") {
    if (!positionals[0] || !values.note) throw new Error(`${verb} needs CARD_ID and --note\n${SUPERVISION_USAGE}`);
    const card = await call("POST", `/v1/supervision/cards/${encodeURIComponent(positionals[0])}/${verb}`, { note: values.note });
    return out(values.json ? JSON.stringify(card, null, 2) : `${card.id}: ${card.state}`);
  }
  if (verb === "report") {
    if (!values.month) throw new Error(`report needs --month YYYY-MM\n${SUPERVISION_USAGE}`);
    const csv = values.csv;
    const body = await call("GET", `/v1/supervision/reports/monthly${query({ month: values.month, format: csv ? "csv" : "json" })}`);
    // fetch's text() drops the BOM; put it back so WPS and Excel read UTF-8.
    const text = csv ? (String(body).startsWith(BOM) ? String(body) : BOM + String(body)) : JSON.stringify(body, null, 2) + "\n";
    if (values.out) return writeFile(values.out, text);
    if (csv || values.json) return void process.stdout.write(text);
    const t = body.totals;
    out(`每月统计分析 Monthly report ${body.month}`);
    out(`  免提交证明 certificateFree: ${t.certificateFree}   (copies nobody had to bring)`);
    out(`  verifications ${t.verifications} · items ${t.items} · denied ${t.denied} · unavailable ${t.unavailable} · cards opened ${body.cards.opened}, closed ${body.cards.closed}`);
    out("");
    for (const v of ["departments", "windows"] as const) out(table(views(v, body).header, views(v, body).rows) + "\n");
    return out(table(["事项 matter", "免证 certificateFree", "verifications", "items"], body.matters.map((m: any) => [m.matter, m.certificateFree, m.verifications, m.items])));
  }
  const path: Record<string, string> = {
    departments: `/v1/supervision/departments${query({ from: values.from, to: values.to })}`,
    windows: `/v1/supervision/windows${query({ from: values.from, to: values.to })}`,
    ranking: `/v1/supervision/ranking${query({ date: values.date })}`,
    cards: `/v1/supervision/cards${query({ state: values.state })}`,
  };
  if (!verb || !path[verb]) throw new Error(`unknown supervision view ${verb ?? ""}\n${SUPERVISION_USAGE}`);
  const body = await call("GET", path[verb]);
  if (values.json) return out(JSON.stringify(body, null, 2));
  const view = views(verb, body);
  if (values.csv) return void process.stdout.write(toCsv([{ name: verb, header: view.header, rows: view.rows }]));
  if (view.headline) out(view.headline + "\n");
  out(table(view.header, view.rows));
}
