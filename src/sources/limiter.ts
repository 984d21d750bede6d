/**
 * A per-adapter concurrency limit: at most `max` lookups in flight at one department, at most
 * `maxQueue` more waiting for a slot (each only until its own deadline), and beyond that an
 * immediate refusal. A flood of slow answers from one department therefore holds a bounded
 * number of sockets or pooled connections, and never the gateway.
 */
export type Release = () => void;

/**
 * @example
 * const limiter = new Limiter(16, 64);
 * const release = await limiter.acquire(signal);
 * if (!release) return unavailable("overloaded");
 * try { … } finally { release(); }
 */
export class Limiter {
  private active = 0;
  private readonly waiting: { grant: (release: Release | undefined) => void }[] = [];

  constructor(
    readonly max: number,
    readonly maxQueue: number,
  ) {}

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** A release function once a slot is free; undefined when the queue is full or `signal` fires first. */
  acquire(signal?: AbortSignal): Promise<Release | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxQueue) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const entry = {
        grant: (release: Release | undefined) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(entry);
        if (i >= 0) this.waiting.splice(i, 1);
        entry.grant(undefined);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` stays counted.
      if (next) next.grant(this.releaser());
      else this.active--;
    };
  }
}
