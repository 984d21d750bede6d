/**
 * What of an error may go into a log. A database error carries its SQL and parameters (drizzle's
 * `DrizzleQueryError` message is `Failed query: … params: …`; PostgreSQL's `detail` quotes the
 * offending values): a ledger entry, a case number, a consent's proof. Logs get only the
 * SQLSTATE code and the constraint's name for those (issue #10 §8); other errors keep their
 * name and message, which Huren's own code writes without person data.
 */

export interface LoggableError {
  error: string;
  /** SQLSTATE (e.g. `23514`) or a driver code (e.g. `ECONNREFUSED`). */
  code?: string;
  constraint?: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

function chain(err: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let e = err, i = 0; typeof e === "object" && e !== null && i < 8; e = (e as { cause?: unknown }).cause, i++) out.push(e as Record<string, unknown>);
  return out;
}

/**
 * @example loggableError(new DrizzleQueryError("insert …", [entryJson], pgError)) // { error: "database-error", code: "23514", constraint: "…" }
 * @example loggableError(new TypeError("x is undefined")) // { error: "TypeError: x is undefined" }
 */
export function loggableError(err: unknown): LoggableError {
  const links = chain(err);
  const fromDatabase = links.some((e) => "params" in e || "query" in e || (typeof e.code === "string" && SQLSTATE.test(e.code)));
  const code = links.map((e) => e.code).find((c): c is string => typeof c === "string");
  const constraint = links.map((e) => e.constraint ?? e.constraint_name).find((c): c is string => typeof c === "string");
  if (fromDatabase) return { error: "database-error", ...(code ? { code } : {}), ...(constraint ? { constraint } : {}) };
  const top = err instanceof Error ? `${err.name}: ${err.message}` : typeof err === "string" ? err : "unknown error";
  return { error: top.slice(0, 500), ...(code ? { code } : {}) };
}
