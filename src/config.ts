/**
 * Settings, parsed from an env-like record. Pure: only the entry files read process.env.
 */
import { z } from "zod";
import type { LogLevel } from "./deps.ts";
import { witnessesSchema, type WitnessConfig } from "./ledger/witness-config.ts";
import type { OidcSettings } from "./console/oidc.ts";
import { parseRateLimitsText, type RateLimitsInput } from "./ratelimit/settings.ts";

const gatewayId = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, "must be a host-like name")
  .max(253);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().default("127.0.0.1"),
  HUREN_GATEWAY_ID: gatewayId.default("huren.localhost"),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  HUREN_DATA_DIR: z.string().default(".huren"),
  HUREN_BOOTSTRAP: z.string().optional(),
  /** The only folder `{ file }` fixture adapters read from (default: <HUREN_DATA_DIR>/fixtures). */
  HUREN_FIXTURE_DIR: z.string().optional(),
  /** Largest fixture file read, in bytes (default 8 MiB). */
  HUREN_FIXTURE_MAX_BYTES: z.coerce.number().int().min(1024).max(1024 * 1024 * 1024).default(8 * 1024 * 1024),
  /** Master secret, base64url of ≥ 32 random bytes: seals private keys, keys the subject HMAC. */
  HUREN_SECRET: z.string().optional(),
  /** Optional private JWK (JSON) to sign receipts and outbound requests instead of a generated key. */
  HUREN_SIGNING_KEY: z.string().optional(),
  /** Optional file holding that private JWK (used when HUREN_SIGNING_KEY is not set). */
  HUREN_SIGNING_KEY_FILE: z.string().optional(),
  HUREN_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(256 * 1024),
  HUREN_LOG: z.enum(["silent", "fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
  /** "off": do not migrate at start (run `npm run db:migrate` as the schema owner; the runtime role cannot). */
  HUREN_MIGRATE: z.enum(["auto", "off"]).default("auto"),
  /** "off" disables the demo even without a bootstrap file. */
  HUREN_DEMO: z.enum(["auto", "off"]).default("auto"),
  /** Longest a cached configuration table is used if its change notification was lost; 0 = no cache. */
  HUREN_CONFIG_CACHE_TTL_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  // The public port against slow and idle clients (src/entry/server.ts).
  HUREN_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  HUREN_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  HUREN_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  HUREN_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(2048),
  /** On SIGTERM/SIGINT: longest wait for requests in flight before their connections are cut. */
  HUREN_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** PostgreSQL: a connection not established within this fails (the request gets 503). */
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(2_000),
  /** PostgreSQL: statement_timeout of the gateway's connections; 0 sends none (e.g. through PgBouncer). */
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  /** PostgreSQL: keep statements prepared per connection ("on"); "off" for a pooler that cannot (PgBouncer < 1.21 in transaction mode). */
  DATABASE_PREPARE: z.enum(["on", "off"]).default("on"),
  /** Gateway processes sharing the port (node:cluster); "auto" = one per CPU. PostgreSQL only. */
  /** Checkpoints are signed at most this often while entries arrive (PROTOCOL §5.2). */
  HUREN_CHECKPOINT_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(2000),
  /** JSON array of { name, vkey, url }: witnesses that cosign checkpoints (PROTOCOL §5.2). */
  HUREN_WITNESSES: z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "must be a JSON array of { name, vkey, url }" });
        return z.NEVER;
      }
    })
    .pipe(witnessesSchema)
    .optional(),
  /** Cosignatures a checkpoint needs before it is served; default a majority of the witnesses. */
  HUREN_WITNESS_QUORUM: z.coerce.number().int().min(0).max(32).optional(),
  HUREN_WORKERS: z.union([z.literal("auto"), z.coerce.number().int().min(1).max(256)]).default(1),
  /** Port of the separate Prometheus listener (GET /metrics); unset = no metrics listener. */
  HUREN_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  HUREN_METRICS_HOST: z.string().default("127.0.0.1"),
  /** Console sign-in with OpenID Connect (#12): the city's identity service; unset = login links only. */
  HUREN_OIDC_ISSUER: z.url().optional(),
  HUREN_OIDC_CLIENT_ID: z.string().min(1).max(255).optional(),
  /** The client secret (client_secret_basic); unset = a public client (PKCE alone). */
  HUREN_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** Where the provider sends the browser back: https://<gateway>/console/oidc/callback. */
  HUREN_OIDC_REDIRECT_URL: z.url().optional(),
  HUREN_OIDC_SCOPE: z.string().regex(/^openid( [\x21-\x7e]+)*$/, "space-separated scopes starting with openid").default("openid"),
  /** Request rate limits: JSON `{ "kinds": {...}, "members": {...} }` or `off` (docs/operators.md). */
  HUREN_RATE_LIMITS: z.string().optional(),
});

export interface Config {
  port: number;
  host: string;
  gatewayId: string;
  databaseUrl: string | undefined;
  databasePoolMax: number;
  dataDir: string;
  bootstrapPath: string | undefined;
  /** Where `{ file }` fixture adapters may read, and how much (src/adapters/fixture-files.ts). */
  fixtures: { dir: string; maxBytes: number };
  secret: string | undefined;
  signingKey: string | undefined;
  signingKeyFile: string | undefined;
  maxBodyBytes: number;
  /** Apply migrations at start (PostgreSQL; PGlite always migrates). */
  migrate: boolean;
  log: LogLevel;
  /** Demo departments and servers start only when no bootstrap file is named (§4). */
  demo: boolean;
  /** See src/config/cache.ts: how stale the hot path's configuration can get without a notification. */
  configCacheTtlMs: number;
  /** Gateway processes to run; "auto" is resolved by the entry (it knows the CPU count). */
  workers: number | "auto";
  /** The metrics listener, or undefined for none (src/metrics/server.ts). */
  metrics: { host: string; port: number } | undefined;
  /** How often the checkpoint scheduler signs while entries arrive. */
  checkpointIntervalMs: number;
  /** HUREN_WITNESSES, when set (it then replaces the bootstrap file's `witnesses`). */
  witnesses: WitnessConfig[] | undefined;
  witnessQuorum: number | undefined;
  /** Timeouts and the connection cap of the public port (src/entry/server.ts). */
  server: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number; maxConnections: number };
  shutdownGraceMs: number;
  databaseConnectTimeoutMs: number;
  databaseStatementTimeoutMs: number;
  /** Named prepared statements on PostgreSQL connections (DATABASE_PREPARE). */
  databasePrepare: boolean;
  /** Console sign-in with OpenID Connect, when HUREN_OIDC_ISSUER is set. */
  oidc: OidcSettings | undefined;
  /** HUREN_RATE_LIMITS, when set (it then replaces the bootstrap file's `rateLimits`). */
  rateLimits: RateLimitsInput | undefined;
}

/**
 * @example
 * parseConfig({ PORT: "8080", HUREN_GATEWAY_ID: "huren.changchun.gov.cn" }).port // 8080
 * @throws Error listing every bad setting, e.g. "PORT: Too big: expected number to be <=65535"
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid settings:\n  ${lines.join("\n  ")}`);
  }
  const e = parsed.data;
  let rateLimits: RateLimitsInput | undefined;
  try {
    rateLimits = e.HUREN_RATE_LIMITS === undefined ? undefined : parseRateLimitsText(e.HUREN_RATE_LIMITS, "HUREN_RATE_LIMITS");
  } catch (err) {
    throw new Error(`invalid settings:\n  ${(err as Error).message}`);
  }
  if (e.HUREN_WORKERS !== 1 && !e.DATABASE_URL) {
    throw new Error("invalid settings:\n  HUREN_WORKERS: more than one process needs DATABASE_URL (the embedded database belongs to one process)");
  }
  if (e.HUREN_HEADERS_TIMEOUT_MS > e.HUREN_REQUEST_TIMEOUT_MS) {
    throw new Error("invalid settings:\n  HUREN_HEADERS_TIMEOUT_MS: must not exceed HUREN_REQUEST_TIMEOUT_MS (the request's head is part of the request)");
  }
  const oidcSet = [e.HUREN_OIDC_ISSUER, e.HUREN_OIDC_CLIENT_ID, e.HUREN_OIDC_REDIRECT_URL].filter((v) => v !== undefined).length;
  if (oidcSet !== 0 && oidcSet !== 3) {
    throw new Error("invalid settings:\n  HUREN_OIDC_ISSUER: OpenID Connect sign-in needs HUREN_OIDC_ISSUER, HUREN_OIDC_CLIENT_ID and HUREN_OIDC_REDIRECT_URL together");
  }
  return {
    port: e.PORT,
    host: e.HOST,
    gatewayId: e.HUREN_GATEWAY_ID,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    dataDir: e.HUREN_DATA_DIR,
    bootstrapPath: e.HUREN_BOOTSTRAP,
    fixtures: { dir: e.HUREN_FIXTURE_DIR ?? `${e.HUREN_DATA_DIR.replace(/\/+$/, "")}/fixtures`, maxBytes: e.HUREN_FIXTURE_MAX_BYTES },
    secret: e.HUREN_SECRET,
    signingKey: e.HUREN_SIGNING_KEY,
    signingKeyFile: e.HUREN_SIGNING_KEY_FILE,
    maxBodyBytes: e.HUREN_MAX_BODY_BYTES,
    migrate: e.HUREN_MIGRATE === "auto",
    log: e.HUREN_LOG,
    demo: e.HUREN_BOOTSTRAP === undefined && e.HUREN_DEMO === "auto",
    configCacheTtlMs: e.HUREN_CONFIG_CACHE_TTL_MS,
    workers: e.HUREN_WORKERS,
    metrics: e.HUREN_METRICS_PORT === undefined ? undefined : { host: e.HUREN_METRICS_HOST, port: e.HUREN_METRICS_PORT },
    checkpointIntervalMs: e.HUREN_CHECKPOINT_INTERVAL_MS,
    witnesses: e.HUREN_WITNESSES,
    witnessQuorum: e.HUREN_WITNESS_QUORUM,
    server: {
      headersTimeoutMs: e.HUREN_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HUREN_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.HUREN_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.HUREN_MAX_CONNECTIONS,
    },
    shutdownGraceMs: e.HUREN_SHUTDOWN_GRACE_MS,
    databaseConnectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    databaseStatementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    databasePrepare: e.DATABASE_PREPARE === "on",
    oidc:
      oidcSet === 3
        ? { issuer: e.HUREN_OIDC_ISSUER!, clientId: e.HUREN_OIDC_CLIENT_ID!, clientSecret: e.HUREN_OIDC_CLIENT_SECRET, redirectUrl: e.HUREN_OIDC_REDIRECT_URL!, scope: e.HUREN_OIDC_SCOPE }
        : undefined,
    rateLimits,
  };
}
