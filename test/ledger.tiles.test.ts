/**
 * §5.1 tiles: C2SP path encoding; tiles and bundles served from the stored tree over HTTP;
 * partial tiles only at checkpointed sizes; caching and gzip; the tile reader recomputes the
 * checkpoint's root, proofs and leaves from tiles alone and catches a tile that lies.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { serve } from "@hono/node-server";
import { eq } from "drizzle-orm";
import { exportJWK, generateKeyPair } from "jose";
import { ledgerCheckpoints } from "../src/db/schema.ts";
import { putMember } from "../src/members/members.ts";
import { runHuren } from "./ledger-export-fixture.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendEntries, type LedgerEntryInput } from "../src/ledger/append.ts";
import { publishCheckpoint } from "../src/ledger/checkpoints.ts";
import { entriesByIndex } from "../src/ledger/store.ts";
import { consistencyProof, inclusionProof, leafHash, rootFromLeaves, treeHash, verifyConsistency, verifyInclusion } from "../src/ledger/merkle.ts";
import { encodeTileIndex, parseTilePath, tilePath, tileWidthAt } from "../src/ledger/tile-path.ts";
import { splitEntryBundle } from "../src/ledger/tiles.ts";
import { TileError, tileReader } from "../src/ledger/tile-reader.ts";
import { createHarness, GATEWAY_ID, type Actor, type Harness } from "./harness.ts";

let h: Harness;
let auditor: Actor;
let window: Actor;
const leaves: Uint8Array[] = [];
/** Checkpointed sizes, in order. */
const sizes = [3, 256, 700, 1000];

const input = (i: number): LedgerEntryInput => ({
  entry: { kind: "test", n: i, case: `T-${i}` },
  verificationId: `vf_tiles_${i}`,
  subjectRef: `sr_${i % 7}`,
  requester: "tiles-window",
  uid: "staff-1",
  matter: "m",
  caseRef: `T-${i}`,
  decision: "permitted",
  evidenceTypes: [],
  recordedAt: new Date(0),
});

beforeAll(async () => {
  h = await createHarness();
  auditor = await h.addMember("tiles-auditor", "auditor");
  window = await h.addMember("tiles-window", "window");
  let size = 0;
  for (const target of sizes) {
    await h.deps.db.transaction((tx) => appendEntries(tx, Array.from({ length: target - size }, (_, k) => input(size + k))));
    await publishCheckpoint(h.deps.db, h.deps.ledger.signer);
    size = target;
  }
  // 30 more, not checkpointed.
  await h.deps.db.transaction((tx) => appendEntries(tx, Array.from({ length: 30 }, (_, k) => input(1000 + k))));
  for (const e of await entriesByIndex(h.deps.db, 0, 2000, 2000)) leaves.push(new Uint8Array(Buffer.from(e.leafHash, "base64")));
}, 60_000);
afterAll(async () => {
  await h?.close();
});

const get = (path: string, headers: Record<string, string> = {}) => h.app.request(`/v1/ledger/${path}`, { headers });
const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());
const concat = (hashes: Uint8Array[]) => Buffer.concat(hashes);

describe("C2SP tile paths", () => {
  it.each([
    [0, "000"],
    [5, "005"],
    [1000, "x001/000"],
    [1234067, "x001/x234/067"],
  ])("%i ⇄ %s", (n, path) => {
    expect(encodeTileIndex(n)).toBe(path);
    expect(parseTilePath(`0/${path}`)).toEqual({ level: 0, index: n, width: 256 });
  });

  it("partial tiles and bundles", () => {
    expect(parseTilePath("2/x001/x234/067.p/128")).toEqual({ level: 2, index: 1234067, width: 128 });
    expect(parseTilePath("entries/007.p/1")).toEqual({ level: undefined, index: 7, width: 1 });
    expect(tilePath({ level: undefined, index: 1234067, width: 5 })).toBe("tile/entries/x001/x234/067.p/5");
  });

  it.each(["0/5", "0/0005", "0/x000/005", "0/001/002", "00/000", "64/000", "0/000.p/0", "0/000.p/256", "0/000.p/012", "0/000.p", "x/000", "0/", "0/x01/000", "0"])(
    "rejects %s",
    (path) => expect(parseTilePath(path)).toBeUndefined(),
  );

  it("widths follow the spec's example of a tree of 70,000", () => {
    expect(tileWidthAt(0, 272, 70_000)).toBe(256);
    expect(tileWidthAt(0, 273, 70_000)).toBe(112);
    expect(tileWidthAt(1, 0, 70_000)).toBe(256);
    expect(tileWidthAt(1, 1, 70_000)).toBe(17);
    expect(tileWidthAt(2, 0, 70_000)).toBe(1);
    expect(tileWidthAt(0, 274, 70_000)).toBe(0);
  });
});

describe("GET /v1/ledger/tile/…", () => {
  it("a full level-0 tile is the 256 leaf hashes, public and immutable", async () => {
    const res = await get("tile/0/001");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(Buffer.from(await bytesOf(res))).toEqual(concat(leaves.slice(256, 512)));
  });

  it("a partial tile exists only at a checkpointed width, with short caching", async () => {
    // Checkpoints at 700 and 1000: level-0 partial widths 700 - 512 = 188 and 1000 - 768 = 232.
    const ok = await get("tile/0/002.p/188");
    expect(ok.status).toBe(200);
    expect(ok.headers.get("cache-control")).toBe("public, max-age=60");
    expect(Buffer.from(await bytesOf(ok))).toEqual(concat(leaves.slice(512, 700)));
    expect((await get("tile/0/003.p/232")).status).toBe(200);
    expect((await get("tile/0/000.p/3")).status).toBe(200);
    // Width 100 was never a checkpoint's; 1030 - 1024 = 6 is the current size but not checkpointed.
    for (const path of ["tile/0/002.p/100", "tile/0/004.p/6"]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
    }
  });

  it("a level-1 tile holds the roots of full level-0 tiles; incomplete tiles are 404", async () => {
    // Tree of 1000: floor(1000 / 256) = 3 level-1 hashes.
    const res = await get("tile/1/000.p/3");
    expect(res.status).toBe(200);
    const expected = [0, 1, 2].map((i) => rootFromLeaves(leaves.slice(i * 256, (i + 1) * 256)));
    expect(Buffer.from(await bytesOf(res))).toEqual(concat(expected));
    expect((await get("tile/1/000")).status).toBe(404);
    expect((await get("tile/0/004")).status).toBe(404);
    expect((await get("tile/7/000.p/1")).status).toBe(404);
  });

  it("a malformed path is a 400 problem, not a 500", async () => {
    for (const path of ["tile/0/5", "tile/abc/000", "tile/0/000.p/0", "tile/0/x000/001"]) {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { type: string }).type).toBe("https://huren.dev/problems/bad-tile-path");
    }
  });
});

describe("GET /v1/ledger/tile/entries/…", () => {
  it("auditors only; a window is refused and an unsigned call is 401", async () => {
    expect((await get("tile/entries/000")).status).toBe(401);
    expect((await h.call(window, "GET", "/v1/ledger/tile/entries/000")).status).toBe(403);
  });

  it("a bundle's entries hash to the level-0 tile, gzip when accepted", async () => {
    const plain = await h.call(auditor, "GET", "/v1/ledger/tile/entries/001");
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(plain.headers.get("cache-control")).toBe("private, max-age=31536000, immutable");
    const entries = splitEntryBundle(await bytesOf(plain));
    expect(entries).toHaveLength(256);
    entries.forEach((e, i) => {
      expect(Buffer.from(leafHash(e))).toEqual(Buffer.from(leaves[256 + i]!));
      expect(JSON.parse(Buffer.from(e).toString("utf8")).index).toBe(256 + i);
    });

    const zipped = await h.call(auditor, "GET", "/v1/ledger/tile/entries/001", undefined, { headers: { "accept-encoding": "gzip, identity" } });
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    const raw = await bytesOf(zipped);
    expect(raw.length).toBeLessThan(entries.reduce((n, e) => n + e.length, 0));
    expect(Buffer.from(gunzipSync(raw))).toEqual(Buffer.from(await bytesOf(await h.call(auditor, "GET", "/v1/ledger/tile/entries/001"))));
  });

  it("partial bundles only at checkpointed widths", async () => {
    expect((await h.call(auditor, "GET", "/v1/ledger/tile/entries/002.p/188")).status).toBe(200);
    expect((await h.call(auditor, "GET", "/v1/ledger/tile/entries/002.p/187")).status).toBe(404);
  });
});

describe("the tile reader", () => {
  const fetcher = (log: string[]) => async (path: string) => {
    log.push(path);
    const res = await get(path);
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    return bytesOf(res);
  };

  it("recomputes the root of every checkpointed size and proofs from tiles alone", async () => {
    for (const size of sizes) {
      const root = rootFromLeaves(leaves.slice(0, size));
      const log: string[] = [];
      const tiles = tileReader(size, root, fetcher(log));
      expect(Buffer.from(await treeHash(size, tiles.read))).toEqual(Buffer.from(root));
      for (const index of [0, Math.floor(size / 2), size - 1]) {
        const proof = await inclusionProof(index, size, tiles.read);
        expect(verifyInclusion(leaves[index]!, index, size, proof, root)).toBe(true);
      }
      const old = Math.max(1, Math.floor(size / 3));
      const proof = await consistencyProof(old, size, tiles.read);
      expect(verifyConsistency(old, size, proof, rootFromLeaves(leaves.slice(0, old)), root)).toBe(true);
      // Only tiles of this tree, each fetched once.
      expect(new Set(log).size).toBe(log.length);
      expect(log.length).toBeLessThanOrEqual(6);
    }
  });

  it("hands back authenticated leaf tiles", async () => {
    const tiles = tileReader(1000, rootFromLeaves(leaves.slice(0, 1000)), fetcher([]));
    expect(concat(await tiles.leafTile(1))).toEqual(concat(leaves.slice(256, 512)));
    expect(concat(await tiles.leafTile(3))).toEqual(concat(leaves.slice(768, 1000)));
  });

  it("refuses a tile that does not hash into the checkpoint", async () => {
    const root = rootFromLeaves(leaves.slice(0, 1000));
    const lying = async (path: string) => {
      const bytes = await fetcher([])(path);
      if (path === "tile/0/001") bytes[40]! ^= 1;
      return bytes;
    };
    const tiles = tileReader(1000, root, lying);
    await expect(tiles.leafTile(1)).rejects.toThrow(TileError);
    await expect(tiles.leafTile(1)).rejects.toThrow(/tile\/0\/001: does not hash to entry 1 of tile\/1\/000.p\/3/);
    // The right edge itself lying is caught against the root.
    const edgeLies = tileReader(1000, root, async (path) => {
      const bytes = await fetcher([])(path);
      if (path === "tile/0/003.p/232") bytes[0]! ^= 1;
      return bytes;
    });
    await expect(treeHash(1000, edgeLies.read)).rejects.toThrow(/do not hash to the checkpoint's root/);
    // A checkpoint root the tiles do not make.
    await expect(treeHash(700, tileReader(700, root, fetcher([])).read)).rejects.toThrow(TileError);
  });
});

describe("huren ledger tiles against a running gateway", () => {
  it("verifies root, an older checkpoint and every entry from tiles; names a lying tile", { timeout: 240_000 }, async () => {
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const publicJwk = await exportJWK(publicKey);
    await putMember(h.deps.db, "cli-tiles-auditor", { kind: "auditor", name: "cli", jwks: { keys: [{ ...publicJwk, kid: "k1" } as never] }, enabled: true });
    // The second server flips a bit in one tile, as a gateway showing a forged ledger would.
    const listen = (fetch: (r: Request) => Response | Promise<Response>) =>
      new Promise<{ url: string; close(): void }>((resolve) => {
        const s = serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve({ url: `http://127.0.0.1:${info.port}`, close: () => s.close() }));
      });
    const honest = await listen(h.app.fetch);
    const lying = await listen(async (req) => {
      const res = await h.app.fetch(req);
      if (!new URL(req.url).pathname.endsWith("/tile/0/002")) return res;
      const bytes = new Uint8Array(await res.arrayBuffer());
      bytes[100]! ^= 1;
      return new Response(bytes, { status: res.status, headers: res.headers });
    });
    const dir = await mkdtemp(join(tmpdir(), "huren-ledger-tiles-"));
    try {
      const f = (name: string) => join(dir, name);
      await writeFile(f("auditor.json"), JSON.stringify({ gateway: honest.url, gatewayId: GATEWAY_ID, member: "cli-tiles-auditor", uid: "audit-staff-1", jwk: { ...(await exportJWK(privateKey)), kid: "k1" } }));
      await writeFile(f("ledger.key"), h.deps.ledger.signer.verifierKey + "\n");
      const [cp700] = await h.deps.db.select().from(ledgerCheckpoints).where(eq(ledgerCheckpoints.size, 700));
      await writeFile(f("cp-700.txt"), cp700!.note);
      const [cp1000] = await h.deps.db.select().from(ledgerCheckpoints).where(eq(ledgerCheckpoints.size, 1000));
      await writeFile(f("cp-1000.txt"), cp1000!.note);
      const common = ["ledger", "tiles", "--key", `@${f("ledger.key")}`, "--checkpoint", f("cp-1000.txt"), "--since", f("cp-700.txt")];
      const [good, bad] = await Promise.all([
        runHuren([...common, "--auditor-key", f("auditor.json"), "--entries"]),
        runHuren([...common, "--gateway", lying.url]),
      ]);
      expect(good.stdout).toContain("OK  the tiles of the right edge reproduce the root");
      expect(good.stdout).toContain(`OK  ${f("cp-700.txt")} (size 700) is a prefix of the checkpoint's tree`);
      expect(good.stdout).toContain("OK  entries 0…999: each hashes to its leaf in the signed tree (4 bundles)");
      expect(good.code).toBe(0);
      expect(bad.stdout).toMatch(/FAIL: tile tile\/0\/002: does not hash to entry 2 of tile\/1\/000\.p\/3/);
      expect(bad.code).toBe(1);
    } finally {
      honest.close();
      lying.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
