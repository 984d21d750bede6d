/**
 * The gateway's own database as the reach guard compares it (host, port, database), from
 * DATABASE_URL. No adapter may point there, admins' included (PROTOCOL §4).
 */
import type { OwnDatabase } from "./guard.ts";

/**
 * @example ownDatabaseOf("postgres://huren@db.internal:5432/huren") // { host: "db.internal", port: 5432, database: "huren" }
 */
export function ownDatabaseOf(url: string | undefined): OwnDatabase | undefined {
  if (!url) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, "")) || "localhost";
  const user = decodeURIComponent(parsed.username) || "postgres";
  // PostgreSQL's default database is the user's name.
  const database = decodeURIComponent(parsed.pathname.slice(1)) || user;
  return { host, port: parsed.port ? Number(parsed.port) : 5432, database };
}
