/**
 * Rows of a raw `db.execute(sql…)`: postgres.js hands back an array of rows, PGlite an object
 * with `rows`. Typed queries through the query builder never need this.
 */

/** @example const [row] = rowsOf<{ n: number }>(await db.execute(sql`select 1 as n`)); */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  const rows = (result as { rows?: unknown } | null)?.rows;
  if (Array.isArray(rows)) return rows as T[];
  throw new Error("unexpected result shape from db.execute");
}
