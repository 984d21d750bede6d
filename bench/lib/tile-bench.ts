/**
 * Phase G of `npm run bench:ledger`: serving C2SP tiles at the filled size. Hash tiles go
 * through the real route (`GET /v1/ledger/tile/…` on the gateway app, in process: routing,
 * request log and the one range query); entry bundles are read and gzipped as their route does
 * (without the signed-request check, which every signed route pays alike). Each answer is
 * checked for its length, and a sample of level-0 tiles against the stored leaves.
 */
import { createApp } from "../../src/app.ts";
import { rateLimitSettings } from "../../src/ratelimit/settings.ts";
import { assembleDeps } from "../../src/entry/assemble.ts";
import type { Database } from "../../src/db/types.ts";
import { createUndiciHttpClient } from "../../src/http/undici-client.ts";
import { publishCheckpoint } from "../../src/ledger/checkpoints.ts";
import { tilePath, TILE_WIDTH, tileWidthAt } from "../../src/ledger/tile-path.ts";
import { readEntryBundle } from "../../src/ledger/tiles.ts";
import { entriesByIndex } from "../../src/ledger/store.ts";
import { generateSecret } from "../../src/crypto/secrets.ts";
import { prng } from "./data.ts";
import { percentile } from "./ledger-bench.ts";

export interface Latency {
  samples: number;
  p50: number;
  p99: number;
  max: number;
}

const summary = (times: number[]): Latency => ({ samples: times.length, p50: percentile(times, 50), p99: percentile(times, 99), max: Math.max(...times) });

/**
 * @example
 * const tiles = await tileLatency(database, 1_000_000, 2000);
 */
export async function tileLatency(database: Database, size: number, samples: number, secret = generateSecret()) {
  // The gateway's own duration of each request (its wide log event, the figure its request
  // duration metric records): from the first middleware to the response, without the client's
  // side of app.request (building a WHATWG Request and reading the Response).
  let served: number | undefined;
  const logger = { info: (event: Record<string, unknown>) => void (event.event === "request" && (served = Number(event.ms))), error() {} };
  const deps = await assembleDeps({ gatewayId: "bench.huren", database, secret, http: createUndiciHttpClient(), logger, configCache: { listen: false }, rateLimits: rateLimitSettings({ enabled: false }) });
  try {
    const app = createApp(deps);
    await publishCheckpoint(deps.db, deps.ledger.signer); // the partial tiles of this size may now be served
    const random = prng(3);
    const fullLeafTiles = Math.floor(size / TILE_WIDTH);
    const level0Served: number[] = [];
    const get = async (path: string, expectBytes: number) => {
      served = undefined;
      const t = performance.now();
      const res = await app.request(`/v1/ledger/${path}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      const ms = performance.now() - t;
      if (res.status !== 200 || bytes.length !== expectBytes) throw new Error(`${path}: HTTP ${res.status}, ${bytes.length} bytes`);
      return { ms, bytes };
    };

    // Warm-up, not counted: the first requests through a route compile it (JIT) and open the
    // pool's connections; the figures are for a gateway that has been serving for a while.
    for (let s = 0; s < 300; s++) await get(tilePath({ level: s % 2, index: Math.floor(random() * (s % 2 ? Math.max(1, Math.floor(size / TILE_WIDTH ** 2)) : fullLeafTiles)), width: TILE_WIDTH }), TILE_WIDTH * 32);

    const level0: number[] = [];
    for (let s = 0; s < samples; s++) {
      const n = Math.floor(random() * fullLeafTiles);
      const { ms, bytes } = await get(tilePath({ level: 0, index: n, width: TILE_WIDTH }), TILE_WIDTH * 32);
      level0.push(ms);
      if (served === undefined) throw new Error("the tile request was not logged");
      level0Served.push(served);
      if (s % 100 === 0) {
        const [first] = await entriesByIndex(deps.db, n * TILE_WIDTH, n * TILE_WIDTH + 1, 1);
        if (Buffer.from(bytes.subarray(0, 32)).toString("base64") !== first!.leafHash) throw new Error(`tile 0/${n} does not start with leaf ${n * TILE_WIDTH}`);
      }
    }
    const level1: number[] = [];
    const fullLevel1 = Math.floor(size / TILE_WIDTH ** 2);
    for (let s = 0; s < Math.min(samples, 500) && fullLevel1 > 0; s++) {
      level1.push((await get(tilePath({ level: 1, index: Math.floor(random() * fullLevel1), width: TILE_WIDTH }), TILE_WIDTH * 32)).ms);
    }
    const partial: number[] = [];
    const edge = { level: 0, index: fullLeafTiles, width: tileWidthAt(0, fullLeafTiles, size) };
    for (let s = 0; s < Math.min(samples, 500) && edge.width > 0; s++) partial.push((await get(tilePath(edge), edge.width * 32)).ms);

    const bundles: number[] = [];
    let plain = 0;
    let zipped = 0;
    for (let s = 0; s < Math.min(samples, 500); s++) {
      const n = Math.floor(random() * fullLeafTiles);
      const t = performance.now();
      const bundle = (await readEntryBundle(deps.db, { level: undefined, index: n, width: TILE_WIDTH }))!;
      const gz = new Uint8Array(await new Response(new Blob([bundle as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
      bundles.push(performance.now() - t);
      plain += bundle.length;
      zipped += gz.length;
    }
    return { level0: summary(level0), level0Served: summary(level0Served), level1: summary(level1), partial: summary(partial), bundles: { ...summary(bundles), bytes: plain / bundles.length, gzipBytes: zipped / bundles.length } };
  } finally {
    await deps.close();
  }
}
