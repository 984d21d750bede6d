import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * Absolute path of drizzle/ (Node only). From the sources (src/db/) it is two levels up; from the
 * production bundle (dist/*.js, where this module is inlined) one level up.
 */
export const MIGRATIONS_FOLDER = ["../../drizzle", "../drizzle"]
  .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
  .find((dir) => existsSync(`${dir}/meta/_journal.json`)) ?? fileURLToPath(new URL("../../drizzle", import.meta.url));
