/**
 * A second process for the consumer tests (PostgreSQL): runs the consumer against DATABASE_URL
 * in small batches, printing `batch <next>` after each; with SLOW_MS each batch lingers inside
 * its transaction (after the rollups are written, before the watermark moves), so a kill lands
 * mid-batch.
 */
import { sql } from "drizzle-orm";
import { connectPostgres } from "../../src/db/postgres.ts";
import { createSecrets } from "../../src/crypto/secrets.ts";
import { consumeBatch, consumerDepsOf } from "../../src/supervision/consumer.ts";

const database = connectPostgres({ url: process.env.DATABASE_URL!, max: 2 });
const secrets = await createSecrets(process.env.HUREN_SECRET!);
let n = 0;
const deps = consumerDepsOf({ db: database.db, secrets, now: () => new Date(), newId: () => `${process.pid}x${++n}`.padStart(16, "0") });
const slow = Number(process.env.SLOW_MS ?? 0);
const until = Date.now() + 60_000;
while (Date.now() < until) {
  const r = await consumeBatch(deps, { maxEntries: Number(process.env.BATCH ?? 50), ...(slow ? { midBatch: async (tx) => void (await tx.execute(sql`select pg_sleep(${slow / 1000})`)) } : {}) });
  process.stdout.write(`batch ${r.locked ? r.nextIndex : "standby"}\n`);
  if (r.locked && r.entries === 0 && process.env.EXIT_WHEN_DONE) break;
  if (!r.locked) await new Promise((d) => setTimeout(d, 5));
}
await database.close();
