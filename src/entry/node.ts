/**
 * The Node entry: reads process.env, opens PGlite (default) or PostgreSQL, applies the
 * bootstrap file or starts the demo, and serves. The only Node file that reads the environment.
 */
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseConfig, type Config } from "../config.ts";
import { createApp } from "../app.ts";
import { loadDocsAssets } from "./docs-assets.ts";
import { loadKeyFile } from "../cli/client.ts";
import { consoleLoginUrl } from "../cli/console.ts";
import { assembleDeps } from "./assemble.ts";
import type { Logger } from "../deps.ts";
import { pinoLogger } from "../logging/pino.ts";
import { openPglite } from "../db/pglite.ts";
import { connectPostgres, openPostgres } from "../db/postgres.ts";
import { generateSecret } from "../crypto/secrets.ts";
import { createUndiciHttpClient } from "../http/undici-client.ts";
import { applyBootstrap, bootstrapSchema } from "../bootstrap.ts";
import { witnessSettings, type WitnessSettings } from "../ledger/witness-config.ts";
import { rateLimitSettings, type RateLimitsInput } from "../ratelimit/settings.ts";
import { startDemo } from "../demo/setup.ts";
import { DEMO_PEOPLE } from "../demo/data.ts";
import { createSecrets } from "../crypto/secrets.ts";
import { runPrimary } from "./cluster.ts";
import { describeError } from "../logging/errors.ts";
import { createPrometheusMetrics } from "../metrics/prometheus.ts";
import { clusterSource, exposeToPrimary, registrySource, serveMetrics, type MetricsSource } from "../metrics/server.ts";

/** The metrics listener, if HUREN_METRICS_PORT is set; prints where it listens. */
async function startMetrics(config: Config, source: MetricsSource, logger: Logger) {
  if (!config.metrics) return undefined;
  const server = await serveMetrics({ ...config.metrics, source, onError: (err) => logger.error({ event: "metrics-failed", error: err instanceof Error ? err.name : "error" }) });
  process.stderr.write(`  Metrics (Prometheus): http://${config.metrics.host}:${server.port}/metrics\n`);
  return server;
}
import { consumerDepsOf, startConsumer } from "../supervision/consumer.ts";
import { sendDemoTraffic } from "../demo/traffic.ts";
import { ledgerSize } from "../ledger/store.ts";
import { listen } from "./server.ts";
import { createFixtureReader } from "../adapters/fixture-files.ts";
import { systemLookup } from "../reach/system-lookup.ts";
import { Reach } from "../reach/guard.ts";
import { ownDatabaseOf } from "../reach/own-database.ts";

/** HUREN_SECRET, or for the embedded database a secret kept in the data dir (never in the database). */
async function masterSecret(config: Config): Promise<string> {
  if (config.secret) return config.secret;
  if (config.databaseUrl) {
    throw new Error("HUREN_SECRET is required with DATABASE_URL (generate one with `npm run huren -- secret`)");
  }
  const file = join(config.dataDir, "secret.key");
  try {
    return (await readFile(file, "utf8")).trim();
  } catch {
    const secret = generateSecret();
    await writeFile(file, secret + "\n", { mode: 0o600, flag: "wx" });
    return secret;
  }
}

/** HUREN_WITNESSES (and _QUORUM) if set, else the bootstrap file's `witnesses`/`witnessQuorum`. */
async function witnessesOf(config: Config): Promise<WitnessSettings | undefined> {
  let witnesses = config.witnesses;
  let quorum = config.witnessQuorum;
  if (!witnesses && config.bootstrapPath) {
    const file = bootstrapSchema.safeParse(JSON.parse(await readFile(config.bootstrapPath, "utf8")));
    // An invalid file is reported by applyBootstrap with every issue; here only what is valid counts.
    if (file.success) {
      witnesses = file.data.witnesses;
      quorum ??= file.data.witnessQuorum;
    }
  }
  return witnesses?.length ? witnessSettings(witnesses, quorum) : undefined;
}

/** HUREN_RATE_LIMITS if set, else the bootstrap file's `rateLimits`, else the defaults. */
async function rateLimitsOf(config: Config): Promise<RateLimitsInput | undefined> {
  if (config.rateLimits || !config.bootstrapPath) return config.rateLimits;
  const file = bootstrapSchema.safeParse(JSON.parse(await readFile(config.bootstrapPath, "utf8")));
  return file.success ? file.data.rateLimits : undefined;
}

async function main() {
  const config = parseConfig(process.env);
  const workers = config.workers === "auto" ? availableParallelism() : config.workers;
  if (workers > 1 && cluster.isPrimary) return primary(config, workers);
  return gateway(config);
}

/** Migrates and applies the bootstrap file once, then runs `workers` gateway processes. */
async function primary(config: Config, workers: number) {
  const logger = pinoLogger(config.log);
  const url = config.databaseUrl!; // parseConfig requires it with HUREN_WORKERS > 1
  // The workers do not read the bootstrap file: hand them its witnesses and rate limits as settings.
  const witnesses = await witnessesOf(config);
  const settingsEnv: Record<string, string> = witnesses ? { HUREN_WITNESSES: JSON.stringify(witnesses.witnesses), HUREN_WITNESS_QUORUM: String(witnesses.quorum) } : {};
  const rateLimits = await rateLimitsOf(config);
  if (rateLimits) settingsEnv.HUREN_RATE_LIMITS = JSON.stringify(rateLimits);
  await runPrimary({
    workers,
    logger,
    async prepare() {
      const database = config.migrate ? await openPostgres({ url, max: 1 }) : connectPostgres({ url, max: 1 });
      try {
        if (config.bootstrapPath) {
          const secrets = await createSecrets(await masterSecret(config));
          const reach = new Reach({ lookup: systemLookup, ownDatabase: ownDatabaseOf(url) });
          const report = await applyBootstrap(database.db, secrets, JSON.parse(await readFile(config.bootstrapPath, "utf8")), { reach });
          logger.info({ event: "bootstrap", file: config.bootstrapPath, changed: report.changed, unchanged: report.unchanged });
        }
      } finally {
        await database.close();
      }
    },
    // Done above, once: the workers neither migrate nor apply the file, and never start the demo.
    workerEnv: { HUREN_MIGRATE: "off", HUREN_BOOTSTRAP: "", HUREN_DEMO: "off", ...settingsEnv },
    onListening({ address, port }, n) {
      const host = address === "0.0.0.0" || address === "::" ? "127.0.0.1" : address;
      process.stderr.write(`Huren gateway ${config.gatewayId} listening on http://${host}:${port} (postgres, ${n} processes, primary pid ${process.pid})\n`);
      // Every worker's figures, merged by the primary (the workers do not listen for metrics).
      void startMetrics(config, clusterSource(), logger).catch((err: unknown) => {
        process.stderr.write(`huren: metrics listener: ${err instanceof Error ? err.message : String(err)}\n`);
      });
    },
  });
}

async function gateway(config: Config) {
  const logger = pinoLogger(config.log);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const pgOptions = {
    url: config.databaseUrl!,
    max: config.databasePoolMax,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    prepare: config.databasePrepare,
  };
  const database = config.databaseUrl
    ? config.migrate
      ? await openPostgres(pgOptions)
      : connectPostgres(pgOptions)
    : await openPglite({ dataDir: join(config.dataDir, "db") });
  const metrics = createPrometheusMetrics();
  if (cluster.isWorker) exposeToPrimary(metrics.registry);
  const deps = await assembleDeps({
    gatewayId: config.gatewayId,
    database,
    metrics,
    poolMax: config.databasePoolMax,
    secret: await masterSecret(config),
    signingKey: config.signingKey,
    signingKeyFile: config.signingKeyFile,
    http: createUndiciHttpClient(),
    logger,
    maxBodyBytes: config.maxBodyBytes,
    readFile: createFixtureReader(config.fixtures),
    reach: { lookup: systemLookup, ownDatabase: ownDatabaseOf(config.databaseUrl) },
    configCache: { ttlMs: config.configCacheTtlMs },
    checkpointIntervalMs: config.checkpointIntervalMs,
    witnesses: await witnessesOf(config),
    rateLimits: rateLimitSettings(await rateLimitsOf(config)),
    // Its own keep-alive pool: witness calls never queue behind department lookups, nor these behind them.
    witnessHttp: createUndiciHttpClient({ connections: 2 }),
  });

  if (config.bootstrapPath) {
    const report = await applyBootstrap(deps.db, deps.secrets, JSON.parse(await readFile(config.bootstrapPath, "utf8")), { reach: deps.reach });
    logger.info({ event: "bootstrap", file: config.bootstrapPath, changed: report.changed, unchanged: report.unchanged });
  }
  // A signed checkpoint at most every HUREN_CHECKPOINT_INTERVAL_MS while entries arrive (one
  // process of several signs: src/ledger/scheduler.ts); GET /v1/ledger/checkpoint only reads.
  deps.ledger.checkpoints.start();
  // Supervision (§10): every process runs the consumer; an advisory lock lets one work at a time.
  const supervision = startConsumer(consumerDepsOf(deps), {
    intervalMs: 1000,
    onError: (err) => logger.error({ event: "supervision-consumer-failed", ...describeError(err) }),
  });
  const app = createApp({ ...deps, docsAssets: await loadDocsAssets(), ...(config.oidc ? { consoleOidc: config.oidc } : {}) });
  const running = await listen(app.fetch, { port: config.port, host: config.host, ...config.server });
  const { port } = running;
  // PORT=0 picks a free port; everything printed or written below uses the real one.
  const gatewayUrl = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`;
  const demo = config.demo
    ? await startDemo({ db: deps.db, secrets: deps.secrets, keys: deps.keys, gatewayId: config.gatewayId, gatewayUrl, dataDir: config.dataDir, departmentPort: config.port ? config.port + 1 : 0 })
    : undefined;

  const lines = [
    `Huren gateway ${config.gatewayId} listening on ${gatewayUrl} (${database.driver}${config.databaseUrl ? "" : `, data in ${config.dataDir}`})`,
    `  API docs: ${gatewayUrl}/docs   OpenAPI: ${gatewayUrl}/openapi.json   receipts' keys: ${gatewayUrl}/.well-known/jwks.json`,
  ];
  if (demo) {
    lines.push(
      `  Demo: departments ready (cc-civil-affairs over HTTP at ${demo.department.url}, four fixture-backed).`,
      `  Try a signed verification as window nanguan-window-01:`,
      `    npm run --silent huren -- verify --key ${demo.windowKeyFile} --matter 220100-public-rental-housing --case NG-2026-000123 --subject resident-id:${DEMO_PEOPLE.zhangSan.id} --name ${DEMO_PEOPLE.zhangSan.name}`,
      `  Supervision (电子监察) as city-supervision: npm run --silent huren -- supervision windows --key ${demo.supervisorKeyFile}`,
      `  Console 控制台 — one-time sign-in links (valid 5 minutes; a fresh one: npm run --silent huren -- console login --key <key file>):`,
      ...(await demoConsoleLinks(demo.keyFiles, gatewayUrl)),
    );
  }
  // First start of the demo: six verifications (well under a second), so supervision has
  // figures to show. Awaited, so the ledger is settled before anyone uses the printed commands.
  if (demo && (await ledgerSize(deps.db)) === 0) {
    await sendDemoTraffic(demo.windowKeyFile, gatewayUrl).catch((err: unknown) => logger.error({ event: "demo-traffic-failed", error: err instanceof Error ? err.message : String(err) }));
  }
  // In a cluster the primary prints one line for all processes, and serves the metrics.
  if (cluster.isPrimary) process.stderr.write(lines.join("\n") + "\n");
  const metricsServer = cluster.isPrimary ? await startMetrics(config, registrySource(metrics.registry), logger) : undefined;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: "shutdown", signal });
    // Stop accepting and close idle keep-alive sockets; requests in flight finish (their
    // verifications reach the ledger) within the grace period. Then the ledger's last batch
    // (deps.close waits for the writer), and only then the database.
    const { forced } = await running.drain(config.shutdownGraceMs);
    await metricsServer?.close();
    await supervision.stop();
    await demo?.close();
    await deps.close();
    logger.info({ event: "stopped", signal, forced });
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((err: unknown) => {
  process.stderr.write(`huren: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

/** One console sign-in link per demo role that has pages (auditor, supervisor, admin, department). */
async function demoConsoleLinks(keyFiles: Record<string, string>, gatewayUrl: string): Promise<string[]> {
  const lines: string[] = [];
  for (const [member, file] of Object.entries(keyFiles)) {
    const key = await loadKeyFile(file);
    if (/window|collector/.test(member)) continue;
    lines.push(`    ${member}: ${await consoleLoginUrl({ ...key, uid: key.uid ?? `${member}-staff` }, gatewayUrl, 300)}`);
  }
  return lines;
}
