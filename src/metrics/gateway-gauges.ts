/**
 * Gauges read at scrape time from what the gateway already keeps: the shared ledger (size,
 * checkpoint age), the witnesses' cosignatures, supervision's watermark, the group-commit queues,
 * the adapters' breakers and limiters, the pool size. Nothing here costs a request anything; a
 * scrape costs four small queries (three without witnesses).
 */
import { desc } from "drizzle-orm";
import type { Db } from "../db/types.ts";
import { ledgerCheckpoints } from "../db/schema.ts";
import { ledgerSize } from "../ledger/store.ts";
import type { LedgerWriter } from "../ledger/writer.ts";
import type { SourceResolver } from "../sources/resolve.ts";
import type { WitnessClient, WitnessStats } from "../ledger/witnesses.ts";
import { supervisionLag, type SupervisionLag } from "../supervision/lag.ts";
import type { Metrics } from "./metrics.ts";

export interface GatewayGaugeInput {
  db: Db;
  driver: "pglite" | "postgres";
  /** Connections this process may open (postgres.js `max`); PGlite has one. */
  poolMax: number | undefined;
  writer: LedgerWriter;
  resolver: SourceResolver;
  witnesses: WitnessClient;
  now: () => Date;
}

/**
 * One reading shared by gauges collected together: prom-client collects a scrape's metrics
 * concurrently, so gauges over the same query share the query in flight instead of each making
 * it. Nothing is kept once it has answered (a later scrape reads afresh).
 */
function shared<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () =>
    (inFlight ??= read().finally(() => {
      inFlight = undefined;
    }));
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

  // Witnesses (PROTOCOL §5.2), from the shared database, so every process reports the same;
  // labelled by the configured name (bounded by the operator's list).
  if (input.witnesses.configured) {
    const witnesses = shared<WitnessStats[]>(() => input.witnesses.figures());
    const byWitness = (pick: (w: WitnessStats) => number | null) => async () =>
      (await witnesses()).flatMap((w) => {
        const value = pick(w);
        return value === null ? [] : [{ labels: { witness: w.name }, value }];
      });
    metrics.gauge({ name: "huren_witness_cosigned_size", help: "Tree size of the newest checkpoint each witness has cosigned (absent before its first).", labelNames: ["witness"], aggregation: "max", collect: byWitness((w) => w.lastCosignedSize) });
    metrics.gauge({ name: "huren_witness_cosigned_age_seconds", help: "Seconds since each witness's newest cosignature (its own timestamp).", labelNames: ["witness"], aggregation: "min", collect: byWitness((w) => w.ageSeconds) });
    metrics.gauge({ name: "huren_witness_failures", help: "Failed submissions in a row to each witness (by the process that submits; 0 after a success).", labelNames: ["witness"], aggregation: "max", collect: byWitness((w) => w.failures) });
  }

  // Supervision (§10): how far the consumer trails the ledger. Every process reads the shared watermark.
  const lag = shared<SupervisionLag>(() => supervisionLag(db, input.now()));
  metrics.gauge({ name: "huren_supervision_lag_entries", help: "Ledger entries the supervision consumer has not folded yet.", aggregation: "max", collect: async () => (await lag()).entries });
  metrics.gauge({ name: "huren_supervision_lag_seconds", help: "Seconds since the oldest ledger entry not yet folded by supervision was recorded (0 when caught up).", aggregation: "max", collect: async () => (await lag()).seconds });

  metrics.gauge({
    name: "huren_db_pool_max_connections",
    help: "Database connections the gateway processes may open (postgres.js pool max; 1 for embedded PGlite).",
    labelNames: ["driver"],
    collect: () => [{ labels: { driver: input.driver }, value: input.driver === "pglite" ? 1 : (input.poolMax ?? 10) }],
  });
}
