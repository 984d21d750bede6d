/**
 * The Node HTTP server in front of the app, hardened for a public port: slow and idle clients are
 * cut off by Node's own timers, connections are capped, and a drain on shutdown stops accepting,
 * closes idle keep-alive sockets and lets requests in flight finish before it resolves.
 */
import { serve } from "@hono/node-server";
import type { Server } from "node:http";

export interface ServerSettings {
  port: number;
  host: string;
  /** Whole request head must arrive within this, counted from the connection (or the previous response). */
  headersTimeoutMs: number;
  /** Whole request, head and body, must arrive within this. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Connections open at once; further ones are closed as they arrive. */
  maxConnections: number;
}

export interface RunningServer {
  server: Server;
  port: number;
  /** True once drain() was called: new requests are answered with `Connection: close`. */
  readonly draining: boolean;
  /**
   * Stops accepting, closes idle connections, waits for requests in flight (at most `graceMs`,
   * then closes what is left). Resolves with whether any connection had to be cut.
   */
  drain(graceMs: number): Promise<{ forced: boolean }>;
}

/** What hono's `app.fetch` is; @hono/node-server passes the Node request and response as `env`. */
type Fetch = (request: Request, env: unknown) => Response | Promise<Response>;

/** Node checks header and request timeouts on this tick; a fraction of the header timeout, ≤ 1 s. */
export const checkingIntervalMs = (headersTimeoutMs: number) => Math.max(50, Math.min(1000, Math.floor(headersTimeoutMs / 4)));

/**
 * @example
 * const running = await listen(app.fetch, { port: 8787, host: "127.0.0.1", headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 2048 });
 * process.on("SIGTERM", async () => { await running.drain(10_000); process.exit(0); });
 */
export function listen(fetch: Fetch, settings: ServerSettings): Promise<RunningServer> {
  let draining = false;
  return new Promise((resolve) => {
    const server = serve(
      {
        fetch,
        port: settings.port,
        hostname: settings.host,
        serverOptions: {
          headersTimeout: settings.headersTimeoutMs,
          requestTimeout: settings.requestTimeoutMs,
          keepAliveTimeout: settings.keepAliveTimeoutMs,
          connectionsCheckingInterval: checkingIntervalMs(settings.headersTimeoutMs),
        },
      },
      (info) => {
        resolve({
          server,
          port: info.port,
          get draining() {
            return draining;
          },
          drain: (graceMs) => {
            draining = true;
            return drainServer(server, graceMs);
          },
        });
      },
    ) as Server;
    server.maxConnections = settings.maxConnections;
    // Runs before hono's listener: while draining, every response closes its connection, so
    // keep-alive clients reconnect (to another process) instead of reusing this one.
    server.prependListener("request", (_req, res) => {
      if (draining) res.setHeader("connection", "close");
    });
  });
}

function drainServer(server: Server, graceMs: number): Promise<{ forced: boolean }> {
  return new Promise((resolve) => {
    let forced = false;
    // Connections that finish a response between ticks become idle; close them as they do.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const cut = setTimeout(() => {
      forced = true;
      server.closeAllConnections();
    }, graceMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(cut);
      resolve({ forced });
    });
    server.closeIdleConnections();
  });
}
