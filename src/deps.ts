/** What the composition root needs. Entries (Node, Worker, tests) build this; nothing else reads env. */
import type { Db } from "./db/types.ts";
import type { Secrets } from "./crypto/secrets.ts";
import type { GatewayKeys } from "./keys/gateway-keys.ts";
import type { SourceResolver } from "./sources/resolve.ts";
import type { LedgerSigner } from "./ledger/checkpoints.ts";
import type { LedgerWriter } from "./ledger/writer.ts";
import type { CheckpointScheduler } from "./ledger/scheduler.ts";
import type { WitnessClient } from "./ledger/witnesses.ts";
import type { ConfigCache } from "./config/cache.ts";
import type { Metrics } from "./metrics/metrics.ts";
import type { OidcSettings } from "./console/oidc.ts";
import type { Reach } from "./reach/guard.ts";
import type { RateLimiter } from "./ratelimit/limiter.ts";

/** HUREN_LOG: pino's levels; `silent` logs nothing. */
export type LogLevel = "silent" | "fatal" | "error" | "warn" | "info" | "debug" | "trace";

/**
 * Structured events, one object each, never person data (src/logging/: pino on Node, console on
 * Workers, both redacting REDACT_PATHS as a safety net). `warn` and `debug` are optional so a test
 * can hand in a two-method stub.
 */
export interface Logger {
  info(event: Record<string, unknown>): void;
  error(event: Record<string, unknown>): void;
  warn?(event: Record<string, unknown>): void;
  debug?(event: Record<string, unknown>): void;
}

/** The API reference viewer's script and style (Swagger UI), when the entry could load them. */
export interface DocsAssets {
  js: string;
  css: string;
}

/**
 * Workers only (src/entry/request-scope.ts): deps live for the isolate, database clients for one
 * request. Components that batch database work across callers take one instance per request
 * from `perRequest`; work that outlives the call that started it is handed to `background`.
 */
export interface Scoping {
  /** One instance per request (`dispose` runs when the request is done). */
  perRequest<T>(make: () => T, dispose?: (value: T) => Promise<void> | void): () => T;
  background(promise: Promise<unknown>): void;
}

export interface AppDeps {
  gatewayId: string;
  maxBodyBytes: number;
  db: Db;
  driver: "pglite" | "postgres";
  secrets: Secrets;
  keys: GatewayKeys;
  resolver: SourceResolver;
  /** Judges the hosts adapters connect to (PROTOCOL §4), at registration and at every connection. */
  reach: Reach;
  /** Configuration the hot path reads (matters, evidence types, policies, adapters, members), cached in process. */
  config: ConfigCache;
  /**
   * The ledger's note key, its group-commit writer and the checkpoint scheduler (started by the
   * Node entry; tests call `checkpoints.tick()`; Workers tick from their cron trigger), and the
   * witness client (`witnesses.stats()` for readiness and metrics; empty without witnesses).
   */
  ledger: { signer: LedgerSigner; writer: LedgerWriter; checkpoints: CheckpointScheduler; witnesses: WitnessClient };
  now: () => Date;
  newId: () => string;
  logger: Logger;
  /**
   * Figures for Prometheus (src/metrics/metrics.ts). Other parts of the gateway add their own
   * scrape-time gauges with `deps.metrics.gauge({ name, help, collect })`.
   */
  metrics: Metrics;
  /** Workers: per-request instances of what batches I/O (see {@link Scoping}); absent on Node. */
  scoping?: Scoping;
  /** Request rate limits per member and acting person (src/ratelimit/); absent = none. */
  rateLimiter?: RateLimiter;
  /** Swagger UI for /docs; without it /docs is a plain page rendered from /openapi.json. */
  docsAssets?: DocsAssets;
  /** Console sign-in with OpenID Connect; without it the console takes login links only. */
  consoleOidc?: OidcSettings;
  /** Upper bound on any one department lookup. Default 10 s. */
  lookupDeadlineMs?: number;
}
