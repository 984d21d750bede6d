/**
 * Builds AppDeps from an open database and a master secret. Shared by the Node entry, the
 * Worker entry and the test harness, so all three wire the gateway the same way.
 */
import { ulid } from "ulid";
import type { Database } from "../db/types.ts";
import type { AppDeps, Logger, Scoping } from "../deps.ts";
import type { HttpClient } from "../http-client.ts";
import { createSecrets } from "../crypto/secrets.ts";
import { loadGatewayKeys } from "../keys/gateway-keys.ts";
import { envKeySource, fileKeySource } from "../keys/key-source.ts";
import { outboundSigner } from "../keys/outbound.ts";
import { ConfigChanges } from "../config/changes.ts";
import { createConfigCache, listenForConfigChanges } from "../config/cache.ts";
import { SourceResolver } from "../sources/resolve.ts";
import { loadLedgerSigner } from "../ledger/checkpoints.ts";
import { LedgerWriter } from "../ledger/writer.ts";
import { noopMetrics, type Metrics } from "../metrics/metrics.ts";
import { registerGatewayGauges } from "../metrics/gateway-gauges.ts";
import { CheckpointScheduler, type Timer } from "../ledger/scheduler.ts";
import { WitnessClient } from "../ledger/witnesses.ts";
import type { WitnessSettings } from "../ledger/witness-config.ts";
import { Reach, type ReachSettings } from "../reach/guard.ts";
import { compileHostGrant } from "../reach/hosts.ts";
import { RateLimiter } from "../ratelimit/limiter.ts";
import { createDbLeaseStore } from "../ratelimit/leases.ts";
import { rateLimitSettings, type RateLimitSettings } from "../ratelimit/settings.ts";
import { sha256b64url } from "../crypto/encoding.ts";
import { describeError } from "../logging/errors.ts";

export interface AssembleOptions {
  gatewayId: string;
  database: Database;
  secret: string;
  /** A private JWK (HUREN_SIGNING_KEY); otherwise the key from `signingKeyFile`, else the sealed store. */
  signingKey?: string | undefined;
  /** A file holding a private JWK (HUREN_SIGNING_KEY_FILE). */
  signingKeyFile?: string | undefined;
  http: HttpClient;
  logger: Logger;
  maxBodyBytes?: number;
  now?: () => Date;
  /** Reads `{ file }` fixtures: confined to the fixture folder and size-capped (src/adapters/fixture-files.ts). */
  readFile?: (path: string) => Promise<string>;
  /** The resolver and the gateway's own database, for the reach guard (PROTOCOL §4). */
  reach?: ReachSettings;
  lookupDeadlineMs?: number;
  /** Where figures go (the Node entry: prom-client); default nowhere. */
  metrics?: Metrics;
  /** The database pool's size, reported as a metric. */
  poolMax?: number;
  /** HUREN_CHECKPOINT_INTERVAL_MS: how often checkpoints are signed while entries arrive. Default 2000. */
  checkpointIntervalMs?: number;
  /** Witnesses that cosign checkpoints (PROTOCOL §5.2); none by default. */
  witnesses?: WitnessSettings | undefined;
  /** Client for witness calls (keep-alive pool of its own on Node); default `http`. */
  witnessHttp?: HttpClient;
  /** The checkpoint scheduler's timer (tests inject one; the Node entry starts the scheduler). */
  timer?: Timer;
  /** Workers: deps for the isolate, database work per request (src/entry/request-scope.ts). */
  scoping?: Scoping;
  /** Request rate limits (HUREN_RATE_LIMITS / the bootstrap file's `rateLimits`); default the built-in defaults. */
  rateLimits?: RateLimitSettings;
  configCache?: {
    /** How stale cached configuration may get if a change notification is lost; 0 caches nothing. Default 30 s. */
    ttlMs?: number | undefined;
    /**
     * Listen for the database's change notifications (default true, where the driver can).
     * The Worker passes false: its deps, and so its cache, live for one request.
     */
    listen?: boolean;
  };
}

/**
 * ulid's default PRNG asks WebCrypto for one byte per character — 16 calls per id, and a
 * verification makes three ids (request, verification, outbound jti): about 5% of the gateway's
 * CPU in a profile. This draws the same CSPRNG bytes 4 KiB at a time.
 */
function pooledPrng(): () => number {
  const pool = new Uint8Array(4096);
  let at = pool.length;
  return () => {
    if (at === pool.length) {
      crypto.getRandomValues(pool);
      at = 0;
    }
    return pool[at++]! / 256;
  };
}

export async function assembleDeps(options: AssembleOptions): Promise<AppDeps & { close(): Promise<void> }> {
  const { database, gatewayId } = options;
  const db = database.db;
  const now = options.now ?? (() => new Date());
  const secrets = await createSecrets(options.secret);
  const source = options.signingKey
    ? envKeySource(options.signingKey, "HUREN_SIGNING_KEY")
    : options.signingKeyFile
      ? fileKeySource(options.signingKeyFile, options.readFile ?? (async (p) => (await import("node:fs/promises")).readFile(p, "utf8")))
      : undefined;
  const keys = await loadGatewayKeys({ db, secrets, ...(source ? { source } : {}) });
  const prng = pooledPrng();
  const newId = () => ulid(undefined, prng);
  const signer = outboundSigner(keys.signer, gatewayId, now, () => `gw_${newId()}`);
  // Matters, evidence types, policies, adapters and members, read once and kept until a change
  // is noticed: a write through this process at once, anyone's write when its NOTIFY arrives,
  // at the latest after the TTL. Signed department answers are checked against the department's
  // keys from here too: a department should start signing with a newly added key only after
  // MEMBER_CACHE_TTL_MS (a kid miss does not read again there, unlike authentication).
  const changes = new ConfigChanges();
  const config = createConfigCache(db, { ttlMs: options.configCache?.ttlMs, changes });
  const stopListening = options.configCache?.listen === false ? undefined : await listenForConfigChanges(database, changes, options.logger);
  const members = config.members;
  const metrics = options.metrics ?? noopMetrics;
  const ledgerSigner = await loadLedgerSigner(db, secrets, gatewayId);
  const witnesses = new WitnessClient({ db, settings: options.witnesses ?? { witnesses: [], quorum: 0 }, http: options.witnessHttp ?? options.http, logger: options.logger, now });
  const checkpoints = new CheckpointScheduler({
    db,
    signer: ledgerSigner,
    holder: `${gatewayId}/${newId()}`,
    ...(options.checkpointIntervalMs ? { intervalMs: options.checkpointIntervalMs } : {}),
    ...(options.timer ? { timer: options.timer } : {}),
    // Fire and forget: witness calls never hold up the next tick, let alone a verification.
    afterTick: (newest) => {
      if (witnesses.configured) witnesses.sync(newest);
    },
    onError: (err) => options.logger.error({ event: "checkpoint-failed", error: err instanceof Error ? err.message : String(err) }),
  });
  const reach = new Reach(options.reach);
  // One of each per process on Node; per request on Workers (src/entry/request-scope.ts), for
  // what batches database work across callers or holds connections of its own.
  const scoped = <T>(make: () => T, dispose?: (value: T) => Promise<void>): (() => T) => {
    if (options.scoping) return options.scoping.perRequest(make, dispose);
    const one = make();
    return () => one;
  };
  const writerOf = scoped(() => new LedgerWriter(db, { onBatch: (size, seconds, path) => metrics.ledgerBatch(size, seconds, path) }));
  const ledger = {
    signer: ledgerSigner,
    get writer() {
      return writerOf();
    },
    checkpoints,
    witnesses,
  };
  const resolverOf = scoped(() => new SourceResolver({
    db,
    secrets,
    routes: () => config.adapterRoutes(),
    context: (department, adapter) => ({
      department,
      http: options.http,
      signer,
      departmentKeys: async () => (await members.get(department))?.jwks ?? { keys: [] },
      ...(options.readFile ? { readFile: options.readFile } : {}),
      // Judged with the department's grant as it is now (the member cache follows NOTIFY), at
      // every new connection: a revoked host stops being reached once pooled sockets close. Only
      // where names can be resolved (Node): on Workers fetch resolves and connects by itself, and
      // Cloudflare reaches no private or link-local address anyway.
      ...(reach.resolves
        ? {
            connectCheck: async (target: { host: string; port: number; database?: string }) => {
              const member = adapter.beyondGrants ? undefined : await members.get(department);
              const hosts = member?.kind === "department" && member.enabled ? (member.grants?.hosts ?? []) : [];
              return reach.check(target, { grant: adapter.beyondGrants ? undefined : compileHostGrant(hosts) }, "connect");
            },
          }
        : {}),
    }),
    onLookup: (adapterId, ms, code) => metrics.adapterLookup(adapterId, ms === null ? null : ms / 1000, code),
  }), (r) => r.close());
  const resolver = resolverOf();
  const leaseStoreOf = scoped(() => createDbLeaseStore(db, { now, onSweepError: (err) => options.logger.error({ event: "rate-limit-sweep-failed", ...describeError(err) }) }));
  const rateLimits = options.rateLimits ?? rateLimitSettings();
  const rateLimiter = rateLimits.enabled
    ? new RateLimiter({
        settings: rateLimits,
        store: {
          lease: (request) => leaseStoreOf().lease(request),
          get statements() {
            return leaseStoreOf().statements;
          },
        },
        ...(options.scoping ? { background: options.scoping.background } : {}),
        now: () => now().getTime(),
        // Staff ids stay out of the table: the uid is stored as a digest under its member.
        storageKey: async (key) => {
          const cut = key.indexOf("\n");
          return `${key.slice(0, cut)}/${(await sha256b64url(key.slice(cut + 1))).slice(0, 22)}`;
        },
        onError: (err) => options.logger.error({ event: "rate-limit-lease-failed", ...describeError(err) }),
      })
    : undefined;
  registerGatewayGauges(metrics, { db, driver: database.driver, poolMax: options.poolMax, writer: ledger.writer, resolver, witnesses, now });
  return {
    gatewayId,
    maxBodyBytes: options.maxBodyBytes ?? 256 * 1024,
    db,
    driver: database.driver,
    secrets,
    keys,
    get resolver() {
      return resolverOf();
    },
    reach,
    config,
    ledger,
    now,
    newId,
    logger: options.logger,
    metrics,
    ...(options.scoping ? { scoping: options.scoping } : {}),
    ...(rateLimiter ? { rateLimiter } : {}),
    ...(options.lookupDeadlineMs ? { lookupDeadlineMs: options.lookupDeadlineMs } : {}),
    async close() {
      await stopListening?.().catch(() => {});
      await checkpoints.stop();
      await witnesses.idle();
      if (options.witnessHttp && options.witnessHttp !== options.http) await options.witnessHttp.close?.();
      await ledger.writer.idle();
      await resolver.close();
      await options.http.close?.();
      await database.close();
    },
  };
}
