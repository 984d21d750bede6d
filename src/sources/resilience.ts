/**
 * Wraps any EvidenceSource in what keeps the gateway steady when a department misbehaves:
 * one deadline over the whole lookup (queueing and retry included), a concurrency limit, a
 * circuit breaker, at most one retry where it is safe, and stats. The adapters stay simple and
 * every kind gets exactly the same behaviour.
 */
import type { EvidenceSource, LookupRequest, LookupResult, UnavailableCode } from "../adapters/types.ts";
import type { CircuitBreakerConfig } from "../adapters/limits.ts";
import { CircuitBreaker } from "./breaker.ts";
import { Limiter } from "./limiter.ts";
import { LookupStats } from "./stats.ts";

export interface ResilienceOptions {
  /** The adapter's timeout: no lookup takes longer, however long it queued or retried. */
  timeoutMs: number;
  maxConcurrent: number;
  /** Lookups allowed to wait for a slot; more are answered `overloaded` at once. */
  maxQueue?: number;
  breaker: CircuitBreakerConfig;
  /**
   * Retry once on a connection failure (`network`) when at least half the deadline is left.
   * Lookups are reads, so asking twice changes nothing at the department; a timeout or an HTTP
   * error is not retried — the department is slow or said no, and asking again adds load.
   */
  retry?: boolean;
  now?: () => number;
}

export interface ResilientSource extends EvidenceSource {
  readonly breaker: CircuitBreaker;
  readonly limiter: Limiter;
  readonly inner: EvidenceSource;
  /**
   * `lookup` under the caller's deadline as well as the adapter's own: whichever is shorter ends
   * it, with the same `timeout` answer, through one timer and one signal. A caller's own
   * AbortController and timer around `lookup(request, signal)` would double both per lookup.
   */
  lookupWithin(request: LookupRequest, deadlineMs: number): Promise<LookupResult>;
}

/** Codes that mean the department was never asked: they neither open the circuit nor close it. */
const NOT_ASKED: ReadonlySet<string> = new Set<UnavailableCode>(["overloaded", "circuit-open"]);

/** Was a lookup answered without asking the department (so it should not count against quota)? */
export const departmentNotAsked = (code: string | undefined): boolean => code !== undefined && NOT_ASKED.has(code);

const unavailable = (error: UnavailableCode, detail: string): LookupResult => ({ outcome: "unavailable", error, detail });

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * @example
 * const source = withResilience(createHttpSource(id, config, ctx), {
 *   timeoutMs: config.timeoutMs, maxConcurrent: 16, breaker: { failureThreshold: 5, coolDownMs: 30_000 } }, stats);
 * await source.lookup(request); // `unavailable` within timeoutMs, whatever the department does
 */
export function withResilience(inner: EvidenceSource, options: ResilienceOptions, stats: LookupStats = new LookupStats()): ResilientSource {
  const now = options.now ?? (() => performance.now());
  const breaker = new CircuitBreaker(options.breaker);
  const limiter = new Limiter(options.maxConcurrent, options.maxQueue ?? options.maxConcurrent * 4);
  const { timeoutMs } = options;

  /** Never throws: a bug in an adapter is an `adapter-error`, not a failed verification. */
  const ask = (request: LookupRequest, signal: AbortSignal): Promise<LookupResult> =>
    inner.lookup(request, signal).catch((err: unknown) => unavailable("adapter-error", `unexpected failure (${err instanceof Error ? err.name : "error"})`));

  /** One lookup under `deadlineMs` (at most `timeoutMs`) and, if given, the caller's `outer` signal. */
  async function run(request: LookupRequest, deadlineMs: number, outer: AbortSignal | undefined): Promise<LookupResult> {
    const started = now();
    const controller = new AbortController();
    let expire!: (r: LookupResult) => void;
    const expired = new Promise<LookupResult>((resolve) => (expire = resolve));
    const timer = setTimeout(() => {
      controller.abort();
      expire(unavailable("timeout", `no answer within ${deadlineMs} ms`));
    }, deadlineMs);
    let onOuter: (() => void) | undefined;
    if (outer) {
      onOuter = () => {
        controller.abort();
        expire(unavailable("timeout", "lookup aborted by the caller"));
      };
      if (outer.aborted) onOuter();
      else outer.addEventListener("abort", onOuter, { once: true });
    }

    const finish = (result: LookupResult): LookupResult => {
      const code = result.outcome === "unavailable" ? result.error : undefined;
      stats.record(code && NOT_ASKED.has(code) ? null : now() - started, code);
      return result;
    };
    try {
      const permit = breaker.permit();
      if (!permit) {
        const retryAt = breaker.snapshot().retryAt;
        return finish(unavailable("circuit-open", `circuit open after repeated failures${retryAt ? `; next probe after ${retryAt}` : ""}`));
      }
      const release = await limiter.acquire(controller.signal);
      if (!release) {
        permit.settle("neutral");
        if (controller.signal.aborted) return finish(await expired);
        return finish(unavailable("overloaded", `${limiter.max} lookups in flight and ${limiter.queued} waiting at this department`));
      }
      // The slot is held until the department's side has really settled (not merely until the
      // deadline), so abandoned work still counts against the limit.
      const work = (async () => {
        let result = await ask(request, controller.signal);
        // Half the adapter's own timeout, whatever the caller's deadline: the retry rule is the adapter's.
        if (options.retry !== false && result.outcome === "unavailable" && result.error === "network" && now() - started < timeoutMs / 2 && !controller.signal.aborted) {
          await sleep(20 + Math.random() * 30, controller.signal);
          if (!controller.signal.aborted) result = await ask(request, controller.signal);
        }
        return result;
      })();
      void work.finally(release);
      const result = await Promise.race([work, expired]);
      const failed = result.outcome === "unavailable" && !NOT_ASKED.has(result.error);
      permit.settle(failed ? "failure" : "success");
      return finish(result);
    } finally {
      clearTimeout(timer);
      if (onOuter) outer?.removeEventListener("abort", onOuter);
    }
  }

  const lookup = (request: LookupRequest, outer?: AbortSignal): Promise<LookupResult> => run(request, timeoutMs, outer);
  // The shorter deadline's timer fires first either way, and both say `no answer within <ms> ms`.
  const lookupWithin = (request: LookupRequest, deadlineMs: number): Promise<LookupResult> => run(request, Math.min(timeoutMs, deadlineMs), undefined);

  return {
    id: inner.id,
    kind: inner.kind,
    inner,
    breaker,
    limiter,
    lookup,
    lookupWithin,
    ...(inner.ping ? { ping: (signal?: AbortSignal) => inner.ping!(signal) } : {}),
    ...(inner.close ? { close: () => inner.close!() } : {}),
  };
}
