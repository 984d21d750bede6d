/**
 * After a load with several gateway processes on one database: is the ledger still one
 * consistent tree? Reads every entry and checks, with the ledger's own modules:
 * - indexes are 0…n−1 without a gap, each entry names its own index, and `ledger_head` says n;
 * - every stored leaf hash is SHA-256(0x00 ‖ RFC 8785 canonical JSON of the entry);
 * - the root recomputed from all leaf hashes (RFC 9162 MTH, from scratch) equals the root of the
 *   stored tree (its stored subtree hashes);
 * - every signed checkpoint published during the run verifies with the ledger key and its root
 *   equals the root of the first `size` leaves — so the log only ever grew by appending.
 */
import { asc, sql } from "drizzle-orm";
import { connectPostgres } from "../../src/db/postgres.ts";
import { ledgerCheckpoints } from "../../src/db/schema.ts";
import { CompactRange, hashEquals, leafHash, rootFromLeaves, treeHash, type Hash } from "../../src/ledger/merkle.ts";
import { entriesByIndex, fromBase64, ledgerSize, nodeReader, toBase64 } from "../../src/ledger/store.ts";
import { canonicalEntry } from "../../src/ledger/append.ts";
import { openNote, parseCheckpoint } from "../../src/ledger/note.ts";
import { utf8 } from "../../src/crypto/encoding.ts";

export interface LedgerCheck {
  ok: boolean;
  size: number;
  entriesRead: number;
  gapless: boolean;
  leafHashesMatch: boolean;
  rootMatchesStoredTree: boolean;
  root: string;
  checkpoints: number;
  checkpointsConsistent: boolean;
  /** Of the verifications the load generator saw answered, how many have no ledger entry (must be 0). */
  answeredMissing: number | undefined;
  /** Entries whose answer the generator never saw (requests cut off when a run ended). */
  unanswered: number | undefined;
  /** On-disk size (table + indexes + TOAST) per entry: what a year of retention costs. */
  bytesPerEntry: { entries: number; nodes: number; checkpoints: number };
  problems: string[];
  ms: number;
}

/**
 * @example const report = await checkLedger(gatewayDbUrl, await (await fetch(`${gw}/v1/ledger/key`)).text());
 */
export async function checkLedger(databaseUrl: string, verifierKey: string, answered?: ReadonlySet<string>): Promise<LedgerCheck> {
  const started = performance.now();
  const database = connectPostgres({ url: databaseUrl, max: 2 });
  const problems: string[] = [];
  const note = (p: string) => problems.length < 20 && problems.push(p);
  try {
    const { db } = database;
    const size = await ledgerSize(db);
    const cps = await db.select().from(ledgerCheckpoints).orderBy(asc(ledgerCheckpoints.size));
    let nextCp = 0;
    let checkpointsConsistent = true;
    const range = new CompactRange();
    const leaves: Hash[] = [];
    let gapless = true;
    let leafHashesMatch = true;
    let found = 0;
    const checkCheckpoints = async () => {
      while (nextCp < cps.length && cps[nextCp]!.size <= range.size) {
        const cp = cps[nextCp++]!;
        if (cp.size !== range.size) continue; // size 0, handled below
        const opened = await openNote(cp.note, [verifierKey]).catch((err: unknown) => {
          note(`checkpoint ${cp.size}: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        });
        const parsed = opened ? parseCheckpoint(opened.text) : undefined;
        if (!parsed || parsed.size !== cp.size || !hashEquals(parsed.rootHash, range.root()) || cp.rootHash !== toBase64(range.root())) {
          checkpointsConsistent = false;
          note(`checkpoint ${cp.size} does not match the first ${cp.size} entries`);
        }
      }
    };
    await checkCheckpoints();
    const PAGE = 5000;
    for (let from = 0; from < size; from += PAGE) {
      const page = await entriesByIndex(db, from, Math.min(size, from + PAGE), PAGE);
      for (const [i, e] of page.entries()) {
        if (e.index !== from + i || e.entry.index !== e.index) {
          gapless = false;
          note(`expected entry ${from + i}, found ${e.index}`);
        }
        const leaf = leafHash(utf8(canonicalEntry(e.entry)));
        if (!hashEquals(leaf, fromBase64(e.leafHash))) {
          leafHashesMatch = false;
          note(`entry ${e.index}: stored leaf hash is not the hash of its entry`);
        }
        if (answered?.has(e.entry.verificationId as string)) found++;
        leaves.push(leaf);
        range.push(leaf);
        await checkCheckpoints();
      }
      if (page.length !== Math.min(PAGE, size - from)) {
        gapless = false;
        note(`entries ${from}…: expected ${Math.min(PAGE, size - from)}, read ${page.length}`);
      }
    }
    const stored = await treeHash(size, nodeReader(db));
    const recomputed = rootFromLeaves(leaves);
    const rootMatchesStoredTree = hashEquals(stored, recomputed) && hashEquals(recomputed, range.root());
    if (!rootMatchesStoredTree) note("the root from all leaf hashes differs from the stored tree's root");
    const checked = cps.filter((c) => c.size > 0 && c.size <= size).length;
    if (cps.some((c) => c.size > size)) {
      checkpointsConsistent = false;
      note("a checkpoint is larger than the ledger");
    }
    const answeredMissing = answered ? answered.size - found : undefined;
    const [sizes] = (await db.execute(
      sql`select pg_total_relation_size('ledger_entries')::float8 as entries, pg_total_relation_size('ledger_nodes')::float8 as nodes, pg_total_relation_size('ledger_checkpoints')::float8 as checkpoints`,
    )) as unknown as { entries: number; nodes: number; checkpoints: number }[];
    const per = (bytes: number | undefined) => Math.round((bytes ?? 0) / Math.max(1, size));
    if (answeredMissing) note(`${answeredMissing} answered verifications have no ledger entry`);
    return {
      ok: gapless && leafHashesMatch && rootMatchesStoredTree && checkpointsConsistent && leaves.length === size && !answeredMissing,
      size,
      entriesRead: leaves.length,
      gapless,
      leafHashesMatch,
      rootMatchesStoredTree,
      root: toBase64(stored),
      checkpoints: checked,
      checkpointsConsistent,
      answeredMissing,
      unanswered: answered ? size - found : undefined,
      bytesPerEntry: { entries: per(sizes?.entries), nodes: per(sizes?.nodes), checkpoints: per(sizes?.checkpoints) },
      problems,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    await database.close();
  }
}
