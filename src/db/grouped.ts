/**
 * One statement for many callers: requests that arrive while a statement is in flight wait for
 * the next one, which serves all of them together (one round trip, one commit). The replay store
 * and the rate-limit leases both work this way; each says how a batch is taken from the queue and
 * how its statement's answer is handed back, and this keeps the queue.
 *
 * A failed statement rejects every caller in its batch and the next batch is tried; callers in
 * other batches are not affected.
 */

export interface Waiting {
  reject(reason: unknown): void;
}

export interface GroupedOptions<P extends Waiting> {
  /** The next batch from the queue, and what stays queued (in order). */
  take(queue: P[]): { batch: P[]; rest: P[] };
  /** Runs one statement for the batch and settles each caller; a throw rejects the whole batch. */
  run(batch: P[]): Promise<void>;
  /** After the queue was found empty (e.g. an expiry sweep that is due). */
  drained?(): void;
}

export interface Grouped<P> {
  /** Queues a caller; a statement starts at the next tick unless one is in flight. */
  push(pending: P): void;
  /** Callers waiting for a statement (not counting those of the one in flight). */
  readonly queued: number;
  /** Statements run so far. */
  readonly statements: number;
}

/**
 * @example
 * const inserts = grouped<Pending>({ take: (q) => ({ batch: q.slice(0, 512), rest: q.slice(512) }), run: insertAndResolve });
 * inserts.push({ jti, resolve, reject });
 */
export function grouped<P extends Waiting>(options: GroupedOptions<P>): Grouped<P> {
  let queue: P[] = [];
  let draining: Promise<void> | undefined;
  let statements = 0;

  const drain = async () => {
    // Yield once so callers arriving in the same tick share the first statement.
    await Promise.resolve();
    try {
      while (queue.length > 0) {
        const { batch, rest } = options.take(queue);
        queue = rest;
        try {
          statements++;
          await options.run(batch);
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
      options.drained?.();
    } finally {
      // Cleared in the tick the queue was seen empty: a caller whose promise just resolved and
      // pushes again at once must start a new drain, not join this finished one (a `.finally()`
      // on the drain promise would clear the flag a tick late and strand it).
      draining = undefined;
    }
  };

  return {
    push(pending) {
      queue.push(pending);
      draining ??= drain();
    },
    get queued() {
      return queue.length;
    },
    get statements() {
      return statements;
    },
  };
}
