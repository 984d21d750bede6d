// Applies drizzle/ migrations to DATABASE_URL (what a Worker deployment runs from Node first).
import { openPostgres } from "../src/db/postgres.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("set DATABASE_URL");
  process.exit(2);
}
const database = await openPostgres({ url, max: 1 });
await database.close();
console.log("migrations applied");
