/**
 * C2SP tlog-tiles paths (https://c2sp.org/tlog-tiles): `tile/<L>/<N>[.p/<W>]` and
 * `tile/entries/<N>[.p/<W>]`, with N in zero-padded 3-digit groups, all but the last prefixed
 * by `x` (1234067 → `x001/x234/067`). Pure, shared by the gateway's routes and the CLI's tile
 * reader, so the two cannot disagree on a path.
 */

/** Hashes in a full tile (tiles are subtrees of height 8). */
export const TILE_WIDTH = 256;
/** Tree levels per tile level. */
export const TILE_HEIGHT = 8;

export interface TileId {
  /** Tile level (0 = leaf hashes); `undefined` for an entry bundle. */
  level: number | undefined;
  index: number;
  /** 1..255 for a partial tile, 256 for a full one. */
  width: number;
}

/**
 * `N` as C2SP path elements.
 * @example
 * encodeTileIndex(1234067); // "x001/x234/067"
 */
export function encodeTileIndex(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError("tile index must be a non-negative safe integer");
  const groups: string[] = [];
  let rest = n;
  do {
    groups.unshift(String(rest % 1000).padStart(3, "0"));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join("/");
}

/**
 * The path of a tile below the log's prefix (no leading slash).
 * @example
 * tilePath({ level: 0, index: 1234067, width: 128 }); // "tile/0/x001/x234/067.p/128"
 * tilePath({ level: undefined, index: 5, width: 256 }); // "tile/entries/005"
 */
export function tilePath(tile: TileId): string {
  const partial = tile.width < TILE_WIDTH ? `.p/${tile.width}` : "";
  return `tile/${tile.level === undefined ? "entries" : tile.level}/${encodeTileIndex(tile.index)}${partial}`;
}

const decimal = /^(0|[1-9][0-9]*)$/;

/**
 * Parses what follows `tile/` in a request path. Only the canonical spelling is accepted (what
 * tilePath gives back), so one tile has one URL and one cache entry. Undefined when it is not
 * a tile path.
 * @example
 * parseTilePath("1/x001/002.p/7"); // { level: 1, index: 1002, width: 7 }
 */
export function parseTilePath(rest: string): TileId | undefined {
  const parts = rest.split("/");
  const head = parts.shift();
  let level: number | undefined;
  if (head === "entries") level = undefined;
  else if (head !== undefined && decimal.test(head) && Number(head) <= 63) level = Number(head);
  else return undefined;
  let width = TILE_WIDTH;
  if (parts.length >= 2 && parts[parts.length - 2]!.endsWith(".p")) {
    const w = parts.pop()!;
    if (!decimal.test(w) || Number(w) < 1 || Number(w) > 255) return undefined;
    width = Number(w);
    parts[parts.length - 1] = parts[parts.length - 1]!.slice(0, -2);
  }
  if (parts.length === 0 || parts.length > 6) return undefined; // 6 groups already exceed 2^53
  const digits = parts.map((p, i) => (i < parts.length - 1 ? (p.startsWith("x") ? p.slice(1) : "") : p));
  if (!digits.every((d) => /^[0-9]{3}$/.test(d))) return undefined;
  const index = Number(digits.join(""));
  if (!Number.isSafeInteger(index) || encodeTileIndex(index) !== parts.join("/")) return undefined;
  return { level, index, width };
}

/**
 * Width of tile `index` at `level` (or of the entry bundle, level undefined ≡ 0) in the tree
 * of `size` leaves: 256 when full, 1..255 when partial, 0 when the tile does not exist yet.
 * @example
 * tileWidthAt(0, 273, 70_000); // 112
 */
export function tileWidthAt(level: number | undefined, index: number, size: number): number {
  const hashes = Math.floor(size / 2 ** (TILE_HEIGHT * (level ?? 0)));
  return Math.max(0, Math.min(TILE_WIDTH, hashes - index * TILE_WIDTH));
}

/**
 * The tree sizes whose partial tile this is: [lo, hi). A partial tile may be served only when
 * a checkpoint of such a size was produced (C2SP tlog-tiles). Undefined when the range is
 * beyond 2^53 (no such tree can exist here).
 * @example
 * partialTileSizes({ level: 0, index: 0, width: 5 }); // [5, 6)
 */
export function partialTileSizes(tile: TileId): [number, number] | undefined {
  const span = 2 ** (TILE_HEIGHT * (tile.level ?? 0));
  const lo = (tile.index * TILE_WIDTH + tile.width) * span;
  const hi = lo + span;
  return Number.isSafeInteger(hi) ? [lo, hi] : undefined;
}
