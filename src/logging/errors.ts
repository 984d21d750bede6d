/**
 * What an unexpected error may put in a log line. Messages can carry input (`JSON.parse` quotes
 * the text it choked on) and a database error carries its SQL and parameters (drizzle's
 * `DrizzleQueryError` message is `Failed query: … params: …`; PostgreSQL's `detail` quotes the
 * offending values): a ledger entry, a case number, a consent's proof. So a log line gets:
 * - for a database error, `database-error` with only the SQLSTATE and the constraint's name
 *   (issue #10 §8);
 * - for anything else, the error's class, a short code if it has one, and where in the
 *   gateway's own code it was thrown — never its message, which goes only to a `debug` event.
 */

export interface LoggableError {
  error: string;
  /** SQLSTATE (e.g. `23514`) or a driver code (e.g. `ECONNREFUSED`). */
  code?: string;
  constraint?: string;
  /** The first stack frame inside the gateway's own code, `src/…/file.ts:line`. */
  where?: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** The error and its causes, at most 8 deep. */
function chain(err: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let e = err, i = 0; typeof e === "object" && e !== null && i < 8; e = (e as { cause?: unknown }).cause, i++) out.push(e as Record<string, unknown>);
  return out;
}

function where(stack: string | undefined): string | undefined {
  for (const line of (stack ?? "").split("\n").slice(1)) {
    if (line.includes("node_modules")) continue;
    const at = /((?:src|packages|dist|test)\/[^\s():]+):(\d+)/.exec(line);
    if (at) return `${at[1]}:${at[2]}`;
  }
  return undefined;
}

/**
 * @example describeError(new DrizzleQueryError("insert …", [entryJson], pgError)) // { error: "database-error", code: "23514", constraint: "…" }
 * @example describeError(new TypeError("x is undefined")) // { error: "TypeError", where: "src/routes/x.ts:42" }
 */
export function describeError(err: unknown): LoggableError {
  const links = chain(err);
  const code = links.map((e) => e.code).find((c): c is string => typeof c === "string" && /^[\w-]{1,32}$/.test(c));
  if (links.some((e) => "params" in e || "query" in e || (typeof e.code === "string" && SQLSTATE.test(e.code)))) {
    const constraint = links.map((e) => e.constraint ?? e.constraint_name).find((c): c is string => typeof c === "string");
    return { error: "database-error", ...(code ? { code } : {}), ...(constraint ? { constraint } : {}) };
  }
  if (!(err instanceof Error)) return { error: typeof err };
  const at = where(err.stack);
  return { error: err.name, ...(code ? { code } : {}), ...(at ? { where: at } : {}) };
}

/** The message, for a debug event only. */
export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
