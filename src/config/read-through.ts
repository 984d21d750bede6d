/**
 * The one caching rule the config cache and the member cache share: read through, keyed, with a
 * TTL and an invalidation stamp ({@link ConfigChanges.stamp}).
 */

export interface ReadThroughOptions<V> {
  /** How long a value is used; 0 (or less) caches nothing. Measured from when its load started. */
  ttlMs: number;
  /** Milliseconds, e.g. Date.now; injected so tests need no timers. */
  now: () => number;
  /** The invalidation stamp of what values are read from: a value loaded under another stamp is stale. */
  stamp: () => number;
  /** Most entries kept; the least recently loaded goes first. Default unbounded. */
  max?: number;
  /** Whether a loaded value may be kept (e.g. not "unknown", so made-up ids cannot fill the cache). */
  keep?: (value: V) => boolean;
}

/**
 * A value is served while its TTL runs and the stamp it was loaded under is current. The stamp is
 * taken when the load starts, so a load that was already running when the configuration changed
 * is never served after that change, even if it finishes later. Concurrent gets of one key share
 * one load; a failed load is forgotten (the next get tries again).
 * @example
 * const matters = new ReadThrough(() => listMatters(db), { ttlMs: 30_000, now: Date.now, stamp: () => changes.stamp(["matters"]) });
 * await matters.get(); // one query; then from memory until the TTL or a change
 */
export class ReadThrough<V, K = void> {
  private readonly entries = new Map<K, { at: number; stamp: number; value: Promise<V> }>();

  constructor(
    private readonly load: (key: K) => Promise<V>,
    private readonly options: ReadThroughOptions<V>,
  ) {}

  /** `fresh: true` loads past the cache (and caches what it read). */
  get(key: K, { fresh = false }: { fresh?: boolean } = {}): Promise<V> {
    const { ttlMs, now, stamp, keep, max = Infinity } = this.options;
    if (ttlMs <= 0) return this.load(key);
    const at = now();
    const current = stamp();
    const hit = this.entries.get(key);
    if (!fresh && hit && hit.stamp === current && at - hit.at < ttlMs) return hit.value;

    const entry = { at, stamp: current, value: this.load(key) };
    this.entries.delete(key); // re-inserted last: Map order is load order, oldest first
    this.entries.set(key, entry);
    if (this.entries.size > max) this.entries.delete(this.entries.keys().next().value!);
    const forget = () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
    entry.value.then((v) => {
      if (keep && !keep(v)) forget();
    }, forget);
    return entry.value;
  }

  /** Entries held, stale ones included (for tests of the bound). */
  get size(): number {
    return this.entries.size;
  }
}
