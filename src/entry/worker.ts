/**
 * The Cloudflare Workers entry: the same app factory over postgres.js through Hyperdrive, with
 * global fetch for departments. Workers run no migrations (apply them from Node with
 * `npm run db:migrate` against the same database) and never load PGlite or undici.
 *
 * Dependencies are built once per isolate, on its first request: the secrets, the gateway's and
 * the ledger's keys (unsealed once), the configuration cache, the rate limiter, the app itself.
 * What Workers forbid sharing between requests — a socket — stays per request: each request opens
 * its own postgres.js client on the Hyperdrive binding (Hyperdrive pools the real connections),
 * and the isolate's deps reach it through a request scope (./request-scope.ts).
 */
import { createApp, type HurenApp } from "../app.ts";
import { parseConfig } from "../config.ts";
import { connectPostgres } from "../db/postgres.ts";
import { consoleLogger } from "../logging/console.ts";
import { createFetchHttpClient } from "../http/fetch-client.ts";
import { rateLimitSettings } from "../ratelimit/settings.ts";
import type { AppDeps } from "../deps.ts";
import { assembleDeps } from "./assemble.ts";
import { createRequestScopes, type RequestScopes } from "./request-scope.ts";

export interface WorkerEnv {
  HYPERDRIVE: { connectionString: string };
  HUREN_GATEWAY_ID?: string;
  HUREN_SECRET: string;
  HUREN_SIGNING_KEY?: string;
  HUREN_MAX_BODY_BYTES?: string;
  HUREN_LOG?: string;
  /** As on Node: JSON `{ "kinds", "members" }` or `off` (docs/operators.md §6). */
  HUREN_RATE_LIMITS?: string;
  /** How stale cached configuration may get (default 30 s): Workers get no change notifications. */
  HUREN_CONFIG_CACHE_TTL_MS?: string;
  /** Console sign-in with OpenID Connect, as on Node: issuer, client id and redirect URL together or none. */
  HUREN_OIDC_ISSUER?: string;
  HUREN_OIDC_CLIENT_ID?: string;
  /** A secret: `wrangler secret put HUREN_OIDC_CLIENT_SECRET`. */
  HUREN_OIDC_CLIENT_SECRET?: string;
  HUREN_OIDC_REDIRECT_URL?: string;
  HUREN_OIDC_SCOPE?: string;
}

/** The settings read from the env; a change to any of them builds the isolate's deps afresh. */
const SETTINGS = [
  "HUREN_GATEWAY_ID",
  "HUREN_SECRET",
  "HUREN_SIGNING_KEY",
  "HUREN_MAX_BODY_BYTES",
  "HUREN_LOG",
  "HUREN_RATE_LIMITS",
  "HUREN_CONFIG_CACHE_TTL_MS",
  "HUREN_OIDC_ISSUER",
  "HUREN_OIDC_CLIENT_ID",
  "HUREN_OIDC_CLIENT_SECRET",
  "HUREN_OIDC_REDIRECT_URL",
  "HUREN_OIDC_SCOPE",
] as const satisfies readonly (keyof WorkerEnv)[];

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

interface Isolate {
  /** Settings the deps were built from: another env (a new deploy's) builds afresh. */
  key: string;
  deps: AppDeps;
  app: HurenApp;
  scopes: RequestScopes;
  /** Figures for /readyz's `x-huren-isolate` header: builds of the deps, requests served. */
  builds: number;
  requests: number;
}

function workerConfig(env: WorkerEnv) {
  return parseConfig({ ...Object.fromEntries(SETTINGS.map((name) => [name, env[name]])), HUREN_DEMO: "off" });
}

const keyOf = (env: WorkerEnv) => JSON.stringify([env.HYPERDRIVE.connectionString, ...SETTINGS.map((name) => env[name])]);

let isolate: Promise<Isolate> | undefined;
let builds = 0;

/** Runs inside the first request's scope: loading keys reads the database through its client. */
async function build(env: WorkerEnv, key: string, scopes: RequestScopes): Promise<Isolate> {
  const config = workerConfig(env);
  const deps = await assembleDeps({
    gatewayId: config.gatewayId,
    // Every query goes to the current request's client (./request-scope.ts); nothing to close here.
    database: { db: scopes.db, driver: "postgres", close: async () => {} },
    scoping: scopes,
    secret: config.secret!,
    signingKey: config.signingKey,
    http: createFetchHttpClient(),
    logger: consoleLogger(config.log),
    maxBodyBytes: config.maxBodyBytes,
    rateLimits: rateLimitSettings(config.rateLimits),
    // No LISTEN connection can outlive a request: changes made elsewhere are seen within the TTL.
    configCache: { listen: false, ttlMs: config.configCacheTtlMs },
  });
  const app = createApp({ ...deps, ...(config.oidc ? { consoleOidc: config.oidc } : {}) });
  return { key, deps, app, scopes, builds: ++builds, requests: 0 };
}

/** The isolate's deps, built on first use (and again if that failed, or the env changed). */
async function isolateFor(env: WorkerEnv, scopes: RequestScopes): Promise<Isolate> {
  const key = keyOf(env);
  const current = isolate ? await isolate.catch(() => undefined) : undefined;
  if (current?.key === key) return current;
  const building = build(env, key, scopes);
  isolate = building;
  building.catch(() => {
    if (isolate === building) isolate = undefined;
  });
  return building;
}

// One scope registry per isolate: the isolate's deps hold its `db` proxy.
const scopes = createRequestScopes();

/** Runs `fn` with this request's own database client, closed once its background work is done. */
async function inScope<T>(env: WorkerEnv, ctx: ExecutionContext, fn: (isolate: Isolate) => Promise<T>): Promise<T> {
  const database = connectPostgres({ url: env.HYPERDRIVE.connectionString, max: 5 });
  return scopes.run({ db: database.db, waitUntil: (p) => ctx.waitUntil(p) }, async () => {
    try {
      return await fn(await isolateFor(env, scopes));
    } finally {
      ctx.waitUntil(scopes.finish().then(() => database.close()));
    }
  });
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    if (!env.HUREN_SECRET) return new Response("HUREN_SECRET is not set", { status: 500 });
    return inScope(env, ctx, async (iso) => {
      iso.requests++;
      const response = await iso.app.fetch(request);
      if (new URL(request.url).pathname !== "/readyz") return response;
      // Operators (and test/worker.workerd.test.ts) can see that deps are built once per isolate.
      const answer = new Response(response.body, response);
      answer.headers.set("x-huren-isolate", `builds=${iso.builds}; requests=${iso.requests}`);
      return answer;
    });
  },
  /**
   * The cron trigger (wrangler.toml): Workers keep no background task, and GET
   * /v1/ledger/checkpoint never signs, so a deployment of Workers alone signs checkpoints here.
   */
  async scheduled(_event: unknown, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    if (!env.HUREN_SECRET) return;
    await inScope(env, ctx, async (iso) => {
      await iso.deps.ledger.checkpoints.tick();
      await iso.deps.ledger.witnesses.idle();
    });
  },
};
