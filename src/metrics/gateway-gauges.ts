/**
 * Gauges read at scrape time from what the gateway already keeps: the shared ledger (size,
 * checkpoint age), the group-commit queues, the adapters' breakers and limiters, the pool size.
 * Nothing here costs a request anything; a scrape costs two small queries.
 */
import { desc } from "drizzle-orm";
import type { Db } from "../db/types.ts";
import { ledgerCheckpoints } from "../db/schema.ts";
import { ledgerSize } from "../ledger/store.ts";
import type { LedgerWriter } from "../ledger/writer.ts";
import type { SourceResolver } from "../sources/resolve.ts";
import type { Metrics } from "./metrics.ts";

export interface GatewayGaugeInput {
  db: Db;
  driver: "pglite" | "postgres";
  /** Connections this process may open (postgres.js `max`); PGlite has one. */
  poolMax: number | undefined;
  writer: LedgerWriter;
  resolver: SourceResolver;
  now: () => Date;
}

const BREAKER_STATES = ["closed", "half-open", "open"] as const;

export function registerGatewayGauges(metrics: Metrics, input: GatewayGaugeInput): void {
  const { db, writer, resolver } = input;
  // Every process reads the same shared ledger: the largest / freshest reading is the truth.
  metrics.gauge({ name: "huren_ledger_entries", help: "Entries in the access ledger (tree size).", aggregation: "max", collect: () => ledgerSize(db) });
  metrics.gauge({
    name: "huren_ledger_checkpoint_age_seconds",
    help: "Seconds since the newest signed checkpoint was published (absent before the first).",
    aggregation: "min",
    async collect() {
      const [latest] = await db.select({ at: ledgerCheckpoints.createdAt }).from(ledgerCheckpoints).orderBy(desc(ledgerCheckpoints.size)).limit(1);
      return latest ? [{ value: Math.max(0, (input.now().getTime() - latest.at.getTime()) / 1000) }] : [];
    },
  });
  metrics.gauge({ name: "huren_ledger_writer_queue", help: "Ledger entries waiting for the next group-commit batch.", collect: () => writer.pending });
  metrics.gauge({
    name: "huren_adapter_breaker_state",
    help: "Gateway processes whose circuit for the adapter is in the given state (closed, half-open, open).",
    labelNames: ["adapter", "state"],
    collect: () => resolver.figures().flatMap((f) => BREAKER_STATES.map((state) => ({ labels: { adapter: f.id, state }, value: f.breaker === state ? 1 : 0 }))),
  });
  metrics.gauge({
    name: "huren_adapter_in_flight",
    help: "Lookups in flight at the adapter's department.",
    labelNames: ["adapter"],
    collect: () => resolver.figures().map((f) => ({ labels: { adapter: f.id }, value: f.inFlight })),
  });
  metrics.gauge({
    name: "huren_adapter_queued",
    help: "Lookups waiting for one of the adapter's concurrency slots.",
    labelNames: ["adapter"],
    collect: () => resolver.figures().map((f) => ({ labels: { adapter: f.id }, value: f.queued })),
  });
  metrics.gauge({
    name: "huren_db_pool_max_connections",
    help: "Database connections the gateway processes may open (postgres.js pool max; 1 for embedded PGlite).",
    labelNames: ["driver"],
    collect: () => [{ labels: { driver: input.driver }, value: input.driver === "pglite" ? 1 : (input.poolMax ?? 10) }],
  });
}
