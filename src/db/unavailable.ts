/**
 * Is this error "the database is not there" (down, restarting, unreachable, too slow) rather
 * than a bug? Such errors become 503 `database-unavailable` instead of 500, without detail:
 * postgres.js puts the server's host and port in its messages, drizzle the SQL and parameters.
 */

/** What postgres.js and Node's sockets report when the server cannot be reached or went away. */
const CONNECTION_CODES = new Set([
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

/**
 * SQLSTATEs of a server that cannot serve now: class 08 (connection exception), 53300 (too many
 * connections), 57014 (statement_timeout reached), 57P01–57P05 (shutdown, crash recovery,
 * starting up, idle session timeout).
 */
const unavailableState = (code: string) => code.startsWith("08") || code === "53300" || code === "57014" || /^57P0[1-5]$/.test(code);

/**
 * Walks the cause chain (drizzle wraps the driver's error in DrizzleQueryError).
 * @example
 * isDatabaseUnavailable(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" })) // true
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== "string") continue;
    if (CONNECTION_CODES.has(code)) return true;
    // A PostgresError carries the SQLSTATE as `code` (five characters).
    if (e.name === "PostgresError" && unavailableState(code)) return true;
  }
  return false;
}

/** The stable code for logs: which of the above it was, never the message. */
export function unavailableCode(err: unknown): string {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
  }
  return "unknown";
}
