/**
 * The Cloudflare Workers entry: the same app factory over postgres.js through Hyperdrive, with
 * global fetch for departments. Workers run no migrations (apply them from Node with
 * `npm run db:migrate` against the same database) and never load PGlite or undici.
 *
 * Workers may not share I/O objects between requests, so each request gets its own
 * connection (Hyperdrive pools the real ones) and the deps built on it.
 */
import { createApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { connectPostgres } from "../db/postgres.ts";
import { consoleLogger } from "../logging/console.ts";
import { createFetchHttpClient } from "../http/fetch-client.ts";
import { assembleDeps } from "./assemble.ts";

export interface WorkerEnv {
  HYPERDRIVE: { connectionString: string };
  HUREN_GATEWAY_ID?: string;
  HUREN_SECRET: string;
  HUREN_SIGNING_KEY?: string;
  HUREN_MAX_BODY_BYTES?: string;
  HUREN_LOG?: string;
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

function workerConfig(env: WorkerEnv) {
  return parseConfig({
    HUREN_GATEWAY_ID: env.HUREN_GATEWAY_ID,
    HUREN_SECRET: env.HUREN_SECRET,
    HUREN_SIGNING_KEY: env.HUREN_SIGNING_KEY,
    HUREN_MAX_BODY_BYTES: env.HUREN_MAX_BODY_BYTES,
    HUREN_LOG: env.HUREN_LOG,
    HUREN_DEMO: "off",
  });
}

async function workerDeps(env: WorkerEnv, config: ReturnType<typeof parseConfig>, secret: string) {
  const database = connectPostgres({ url: env.HYPERDRIVE.connectionString, max: 5 });
  return assembleDeps({
    gatewayId: config.gatewayId,
    database,
    secret,
    signingKey: config.signingKey,
    http: createFetchHttpClient(),
    logger: consoleLogger(config.log),
    maxBodyBytes: config.maxBodyBytes,
    // These deps live for one request: the cache only spares repeated reads within it, and a
    // LISTEN connection per request would be waste.
    configCache: { listen: false },
  });
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    const config = workerConfig(env);
    if (!config.secret) return new Response("HUREN_SECRET is not set", { status: 500 });
    const deps = await workerDeps(env, config, config.secret);
    try {
      return await createApp(deps).fetch(request);
    } finally {
      ctx.waitUntil(deps.close());
    }
  },
  /**
   * The cron trigger (wrangler.toml): Workers keep no background task, and GET
   * /v1/ledger/checkpoint never signs, so a deployment of Workers alone signs checkpoints here.
   */
  async scheduled(_event: unknown, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    const config = workerConfig(env);
    if (!config.secret) return;
    const deps = await workerDeps(env, config, config.secret);
    try {
      await deps.ledger.checkpoints.tick();
    } finally {
      ctx.waitUntil(deps.close());
    }
  },
};
