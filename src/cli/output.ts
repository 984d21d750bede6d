/**
 * What every command shares: one clear line per error with a documented exit code, tables by
 * default and JSON with `--json`, and quiet exit when the reader of stdout goes away (`| head`).
 *
 * Exit codes (docs/cli.md): 0 done; 1 the gateway refused or the check failed; 2 usage (bad
 * flags, unreadable file); 3 the gateway could not be reached; 4 `huren diff` found changes.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, changes: 4 } as const;

/** An error the CLI prints as one line and exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.failed,
  ) {
    super(message);
    this.name = "CliError";
  }
}

export const usage = (message: string) => new CliError(message, EXIT.usage);

/** An RFC 9457 problem as one line: "Forbidden for this kind of member: a window may not … (HTTP 403 forbidden-for-kind)". */
export function problemLine(status: number, body: unknown): string {
  if (body && typeof body === "object" && "title" in body) {
    const p = body as { title?: unknown; detail?: unknown; type?: unknown; errors?: { path: string; message: string }[] };
    const code = typeof p.type === "string" ? ` ${p.type.split("/").pop()}` : "";
    const fields = Array.isArray(p.errors) && p.errors.length ? ` — ${p.errors.map((e) => `${e.path}: ${e.message}`).join("; ")}` : "";
    return `${String(p.title)}: ${String(p.detail ?? "")}${fields} (HTTP ${status}${code})`;
  }
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ""}`;
}

export const out = (line: string) => {
  process.stdout.write(line + "\n");
};

export const printJson = (value: unknown) => out(JSON.stringify(value, null, 2));

/** Display width: CJK characters take two columns in a terminal. */
function width(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return w;
}

const cell = (v: unknown): string => (v === null || v === undefined ? "–" : typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v));

/** Prints rows as an aligned table; `columns` are [header, accessor]. */
export function printTable<T>(rows: T[], columns: [string, (row: T) => unknown][]): void {
  const cells = rows.map((r) => columns.map(([, get]) => cell(get(r)).replace(/\s+/g, " ")));
  const widths = columns.map(([h], i) => Math.max(width(h), ...cells.map((c) => width(c[i]!))));
  const line = (parts: string[]) => parts.map((p, i) => (i === parts.length - 1 ? p : p + " ".repeat(widths[i]! - width(p)))).join("  ");
  out(line(columns.map(([h]) => h)));
  for (const c of cells) out(line(c));
  if (rows.length === 0) out("(none)");
}

/**
 * Output to a closed pipe (`huren … | head`) is not an error: stop quietly. Without this Node
 * throws EPIPE from the next write and prints a stack trace.
 */
export function exitQuietlyOnEpipe(): void {
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

/** The CLI's top-level catch: one line on stderr, the documented exit code. */
export function reportError(err: unknown): void {
  if (err instanceof CliError) {
    process.stderr.write(`huren: ${err.message}\n`);
    process.exitCode = err.code;
    return;
  }
  const e = err as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  const code = e?.cause?.code ?? e?.code;
  // fetch() rejects with TypeError "fetch failed" and the network error as its cause.
  if ((code && ["ECONNREFUSED", "ENOTFOUND", "ECONNRESET", "ETIMEDOUT", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"].includes(code)) || (err instanceof TypeError && e.message === "fetch failed")) {
    process.stderr.write(`huren: cannot reach the gateway (${code ?? e.cause?.message ?? "network error"})\n`);
    process.exitCode = EXIT.unreachable;
    return;
  }
  // Parse errors from node:util parseArgs are the caller's mistake.
  if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) {
    process.stderr.write(`huren: ${e.message}\n`);
    process.exitCode = EXIT.usage;
    return;
  }
  process.stderr.write(`huren: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}\n`);
  process.exitCode = EXIT.failed;
}
