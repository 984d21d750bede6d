/**
 * Reading a C2SP tlog-tiles log as a client: any stored-tree hash of the tree of `size` leaves
 * (a HashReader, so treeHash, inclusionProof and consistencyProof from merkle.ts work on tiles),
 * with every tile authenticated against the checkpoint's root before a hash from it is used —
 * the scheme of Go's sumdb/tlog TileHashReader:
 *
 * - the right-edge tiles (the partial tile of each level) together hold every peak of the
 *   tree, so folding them must give the root: that authenticates all of them at once;
 * - a full tile's Merkle root is one hash in the tile above it, so it is authenticated by that
 *   tile, recursively up to the right edge.
 *
 * Only the tiles a request needs are fetched, all of one round in parallel, and each only once.
 */
import { emptyRoot, foldRight, hashEquals, nodeHash, peakNodes, type Hash, type HashReader, type NodeId } from "./merkle-core.ts";
import { HASH_SIZE } from "./merkle-core.ts";
import { TILE_HEIGHT, TILE_WIDTH, tilePath, tileWidthAt, type TileId } from "./tile-path.ts";

/** Fetches one tile's bytes by its path below the log prefix (e.g. `tile/0/x001/067.p/12`). */
export type TileFetcher = (path: string, tile: TileId) => Promise<Uint8Array>;

/** A tile that fetched wrong: its bytes do not hash into the checkpoint's tree. */
export class TileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = "TileError";
  }
}

const key = (t: TileId) => `${t.level}/${t.index}/${t.width}`;

/** MTH of a perfect run of hashes (length a power of two). */
function perfectRoot(hashes: Hash[]): Hash {
  let level = hashes;
  while (level.length > 1) {
    const up: Hash[] = [];
    for (let i = 0; i < level.length; i += 2) up.push(nodeHash(level[i]!, level[i + 1]!));
    level = up;
  }
  return level[0]!;
}

export interface TileReader {
  /** Stored-tree hashes (complete subtrees of the tree of `size`), from authenticated tiles. */
  read: HashReader;
  /** The authenticated hashes of a level-0 tile (leaf hashes), e.g. to check an entry bundle. */
  leafTile(index: number): Promise<Hash[]>;
  /** Paths fetched so far, in order. */
  readonly fetched: string[];
}

/**
 * A tile-backed HashReader for the tree of `size` leaves whose root is `root` (from a verified
 * checkpoint). Throws TileError when a tile is malformed or does not hash to the root.
 * @example
 * const tiles = tileReader(cp.size, cp.rootHash, (path) => get(`${prefix}/${path}`));
 * const proof = await inclusionProof(receipt.index, cp.size, tiles.read);
 */
export function tileReader(size: number, root: Hash, fetchTile: TileFetcher, options: { concurrency?: number } = {}): TileReader {
  const verified = new Map<string, Hash[]>();
  const fetched: string[] = [];
  const concurrency = options.concurrency ?? 16;
  let edgeChecked: Promise<void> | undefined;

  const tileAt = (level: number, index: number): TileId => ({ level, index, width: tileWidthAt(level, index, size) });

  async function fetchAll(tiles: TileId[]): Promise<Map<string, Hash[]>> {
    const todo = [...new Map(tiles.filter((t) => !verified.has(key(t))).map((t) => [key(t), t])).values()];
    const got = new Map<string, Hash[]>();
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const tile = todo[next++]!;
        const path = tilePath(tile);
        fetched.push(path);
        const bytes = await fetchTile(path, tile);
        if (bytes.length !== tile.width * HASH_SIZE) throw new TileError(path, `${bytes.length} bytes, expected ${tile.width * HASH_SIZE}`);
        got.set(key(tile), Array.from({ length: tile.width }, (_, i) => bytes.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE)));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
    return got;
  }

  /** Fetches the right edge and checks it folds to the root (once). */
  function checkEdge(): Promise<void> {
    edgeChecked ??= (async () => {
      const peaks = peakNodes(size);
      const edge = [...new Set(peaks.map((p) => Math.floor(p.level / TILE_HEIGHT)))].map((level) =>
        tileAt(level, Math.floor(Math.floor(size / 2 ** (TILE_HEIGHT * level)) / TILE_WIDTH)),
      );
      const got = await fetchAll(edge);
      const hashes = peaks.map((p) => subtreeFrom(got, p));
      if (!hashEquals(size === 0 ? emptyRoot() : foldRight(hashes), root)) {
        throw new TileError(edge.map(tilePath).join(", "), `the right-edge tiles do not hash to the checkpoint's root`);
      }
      for (const [k, v] of got) verified.set(k, v);
    })();
    return edgeChecked;
  }

  /** The hash of stored node `id` from the tile of its tile level in `tiles` (or the verified ones). */
  function subtreeFrom(tiles: Map<string, Hash[]>, id: NodeId): Hash {
    const level = Math.floor(id.level / TILE_HEIGHT);
    const height = id.level - level * TILE_HEIGHT;
    const first = id.index * 2 ** height;
    const tile = tileAt(level, Math.floor(first / TILE_WIDTH));
    const hashes = tiles.get(key(tile)) ?? verified.get(key(tile));
    if (!hashes) throw new Error(`tile ${tilePath(tile)} was not read`);
    const at = first - tile.index * TILE_WIDTH;
    return perfectRoot(hashes.slice(at, at + 2 ** height));
  }

  /** The tile holding node `id`, plus the full tiles above it up to (not including) the right edge. */
  function chain(id: NodeId): TileId[] {
    const out: TileId[] = [];
    let level = Math.floor(id.level / TILE_HEIGHT);
    let index = Math.floor((id.index * 2 ** (id.level - level * TILE_HEIGHT)) / TILE_WIDTH);
    for (;;) {
      const tile = tileAt(level, index);
      out.push(tile);
      if (tile.width < TILE_WIDTH || tileWidthAt(level + 1, Math.floor(index / TILE_WIDTH), size) === 0) return out;
      level++;
      index = Math.floor(index / TILE_WIDTH);
    }
  }

  /** Fetches what `ids` need and authenticates every full tile through the tile above it. */
  async function ensure(ids: NodeId[]): Promise<void> {
    await checkEdge();
    const chains = ids.map(chain);
    const got = await fetchAll(chains.flat());
    // Top-down: a tile's parent is checked before it (the edge ones already are).
    const pending = [...got.entries()].map(([k, hashes]) => ({ k, hashes, tile: chains.flat().find((t) => key(t) === k)! }));
    pending.sort((a, b) => (b.tile.level ?? 0) - (a.tile.level ?? 0));
    for (const { k, hashes, tile } of pending) {
      if (tile.width < TILE_WIDTH) throw new TileError(tilePath(tile), "a partial tile that is not on the right edge");
      const level = tile.level!;
      const parent = tileAt(level + 1, Math.floor(tile.index / TILE_WIDTH));
      const expected = (verified.get(key(parent)) ?? [])[tile.index % TILE_WIDTH];
      if (!expected) throw new Error(`tile ${tilePath(parent)} was not authenticated first`);
      if (!hashEquals(perfectRoot(hashes), expected)) throw new TileError(tilePath(tile), `does not hash to entry ${tile.index % TILE_WIDTH} of ${tilePath(parent)}`);
      verified.set(k, hashes);
    }
  }

  const read: HashReader = async (ids) => {
    for (const id of ids) {
      if ((id.index + 1) * 2 ** id.level > size) throw new RangeError(`node ${id.level}/${id.index} is not in the tree of ${size}`);
    }
    await ensure(ids);
    return ids.map((id) => subtreeFrom(new Map(), id));
  };

  return {
    read,
    fetched,
    async leafTile(index) {
      const width = tileWidthAt(0, index, size);
      if (width === 0) throw new RangeError(`leaf tile ${index} is not in the tree of ${size}`);
      await ensure([{ level: 0, index: index * TILE_WIDTH }]);
      return verified.get(key(tileAt(0, index)))!;
    },
  };
}
