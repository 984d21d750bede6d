/**
 * Tampering with the real database, as someone with superuser access would: triggers disabled,
 * one field changed, an entry deleted, two entries swapped, the tail cut off after a checkpoint
 * was published, an entry forged with a recomputed leaf hash. Each time the export through
 * /v1/audit/export, checked offline against the signed checkpoints, names the first bad index
 * and what is wrong. Also: with the triggers on, nobody can UPDATE, DELETE or TRUNCATE the
 * ledger; on PostgreSQL, the huren_runtime role cannot even with the triggers off.
 * Runs on PGlite and, with DATABASE_URL, on PostgreSQL.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { asc, sql } from "drizzle-orm";
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { exportEntries } from "../src/audit/export.ts";
import { ledgerCheckpoints, ledgerCosignatures, ledgerEntries, ledgerHead, ledgerNodes, requestNonces } from "../src/db/schema.ts";
import type { Tx } from "../src/db/types.ts";
import { appendEntries, canonicalEntry } from "../src/ledger/append.ts";
import { publishCheckpoint } from "../src/ledger/checkpoints.ts";
import { leafHash } from "../src/ledger/merkle.ts";
import { checkCheckpoint, splitLines, verifyExport, type VerifyExportResult } from "../src/ledger/verify-export.ts";
import type { Checkpoint } from "../src/ledger/note.ts";
import { putMember } from "../src/members/members.ts";
import { createHarness, GATEWAY_ID, type Actor, type Harness } from "./harness.ts";
import { runHuren, sampleInput } from "./ledger-export-fixture.ts";

let h: Harness;
let auditor: Actor;
let checkpoints: Checkpoint[];
let notes: string[];
let key: string;
let snapshot: { entries: (typeof ledgerEntries.$inferSelect)[]; nodes: (typeof ledgerNodes.$inferSelect)[]; size: number };

const SIZE = 40; // the newest checkpoint; 5 more entries follow it
const input = (i: number) => sampleInput(i, "tamper");

async function append(from: number, count: number) {
  await h.deps.db.transaction((tx) => appendEntries(tx, Array.from({ length: count }, (_, k) => input(from + k))));
}

beforeAll(async () => {
  h = await createHarness();
  auditor = await h.addMember("cc-audit-office", "auditor");
  key = (await (await h.app.request("/v1/ledger/key")).text()).trim();
  notes = [];
  // Uneven batches, so the stored tree is built from single and batched appends.
  for (const [from, count] of [[0, 1], [1, 6], [7, 13]] as const) await append(from, count);
  notes.push((await publishCheckpoint(h.deps.db, h.deps.ledger.signer)).note); // size 20
  for (let i = 20; i < SIZE; i++) await append(i, 1);
  notes.push((await publishCheckpoint(h.deps.db, h.deps.ledger.signer)).note); // size 40
  await append(SIZE, 5);
  checkpoints = [];
  for (const note of notes) {
    const opened = await checkCheckpoint(note, key);
    if (!opened.ok) throw new Error(opened.detail);
    checkpoints.push(opened.checkpoint);
  }
  snapshot = {
    entries: await h.deps.db.select().from(ledgerEntries).orderBy(asc(ledgerEntries.idx)),
    nodes: await h.deps.db.select().from(ledgerNodes),
    size: SIZE + 5,
  };
});
afterAll(async () => {
  await h?.close();
});

/**
 * The export as the route streams it (exportEntries), verified offline (from bytes, as the CLI
 * reads a file). Not through the route itself: an export through it is ledgered (§5.4), and that
 * `audit-access` entry would land on the very ledger each case has just tampered with.
 */
async function exportAndVerify(): Promise<VerifyExportResult> {
  const encoder = new TextEncoder();
  async function* bytes() {
    for await (const chunk of exportEntries(h.deps.db, { format: "jsonl" })) yield encoder.encode(chunk);
  }
  return verifyExport(splitLines(bytes()), { checkpoints });
}

/** As a superuser: the append-only triggers off for this transaction only. */
function asSuperuser(work: (tx: Tx) => Promise<unknown>): Promise<unknown> {
  return h.deps.db.transaction(async (tx) => {
    for (const t of ["ledger_entries", "ledger_nodes"]) await tx.execute(sql.raw(`alter table ${t} disable trigger user`));
    await work(tx);
    for (const t of ["ledger_entries", "ledger_nodes"]) await tx.execute(sql.raw(`alter table ${t} enable trigger user`));
  });
}

afterEach(async () => {
  // Put the ledger back as it was, so each tampering starts from the honest ledger.
  await asSuperuser(async (tx) => {
    await tx.delete(ledgerEntries);
    await tx.delete(ledgerNodes);
    for (let i = 0; i < snapshot.entries.length; i += 100) await tx.insert(ledgerEntries).values(snapshot.entries.slice(i, i + 100));
    for (let i = 0; i < snapshot.nodes.length; i += 100) await tx.insert(ledgerNodes).values(snapshot.nodes.slice(i, i + 100));
    await tx.update(ledgerHead).set({ size: snapshot.size });
  });
});

const firstBad = (r: VerifyExportResult) => (r.ok ? undefined : { index: r.firstBad!.index, problem: r.firstBad!.problem });

describe("the honest ledger", () => {
  it("verifies against both checkpoints; the 5 newer entries are checked but not yet covered", async () => {
    expect(await exportAndVerify()).toMatchObject({ ok: true, checked: SIZE + 5, verifiedSize: SIZE, uncovered: 5 });
  });
});

describe("each tampering is detected and its first bad index named", () => {
  it("one field of one entry changed (jsonb_set, leaf hash left alone): altered at 13", async () => {
    await asSuperuser((tx) => tx.execute(sql`update ledger_entries set entry_json = jsonb_set(entry_json::jsonb, '{decision}', '"denied"')::text where idx = 13`));
    const r = await exportAndVerify();
    expect(firstBad(r)).toEqual({ index: 13, problem: "altered" });
    expect(r.firstBad!.detail).toMatch(/leaf hash differs from the exported leafHash/);
  });

  it("an entry deleted: missing at 17", async () => {
    await asSuperuser((tx) => tx.execute(sql`delete from ledger_entries where idx = 17`));
    expect(firstBad(await exportAndVerify())).toEqual({ index: 17, problem: "missing" });
  });

  it("two entries swapped (entry and leaf hash): reordered at 5", async () => {
    await asSuperuser((tx) =>
      tx.execute(sql`update ledger_entries as e set entry_json = o.entry_json, leaf_hash = o.leaf_hash
        from ledger_entries as o where (e.idx, o.idx) in ((5, 30), (30, 5))`),
    );
    expect(firstBad(await exportAndVerify())).toEqual({ index: 5, problem: "reordered" });
  });

  it("the tail cut off after the checkpoint of 40 was published (entries, nodes and head): missing at 33", async () => {
    await asSuperuser(async (tx) => {
      await tx.execute(sql`delete from ledger_entries where idx >= 33`);
      await tx.execute(sql`delete from ledger_nodes where (idx + 1) * (1::bigint << level) > 33`);
      await tx.update(ledgerHead).set({ size: 33 });
    });
    const r = await exportAndVerify();
    expect(firstBad(r)).toEqual({ index: 33, problem: "missing" });
    expect(r.firstBad!.detail).toMatch(/truncated/);
  });

  it("an entry rewritten with a recomputed leaf hash: a root mismatch, narrowed to [20, 40)", async () => {
    const row = snapshot.entries[27]!;
    const forged = canonicalEntry({ ...(JSON.parse(row.entryJson) as Record<string, unknown>), case: "FORGED" });
    const leaf = Buffer.from(leafHash(new TextEncoder().encode(forged))).toString("base64");
    await asSuperuser((tx) => tx.execute(sql`update ledger_entries set entry_json = ${forged}, leaf_hash = ${leaf} where idx = 27`));
    const r = await exportAndVerify();
    expect(r.firstBad).toMatchObject({ index: 20, problem: "root-mismatch", range: { from: 20, to: SIZE } });
  });
});

/** The database's error text, however the driver wraps it. */
async function refusal(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (err) {
    const e = err as { message?: string; cause?: { message?: string } };
    return `${e.message ?? ""} ${e.cause?.message ?? ""}`;
  }
  return "succeeded";
}

describe("append-only", () => {
  it.each(["ledger_entries", "ledger_nodes", "ledger_checkpoints", "ledger_cosignatures"])("%s: UPDATE, DELETE and TRUNCATE are refused while the triggers are on", async (table) => {
    const column = table === "ledger_checkpoints" ? "note" : table === "ledger_cosignatures" ? "line" : "hash";
    const set = table === "ledger_entries" ? "entry_json = entry_json" : `${column} = ${column}`;
    // Row triggers fire only on rows: give the (otherwise witness-less) cosignatures table one.
    if (table === "ledger_cosignatures") await h.deps.db.insert(ledgerCosignatures).values({ size: 20, witness: "w+00000000+BA==", line: "— w AAAA", signedAt: new Date(0) }).onConflictDoNothing();
    for (const statement of [`update ${table} set ${set}`, `delete from ${table}`, `truncate ${table}`]) {
      expect(await refusal(h.deps.db.execute(sql.raw(statement)))).toMatch(/append-only/);
    }
    expect((await exportAndVerify()).ok).toBe(true);
  });

  it.skipIf(!process.env.DATABASE_URL)("PostgreSQL: huren_runtime cannot UPDATE, DELETE or TRUNCATE the ledger even without triggers, but can append and write operational tables", async () => {
    const ROLLBACK = new Error("rollback");
    const asRuntime = (work: (tx: Tx) => Promise<unknown>) =>
      refusal(
        h.deps.db.transaction(async (tx) => {
          for (const t of ["ledger_entries", "ledger_nodes", "ledger_checkpoints", "ledger_cosignatures"]) await tx.execute(sql.raw(`alter table ${t} disable trigger user`));
          await tx.execute(sql`set local role huren_runtime`);
          await work(tx);
          throw ROLLBACK; // leave nothing behind
        }),
      );
    for (const statement of [
      "update ledger_entries set entry_json = entry_json where idx = 3",
      "delete from ledger_entries where idx = 3",
      "truncate ledger_entries",
      "update ledger_nodes set hash = hash",
      "delete from ledger_nodes",
      "delete from ledger_checkpoints",
      "update ledger_checkpoints set note = note",
      "delete from ledger_cosignatures",
      "update ledger_cosignatures set line = line",
    ]) {
      expect(await asRuntime((tx) => tx.execute(sql.raw(statement)))).toMatch(/permission denied/);
    }
    // What the gateway does all day still works under the role.
    expect(await asRuntime((tx) => appendEntries(tx, [input(1000)]))).toMatch(/rollback/);
    expect(await asRuntime((tx) => tx.insert(requestNonces).values({ issuer: "someone", jti: "jti-runtime-check-0001", expiresAt: new Date() }))).toMatch(/rollback/);
    expect(await asRuntime((tx) => tx.select().from(ledgerCheckpoints))).toMatch(/rollback/);
    expect((await exportAndVerify()).ok).toBe(true);
  });
});

describe("huren ledger fetch from a running gateway, then the offline checks", () => {
  it("fetches key, checkpoint, JWKS, export and a consistency proof; verify and consistency pass", { timeout: 120_000 }, async () => {
    const { privateKey, publicKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = (await calculateJwkThumbprint(publicJwk)).slice(0, 16);
    await putMember(h.deps.db, "cli-auditor", { kind: "auditor", name: "cli-auditor", jwks: { keys: [{ ...publicJwk, kid } as never] }, enabled: true });
    const server = await new Promise<{ url: string; close(): void }>((resolve) => {
      const s = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve({ url: `http://127.0.0.1:${info.port}`, close: () => s.close() }));
    });
    const dir = await mkdtemp(join(tmpdir(), "huren-ledger-fetch-"));
    try {
      const f = (name: string) => join(dir, name);
      await writeFile(f("auditor.json"), JSON.stringify({ gateway: server.url, gatewayId: GATEWAY_ID, member: "cli-auditor", uid: "audit-staff-1", jwk: { ...(await exportJWK(privateKey)), kid } }));
      await writeFile(f("pinned.key"), key + "\n");
      await writeFile(f("yesterday.txt"), notes[0]!); // the checkpoint of size 20
      await h.deps.ledger.checkpoints.tick(); // the scheduler signs size 45; GET only reads it
      const fetched = await runHuren(["ledger", "fetch", "--auditor-key", f("auditor.json"), "--out", f("out"), "--key", `@${f("pinned.key")}`, "--since", f("yesterday.txt")]);
      expect(fetched.stderr).not.toMatch(/huren/);
      expect(fetched.code).toBe(0);
      const size = SIZE + 5;
      const [verified, consistent] = await Promise.all([
        runHuren(["ledger", "verify", "--key", `@${f("pinned.key")}`, "--checkpoint", f("yesterday.txt"), "--checkpoint", f(`out/checkpoint-${size}.txt`), "--entries", f(`out/entries-${size}.jsonl`)]),
        runHuren(["ledger", "consistency", "--key", `@${f("pinned.key")}`, "--old", f("yesterday.txt"), "--new", f(`out/checkpoint-${size}.txt`), "--proof", f(`out/consistency-20-${size}.json`)]),
      ]);
      expect(verified.stdout).toMatch(new RegExp(`^OK  ${size} entries checked`));
      expect(verified.code).toBe(0);
      expect(consistent.stdout).toMatch(/^OK  the tree of 20 entries/);
      expect(consistent.code).toBe(0);
    } finally {
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
