/**
 * A circuit breaker per adapter (per gateway process): after `failureThreshold` consecutive
 * failed lookups it opens, and every lookup is answered `unavailable` at once for `coolDownMs`;
 * then exactly one lookup is let through as a probe (half-open). The probe's outcome closes the
 * circuit or opens it for another cool-down. A dead department then costs each verification
 * nothing instead of its whole timeout.
 */
import type { CircuitBreakerConfig } from "../adapters/limits.ts";

export type BreakerState = "closed" | "open" | "half-open";

/** What a lookup reports back: `neutral` when the department was never asked (e.g. overloaded). */
export type BreakerOutcome = "success" | "failure" | "neutral";

export interface BreakerPermit {
  /** True when this lookup is the half-open probe. */
  readonly probe: boolean;
  settle(outcome: BreakerOutcome): void;
}

export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  /** When an open circuit lets its next probe through (ISO time); absent unless open. */
  retryAt?: string;
}

/**
 * @example
 * const breaker = new CircuitBreaker({ failureThreshold: 5, coolDownMs: 30_000 });
 * const permit = breaker.permit();
 * if (!permit) return unavailable("circuit-open");
 * permit.settle(result.outcome === "unavailable" ? "failure" : "success");
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private probing = false;

  constructor(
    private readonly config: CircuitBreakerConfig,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    if (this.openedAt === undefined) return "closed";
    return this.now() - this.openedAt >= this.config.coolDownMs ? "half-open" : "open";
  }

  /** A permit to ask the department, or undefined: answer `circuit-open` without asking. */
  permit(): BreakerPermit | undefined {
    const state = this.state;
    if (state === "open") return undefined;
    if (state === "half-open") {
      if (this.probing) return undefined;
      this.probing = true;
      return this.makePermit(true);
    }
    return this.makePermit(false);
  }

  /** Closes the circuit, e.g. after a passing conformance check. */
  reset(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.probing = false;
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      state,
      consecutiveFailures: this.failures,
      ...(state === "open" && this.openedAt !== undefined ? { retryAt: new Date(this.openedAt + this.config.coolDownMs).toISOString() } : {}),
    };
  }

  private makePermit(probe: boolean): BreakerPermit {
    let settled = false;
    return {
      probe,
      settle: (outcome) => {
        if (settled) return;
        settled = true;
        if (probe) this.probing = false;
        if (outcome === "neutral") return;
        if (outcome === "success") {
          this.failures = 0;
          this.openedAt = undefined;
          return;
        }
        this.failures++;
        // A failed probe re-opens at once; in the closed state only a run of failures opens.
        if (probe || this.failures >= this.config.failureThreshold) this.openedAt = this.now();
      },
    };
  }
}
