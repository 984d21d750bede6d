/**
 * Group commit for the ledger: verifications that arrive while a batch is being committed wait
 * for the next batch, and each batch is one transaction (one fsync) for all of them. Every
 * caller's promise settles only after its own entry has committed — durability is per entry,
 * the cost is shared.
 *
 * If a batch fails, its entries are retried one by one, so one entry whose `alongside` work
 * fails (say, a consent that was used up meanwhile) cannot fail the others.
 */
import type { Db, Tx } from "../db/types.ts";
import { appendEntries, type AppendedEntry, type LedgerEntryInput } from "./append.ts";

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
}

export class LedgerWriter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private readonly maxBatch: number;

  constructor(
    private readonly db: Db,
    options: LedgerWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 256;
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

  private commit(batch: Pending[]): Promise<AppendedEntry[]> {
    return this.db.transaction(async (tx) => {
      const appended = await appendEntries(tx, batch.map((p) => p.input));
      for (const [i, p] of batch.entries()) if (p.alongside) await p.alongside(tx, appended[i]!);
      return appended;
    });
  }
}
