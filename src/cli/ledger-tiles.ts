/**
 * `huren ledger tiles`: verifies the ledger from its C2SP tiles (§5.1), fetching only the tiles
 * each check needs, in parallel, every one authenticated against the checkpoint's signed root:
 * the checkpoint's signature, consistency with older checkpoints the auditor kept, a receipt's
 * inclusion, and (auditor, `--entries`) that every entry in the bundles hashes to its leaf.
 * Nothing the gateway says is trusted beyond what the pinned key signed.
 */
import type { JSONWebKeySet } from "jose";
import { hashEquals, inclusionProof, leafHash, treeHash } from "../ledger/merkle.ts";
import { toBase64 } from "../ledger/note-codec.ts";
import type { Checkpoint } from "../ledger/note.ts";
import { TILE_WIDTH, tilePath, tileWidthAt } from "../ledger/tile-path.ts";
import { TileError, tileReader } from "../ledger/tile-reader.ts";
import { splitEntryBundle } from "../ledger/tiles.ts";
import { checkCheckpoint, checkReceiptInclusion } from "../ledger/verify-export.ts";
import { loadKeyFile, requestToken, type KeyFile } from "./client.ts";
import { args, readJson, readKey, readText, UsageError } from "./ledger-io.ts";

export const TILES_USAGE = `  huren ledger tiles --key KEY [--gateway URL | --auditor-key FILE] [--checkpoint FILE] [--since OLD_CHECKPOINT]...
               [--receipt FILE.jws --jwks FILE.json] [--entries [--from-index N]] [--concurrency 16]  (verify from tiles)`;

const out = (line: string) => process.stdout.write(line + "\n");
const fail = (line: string) => {
  out(`FAIL: ${line}`);
  process.exitCode = 1;
};

async function get(gateway: string, path: string, auth?: KeyFile): Promise<Response> {
  const headers: Record<string, string> = { "accept-encoding": "gzip, identity" };
  if (auth) headers.authorization = `Bearer ${await requestToken(auth, "GET", path, "")}`;
  const res = await fetch(new URL(path, gateway), { headers });
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  return res;
}

/** Runs `work` over `items` with at most `n` in flight; resolves in order. */
async function parallel<T, R>(items: T[], n: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  }));
  return results;
}

/**
 * @example
 * await tilesCommand(["--key", "@ledger.key", "--gateway", "https://huren.example.gov.cn", "--since", "checkpoint-4000.txt"]);
 */
export async function tilesCommand(argv: string[]): Promise<void> {
  const { values } = args(argv, {
    key: { type: "string" },
    gateway: { type: "string" },
    "auditor-key": { type: "string" },
    checkpoint: { type: "string" },
    since: { type: "string", multiple: true },
    receipt: { type: "string" },
    jwks: { type: "string" },
    entries: { type: "boolean", default: false },
    "from-index": { type: "string" },
    concurrency: { type: "string", default: "16" },
  });
  const key = await readKey(values.key);
  const auth = values["auditor-key"] ? await loadKeyFile(values["auditor-key"]).catch((e: unknown) => Promise.reject(new UsageError(String(e)))) : undefined;
  const gateway = values.gateway ?? auth?.gateway;
  if (!gateway) throw new UsageError("--gateway is required (or an --auditor-key file naming it)");
  if (values.entries && !auth) throw new UsageError("--entries needs --auditor-key (entry bundles are for auditors)");
  if (values.receipt && !values.jwks) throw new UsageError("--receipt needs --jwks");
  const concurrency = Number(values.concurrency);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new UsageError("--concurrency must be a positive integer");

  const note = values.checkpoint ? await readText(values.checkpoint) : await (await get(gateway, "/v1/ledger/checkpoint")).text();
  const opened = await checkCheckpoint(note, key);
  if (!opened.ok) return fail(`checkpoint: ${opened.problem} — ${opened.detail}`);
  const cp: Checkpoint = opened.checkpoint;
  out(`OK  checkpoint ${cp.origin} size ${cp.size} root ${toBase64(cp.rootHash)}`);

  const tiles = tileReader(cp.size, cp.rootHash, async (path) => new Uint8Array(await (await get(gateway, `/v1/ledger/${path}`)).arrayBuffer()), { concurrency });
  try {
    await treeHash(cp.size, tiles.read);
    out(`OK  the tiles of the right edge reproduce the root`);

    for (const path of values.since ?? []) {
      const old = await checkCheckpoint(await readText(path), key);
      if (!old.ok) return fail(`${path}: ${old.problem} — ${old.detail}`);
      if (old.checkpoint.size > cp.size) return fail(`${path}: size ${old.checkpoint.size} is newer than the checkpoint (${cp.size}): the log shrank or forked`);
      const root = await treeHash(old.checkpoint.size, tiles.read);
      if (!hashEquals(root, old.checkpoint.rootHash)) return fail(`consistency: inconsistent — the tree of ${old.checkpoint.size} entries in today's tiles has root ${toBase64(root)}, but ${path} signed ${toBase64(old.checkpoint.rootHash)}: history was rewritten or the log forked`);
      out(`OK  ${path} (size ${old.checkpoint.size}) is a prefix of the checkpoint's tree`);
    }

    if (values.receipt) {
      const receipt = (await readText(values.receipt)).trim();
      const index = (JSON.parse(Buffer.from(receipt.split(".")[1] ?? "", "base64url").toString("utf8") || "{}") as { ledger?: { index?: unknown } }).ledger?.index;
      const proof = typeof index === "number" && index < cp.size ? (await inclusionProof(index, cp.size, tiles.read)).map(toBase64) : [];
      const check = await checkReceiptInclusion({ receipt, jwks: (await readJson(values.jwks!)) as JSONWebKeySet, checkpoint: cp, proof });
      if (!check.ok) return fail(`receipt: ${check.problem} — ${check.detail}`);
      out(`OK  receipt ${String(check.payload.jti ?? "")} is entry ${check.index} (leaf ${check.leafHash})`);
    }

    if (values.entries) {
      const from = values["from-index"] === undefined ? 0 : Number(values["from-index"]);
      if (!Number.isSafeInteger(from) || from < 0) throw new UsageError("--from-index must be a non-negative integer");
      const bundles = Array.from({ length: Math.ceil(cp.size / TILE_WIDTH) - Math.floor(from / TILE_WIDTH) }, (_, k) => Math.floor(from / TILE_WIDTH) + k);
      const bad = await parallel(bundles, concurrency, async (n) => {
        const width = tileWidthAt(undefined, n, cp.size);
        const path = `/v1/ledger/${tilePath({ level: undefined, index: n, width })}`;
        const [entries, leaves] = await Promise.all([get(gateway, path, auth).then(async (r) => splitEntryBundle(new Uint8Array(await r.arrayBuffer()))), tiles.leafTile(n)]);
        if (entries.length !== width) return { index: n * TILE_WIDTH + Math.min(entries.length, width), why: `missing — bundle ${path} has ${entries.length} entries, the tree has ${width} there` };
        for (const [i, bytes] of entries.entries()) {
          const at = n * TILE_WIDTH + i;
          if (at < from) continue;
          if (!hashEquals(leafHash(bytes), leaves[i]!)) return { index: at, why: `altered — the entry in ${path} does not hash to its leaf in the signed tree` };
          if ((JSON.parse(Buffer.from(bytes).toString("utf8")) as { index?: unknown }).index !== at) return { index: at, why: `reordered — the entry at position ${at} names another index` };
        }
        return undefined;
      });
      const first = bad.find((b) => b !== undefined);
      if (first) return fail(`at index ${first.index}: ${first.why}`);
      out(`OK  entries ${from}…${cp.size - 1}: each hashes to its leaf in the signed tree (${bundles.length} bundles)`);
    }
  } catch (err) {
    if (err instanceof TileError) return fail(`tile ${err.message}`);
    throw err;
  }
  out(`    ${tiles.fetched.length} hash tiles fetched from ${gateway}`);
}
