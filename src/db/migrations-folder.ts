import { fileURLToPath } from "node:url";

/** Absolute path of drizzle/ (Node only). */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../drizzle", import.meta.url));
