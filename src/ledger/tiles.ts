/**
 * Serving the ledger as C2SP tlog-tiles from the stored tree: a hash tile at tile level L is
 * the stored nodes of tree level 8·L, indexes [256·N, 256·N + W) — one index range scan on
 * ledger_nodes' primary key, nothing recomputed. An entry bundle is the stored canonical
 * entries [256·N, 256·N + W), each as a big-endian uint16 length and the RFC 8785 bytes whose
 * leaf hash is in the level-0 tile.
 *
 * Partial tiles are served only for a width some stored checkpoint's size implies (C2SP: for
 * tree sizes a checkpoint was produced for, not arbitrary ones); the checkpoint check is in
 * the same statement as the read, so a tile is still one query.
 */
import { sql } from "drizzle-orm";
import type { Queryable } from "../db/types.ts";
import { rowsOf } from "../db/rows.ts";
import { utf8 } from "../crypto/encoding.ts";
import { HASH_SIZE } from "./merkle.ts";
import { partialTileSizes, TILE_HEIGHT, TILE_WIDTH, type TileId } from "./tile-path.ts";

/** A level that cannot exist in a tree of at most 2^53 leaves. */
const tooHigh = (tile: TileId) => TILE_HEIGHT * (tile.level ?? 0) > 53;

/** For a partial tile: "and a checkpoint was produced for a size with this width". */
function checkpointedGuard(tile: TileId) {
  if (tile.width === TILE_WIDTH) return sql``;
  const [lo, hi] = partialTileSizes(tile)!;
  return sql`and exists (select 1 from ledger_checkpoints where size >= ${lo}::bigint and size < ${hi}::bigint)`;
}

/** The tile's range, or undefined when no such tile can exist (so no query is made). */
function range(tile: TileId): [number, number] | undefined {
  if (tooHigh(tile)) return undefined;
  if (tile.width < TILE_WIDTH && partialTileSizes(tile) === undefined) return undefined;
  const first = tile.index * TILE_WIDTH;
  const end = first + tile.width;
  return Number.isSafeInteger(end) ? [first, end] : undefined;
}

/**
 * The tile's bytes (W × 32), or undefined when it does not exist (yet, or at this width).
 * @example
 * const bytes = await readHashTile(db, { level: 0, index: 3, width: 256 });
 */
export async function readHashTile(q: Queryable, tile: TileId): Promise<Uint8Array | undefined> {
  const r = range(tile);
  if (!r || tile.level === undefined) return undefined;
  // One row: the hashes decoded and concatenated in index order by the database (ordered in the
  // subquery: an ordered aggregate sorts again, four times slower), and how many there were. No
  // row object and no base64 decoding per hash here; against 256 rows this shortened the tail
  // (docs/ledger.md §6).
  const [row] = rowsOf<{ n: number; bytes: Uint8Array | null }>(
    await q.execute(sql`
      select count(*)::int as n, string_agg(decode(hash, 'base64'), ''::bytea) as bytes from (
        select hash from ledger_nodes
        where level = ${TILE_HEIGHT * tile.level}::int and idx >= ${r[0]}::bigint and idx < ${r[1]}::bigint ${checkpointedGuard(tile)}
        order by idx) tile`),
  );
  if (!row || row.n !== tile.width || !row.bytes) return undefined;
  // A stored hash that is not 32 bytes would shift every hash after it: a bug, not input.
  if (row.bytes.length !== tile.width * HASH_SIZE) throw new Error(`ledger nodes ${TILE_HEIGHT * tile.level}/${r[0]}…${r[1] - 1} are not all 32-byte hashes`);
  return new Uint8Array(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength);
}

/**
 * The entry bundle's bytes, or undefined when it does not exist (yet, or at this width).
 * @example
 * const bundle = await readEntryBundle(db, { level: undefined, index: 0, width: 256 });
 */
export async function readEntryBundle(q: Queryable, tile: TileId): Promise<Uint8Array | undefined> {
  const r = range({ ...tile, level: undefined });
  if (!r) return undefined;
  const rows = rowsOf<{ entry_json: string }>(
    await q.execute(sql`
      select entry_json from ledger_entries
      where idx >= ${r[0]}::bigint and idx < ${r[1]}::bigint ${checkpointedGuard({ ...tile, level: undefined })}
      order by idx`),
  );
  if (rows.length !== tile.width) return undefined;
  const parts = rows.map((row, i) => {
    const bytes = utf8(row.entry_json);
    // The bundle's length prefix is 16 bits; entries are a few KiB at most, so this is a bug, not input.
    if (bytes.length > 0xffff) throw new Error(`ledger entry ${r[0] + i} is ${bytes.length} bytes, too long for a tile bundle`);
    return bytes;
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + 2 + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out[at] = p.length >> 8;
    out[at + 1] = p.length & 0xff;
    out.set(p, at + 2);
    at += 2 + p.length;
  }
  return out;
}

/**
 * Splits an entry bundle into its entries' bytes; throws RangeError when it is not one.
 * @example
 * const entries = splitEntryBundle(bytes); // entries[i] hashes to the i-th hash of the level-0 tile
 */
export function splitEntryBundle(bundle: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at < bundle.length) {
    if (at + 2 > bundle.length) throw new RangeError("entry bundle ends inside a length prefix");
    const len = (bundle[at]! << 8) | bundle[at + 1]!;
    if (at + 2 + len > bundle.length) throw new RangeError("entry bundle ends inside an entry");
    out.push(bundle.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return out;
}
