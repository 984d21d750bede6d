/**
 * The metrics listener: GET /metrics in the Prometheus text format on its own port
 * (HUREN_METRICS_PORT, 127.0.0.1 unless HUREN_METRICS_HOST), never on the public one — figures
 * about departments and load are for the operator's Prometheus, not for windows.
 *
 * Under HUREN_WORKERS the primary serves it: prom-client's AggregatorRegistry asks every worker
 * for its registry over the cluster IPC channel and merges them (counters and histograms add up,
 * gauges by their own aggregation), so one scrape sees the whole gateway.
 */
import { createServer, type Server } from "node:http";
import { AggregatorRegistry, Registry } from "prom-client";

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export interface MetricsSource {
  contentType: string;
  text(): Promise<string>;
}

/** One process's registry. */
export const registrySource = (registry: Registry): MetricsSource => ({ contentType: registry.contentType, text: () => registry.metrics() });

/** The primary of a cluster: every worker's registry, merged. */
export function clusterSource(): MetricsSource {
  const aggregator = new AggregatorRegistry();
  return { contentType: aggregator.contentType, text: () => aggregator.clusterMetrics() };
}

/** In a cluster worker: answer the primary's requests with this registry (and only it). */
export function exposeToPrimary(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs the worker's IPC listener (idempotent inside prom-client).
  new AggregatorRegistry();
}

/**
 * @example
 * const server = await serveMetrics({ host: "127.0.0.1", port: 9464, source: registrySource(metrics.registry) });
 */
export async function serveMetrics(options: { host: string; port: number; source: MetricsSource; onError?: (err: unknown) => void }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(path === "/metrics" ? 405 : 404, { "content-type": "text/plain; charset=utf-8" }).end(path === "/metrics" ? "GET only\n" : "see /metrics\n");
      return;
    }
    options.source.text().then(
      (text) => {
        res.writeHead(200, { "content-type": options.source.contentType, "cache-control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (err: unknown) => {
        options.onError?.(err);
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("metrics unavailable\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : options.port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // A scraper keeps its connection alive between scrapes.
        server.closeAllConnections();
      }),
  };
}
