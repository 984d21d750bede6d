/**
 * Group commit for the ledger: verifications that arrive while a batch is being committed wait
 * for the next batch, and each batch is one transaction (one fsync) for all of them. Every
 * caller's promise settles only after its own entry has committed — durability is per entry,
 * the cost is shared.
 *
 * If a batch fails, its entries are retried one by one, so one entry whose `alongside` work
 * fails (say, a consent that was used up meanwhile) cannot fail the others.
 *
 * One round trip per batch when this process is the only one appending: the writer remembers
 * the size it left the ledger at and the stored hashes on the tree's right edge (the only ones
 * an append reads; complete subtrees never change), prepares the batch for that size, and
 * writes it with one guarded statement (appendPreparedIfAt). If another process appended in
 * between, the guard writes nothing and the batch takes the locked path: a transaction that
 * locks the head, reads the size, and appends (six round trips). After such a miss the writer
 * keeps to the locked path for a few batches, doubling up to 64, so gateways that share a
 * database and take turns do not pay for a guess that keeps missing. Batches with `alongside`
 * work always take the locked path (that work must share the entries' transaction).
 */
import type { Db, Queryable, Tx } from "../db/types.ts";
import { appendEntriesLocked, appendPreparedIfAt, prepareAppend, type AppendedEntry, type LedgerEntryInput, type PreparedAppend } from "./append.ts";
import { nodeKey, peakNodes, type Hash, type HashReader } from "./merkle.ts";
import { nodeReader } from "./store.ts";

/** Work that must commit or fail together with the entry (e.g. recording a consent use). */
export type Alongside = (tx: Tx, appended: AppendedEntry) => Promise<void>;

interface Pending {
  input: LedgerEntryInput;
  alongside: Alongside | undefined;
  resolve(value: AppendedEntry): void;
  reject(reason: unknown): void;
}

export interface LedgerWriterOptions {
  /** Most entries in one transaction. */
  maxBatch?: number;
  /** Off: every batch takes the locked path (for comparison in benchmarks and tests). */
  oneStatement?: boolean;
  /** Hears every committed batch (metrics): its size, how long the commit took, and which path wrote it. */
  onBatch?: (size: number, seconds: number, path: "one-statement" | "locked") => void;
}

/** How batches were written, for tests and metrics. */
export interface LedgerWriterStats {
  /** Batches written with the one guarded statement. */
  oneStatement: number;
  /** Batches written in a locked transaction. */
  locked: number;
  /** Guarded statements that found the ledger moved by another process (then written locked). */
  missed: number;
}

export class LedgerWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private readonly maxBatch: number;
  private readonly oneStatement: boolean;
  private readonly onBatch: LedgerWriterOptions["onBatch"];
  /** The ledger's size after this writer's last commit, while nothing says another process moved it. */
  private size: number | undefined;
  /** Stored hashes seen or written by this writer, pruned to the peaks of the tree of `size`. */
  private readonly edge = new Map<string, Hash>();
  private skip = 0;
  private penalty = 1;
  readonly stats: LedgerWriterStats = { oneStatement: 0, locked: 0, missed: 0 };

  constructor(
    private readonly db: Db,
    options: LedgerWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
    this.oneStatement = options.oneStatement ?? true;
    this.onBatch = options.onBatch;
  }

  /** Entries waiting for a batch (not counting the one being committed). */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Appends one entry; resolves once it is durable.
   * @example
   * const { index, leafHash } = await writer.append(input, (tx, at) => recordConsentUse(tx, consentId, at.index));
   */
  append(input: LedgerEntryInput, alongside?: Alongside): Promise<AppendedEntry> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, alongside, resolve, reject });
      this.flushing ??= this.drain();
    });
  }

  /** Resolves when everything queued so far has been committed or failed. */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    // Yield once so callers arriving in the same tick share the first batch.
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const appended = await this.commit(batch);
          batch.forEach((p, i) => p.resolve(appended[i]!));
        } catch (err) {
          if (batch.length === 1) batch[0]!.reject(err);
          else for (const p of batch) await this.commit([p]).then(([a]) => p.resolve(a!), p.reject);
        }
      }
    } finally {
      // Cleared in the same tick the queue was seen empty: a caller whose promise just resolved
      // and appends again at once must start a new drain, not join this finished one (a
      // `.finally()` on the drain promise would clear the flag a tick late and strand it).
      this.flushing = undefined;
    }
  }

  private async commit(batch: Pending[]): Promise<AppendedEntry[]> {
    const inputs = batch.map((p) => p.input);
    const started = performance.now();
    const done = (path: "one-statement" | "locked") => this.onBatch?.(batch.length, (performance.now() - started) / 1000, path);
    try {
      const guess = this.size;
      if (this.oneStatement && guess !== undefined && this.skip === 0 && batch.every((p) => !p.alongside)) {
        const prepared = await prepareAppend(guess, inputs, this.reader(this.db));
        if (await appendPreparedIfAt(this.db, guess, prepared)) {
          this.committed(prepared);
          this.stats.oneStatement++;
          done("one-statement");
          this.penalty = 1;
          return prepared.appended;
        }
        this.stats.missed++;
        this.skip = this.penalty;
        this.penalty = Math.min(64, this.penalty * 2);
      } else if (this.skip > 0) {
        this.skip--;
      }
      this.size = undefined;
      let written: PreparedAppend | undefined;
      const appended = await this.db.transaction(async (tx) => {
        written = await appendEntriesLocked(tx, inputs, this.reader(tx));
        const out = written?.appended ?? [];
        for (const [i, p] of batch.entries()) if (p.alongside) await p.alongside(tx, out[i]!);
        return out;
      });
      if (written) this.committed(written);
      this.stats.locked++;
      done("locked");
      return appended;
    } catch (err) {
      // Whatever happened, the size is no longer known for sure.
      this.size = undefined;
      throw err;
    }
  }

  /** Stored hashes from the edge cache; the rest from the database, remembered (they are committed, so final). */
  private reader(q: Queryable): HashReader {
    const fromDb = nodeReader(q);
    return async (ids) => {
      const missing = ids.filter((id) => !this.edge.has(nodeKey(id)));
      const fetched = missing.length > 0 ? await fromDb(missing) : [];
      missing.forEach((id, i) => this.edge.set(nodeKey(id), fetched[i]!));
      return ids.map((id) => this.edge.get(nodeKey(id))!);
    };
  }

  /** After a commit: the new size, the nodes it wrote, and only the new tree's peaks kept. */
  private committed(prepared: PreparedAppend): void {
    const last = prepared.appended[prepared.appended.length - 1];
    if (!last) return;
    for (const n of prepared.nodes) this.edge.set(nodeKey(n), n.hash);
    this.size = last.index + 1;
    const keep = new Set(peakNodes(this.size).map(nodeKey));
    for (const key of this.edge.keys()) if (!keep.has(key)) this.edge.delete(key);
  }
}
