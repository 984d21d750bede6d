/**
 * §5.1: the ledger as a C2SP tlog-tiles log under the prefix /v1/ledger. Hash tiles are public
 * (hashes reveal nothing); entry bundles name windows, clerks and cases, so only auditors get
 * them. The tile index spans several path segments (`x001/x234/067`), which an OpenAPI path
 * parameter cannot express, so the routes are plain hono wildcard routes that parse the path
 * themselves, and their documentation (the OpenAPI paths below) is registered by hand.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { HurenError } from "../errors.ts";
import { parseTilePath, TILE_WIDTH, type TileId } from "../ledger/tile-path.ts";
import { readEntryBundle, readHashTile } from "../ledger/tiles.ts";
import { signedProblems, type RouteKit } from "./kit.ts";

const IMMUTABLE = "max-age=31536000, immutable";
/** Partial tiles are immutable too, but a log may drop them once the full tile exists. */
const PARTIAL = "max-age=60";

const badPath = (path: string) =>
  new HurenError("bad-tile-path", 400, "Not a tile path", `${path} is not a C2SP tile path: tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>], N in 3-digit groups (x001/x234/067)`);
const noTile = (tile: TileId) =>
  new HurenError(
    "not-found",
    404,
    "Not found",
    tile.width < TILE_WIDTH
      ? `this partial tile is not one of a checkpointed tree size, or its entries do not exist yet`
      : `this tile is not complete yet`,
  );

/** gzip when the client takes it (C2SP: bundles SHOULD be compressed at the HTTP layer). */
async function maybeGzip(c: Context<AppEnv>, bytes: Uint8Array): Promise<Uint8Array> {
  c.header("vary", "accept-encoding");
  const accepts = (c.req.header("accept-encoding") ?? "").split(",").some((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    return (name === "gzip" || name === "*") && !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
  if (!accepts) return bytes;
  c.header("content-encoding", "gzip");
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function tileOf(c: Context<AppEnv>, prefix: string): TileId {
  const path = new URL(c.req.url).pathname;
  const tile = path.startsWith(prefix) ? parseTilePath(path.slice(prefix.length)) : undefined;
  if (!tile) throw badPath(path);
  return tile;
}

export function registerTileRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db } = kit.deps;

  // Registered before the hash tiles: "entries" would otherwise be parsed as a level there.
  const [auditorOnly] = kit.signed(["auditor"]);
  app.get("/v1/ledger/tile/entries/*", auditorOnly!, async (c) => {
    const tile = tileOf(c, "/v1/ledger/tile/");
    const bundle = await readEntryBundle(db, tile);
    if (!bundle) throw noTile(tile);
    // private: a shared cache must not hand an auditor's bundle to anyone else.
    c.header("cache-control", `private, ${tile.width === TILE_WIDTH ? IMMUTABLE : PARTIAL}`);
    c.header("content-type", "application/octet-stream");
    return c.body((await maybeGzip(c, bundle)) as Uint8Array<ArrayBuffer>, 200);
  });

  app.get("/v1/ledger/tile/*", async (c) => {
    const tile = tileOf(c, "/v1/ledger/tile/");
    if (tile.level === undefined) throw badPath(new URL(c.req.url).pathname);
    const bytes = await readHashTile(db, tile);
    if (!bytes) throw noTile(tile);
    c.header("cache-control", `public, ${tile.width === TILE_WIDTH ? IMMUTABLE : PARTIAL}`);
    c.header("content-type", "application/octet-stream");
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200);
  });

  const octets = (description: string) => ({ description, content: { "application/octet-stream": { schema: z.string().describe("binary") } } });
  const params = z.object({
    L: z.string().describe("tile level, 0..63 (level 0 holds leaf hashes; level l hashes of 256^l-leaf subtrees)"),
    N: z.string().describe("tile index in 3-digit groups, all but the last prefixed by x (x001/x234/067), then .p/<W> for a partial tile of width W"),
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/ledger/tile/{L}/{N}",
    tags: ["ledger"],
    summary: "A C2SP tlog-tiles hash tile, public; full tiles are immutable",
    request: { params },
    responses: { 200: octets("W × 32 bytes of hashes"), 400: { description: "bad-tile-path: not a C2SP tile path" }, 404: { description: "Not complete yet, or a partial width no checkpoint has" } },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/ledger/tile/entries/{N}",
    tags: ["ledger"],
    security: [{ signedRequest: [] }],
    summary: "A C2SP tlog-tiles entry bundle (auditor): uint16 length + RFC 8785 entry, gzip when accepted",
    request: { params: params.pick({ N: true }) },
    responses: { 200: octets("The entries"), ...signedProblems, 404: { description: "Not complete yet, or a partial width no checkpoint has" } },
  });
}
