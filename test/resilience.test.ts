/**
 * The resilience layer on its own: circuit breaker, concurrency limiter and stats as pure state
 * machines (table-driven, fake clocks), and the wrapper around sources that misbehave in every
 * way a source can — ignoring its abort signal, throwing, failing to connect once.
 */
import { describe, expect, it } from "vitest";
import { CircuitBreaker, type BreakerOutcome } from "../src/sources/breaker.ts";
import { Limiter } from "../src/sources/limiter.ts";
import { LookupStats } from "../src/sources/stats.ts";
import { withResilience } from "../src/sources/resilience.ts";
import type { EvidenceSource, LookupRequest, LookupResult } from "../src/adapters/types.ts";

const request: LookupRequest = { requestId: "vf_1#0", evidenceType: "t.x", subject: { type: "resident-id", id: "x" }, fields: [], matter: "m", requester: "w" };
const found: LookupResult = { outcome: "found", status: "valid", claims: {} };
const down: LookupResult = { outcome: "unavailable", error: "http-status", detail: "HTTP 500" };

describe("circuit breaker", () => {
  type Step = [action: "call" | "wait", arg: BreakerOutcome | number, expectAdmitted: boolean | null, stateAfter: string];
  const cases: [string, Step[]][] = [
    ["stays closed below the threshold; a success resets the count", [
      ["call", "failure", true, "closed"], ["call", "failure", true, "closed"], ["call", "success", true, "closed"],
      ["call", "failure", true, "closed"], ["call", "failure", true, "closed"], ["call", "failure", true, "open"],
    ]],
    ["open refuses until the cool-down, then admits one probe; its success closes", [
      ["call", "failure", true, "closed"], ["call", "failure", true, "closed"], ["call", "failure", true, "open"],
      ["call", "success", false, "open"], ["wait", 999, null, "open"], ["call", "success", false, "open"],
      ["wait", 1, null, "half-open"], ["call", "success", true, "closed"], ["call", "failure", true, "closed"],
    ]],
    ["a failed probe re-opens for a whole cool-down", [
      ["call", "failure", true, "closed"], ["call", "failure", true, "closed"], ["call", "failure", true, "open"],
      ["wait", 1000, null, "half-open"], ["call", "failure", true, "open"], ["wait", 500, null, "open"], ["call", "success", false, "open"],
      ["wait", 500, null, "half-open"], ["call", "success", true, "closed"],
    ]],
    ["neutral outcomes (never asked) count for nothing", [
      ["call", "neutral", true, "closed"], ["call", "failure", true, "closed"], ["call", "neutral", true, "closed"],
      ["call", "failure", true, "closed"], ["call", "neutral", true, "closed"], ["call", "failure", true, "open"],
    ]],
  ];
  for (const [name, steps] of cases) {
    it(name, () => {
      let t = 0;
      const breaker = new CircuitBreaker({ failureThreshold: 3, coolDownMs: 1000 }, () => t);
      for (const [i, [action, arg, admitted, state]] of steps.entries()) {
        if (action === "wait") t += arg as number;
        else {
          const permit = breaker.permit();
          expect(permit !== undefined, `step ${i} admitted`).toBe(admitted);
          permit?.settle(arg as BreakerOutcome);
        }
        expect(breaker.state, `step ${i} state`).toBe(state);
      }
    });
  }

  it("half-open admits exactly one probe at a time; reset closes at once", () => {
    let t = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 10 }, () => t);
    breaker.permit()!.settle("failure");
    expect(breaker.snapshot()).toEqual({ state: "open", consecutiveFailures: 1, retryAt: new Date(10).toISOString() });
    t = 10;
    const probe = breaker.permit()!;
    expect(probe.probe).toBe(true);
    expect(breaker.permit()).toBeUndefined();
    probe.settle("neutral"); // the probe never reached the department: the next call may probe
    expect(breaker.permit()?.probe).toBe(true);
    breaker.reset();
    expect(breaker.snapshot()).toEqual({ state: "closed", consecutiveFailures: 0 });
  });
});

describe("limiter", () => {
  it("admits max at once, queues up to maxQueue, refuses the rest, and hands slots over in order", async () => {
    const limiter = new Limiter(2, 1);
    const a = (await limiter.acquire())!;
    const b = (await limiter.acquire())!;
    const waiting = limiter.acquire();
    expect(await limiter.acquire()).toBeUndefined(); // queue full
    expect([limiter.inFlight, limiter.queued]).toEqual([2, 1]);
    a();
    a(); // releasing twice frees one slot only
    const c = (await waiting)!;
    expect([limiter.inFlight, limiter.queued]).toEqual([2, 0]);
    b();
    c();
    expect(limiter.inFlight).toBe(0);
  });

  it("a waiter whose deadline passes leaves the queue", async () => {
    const limiter = new Limiter(1, 5);
    const hold = (await limiter.acquire())!;
    // The deadline is a signal: abort it by hand rather than waiting for a timer.
    const deadline = new AbortController();
    const waiting = limiter.acquire(deadline.signal);
    expect(limiter.queued).toBe(1);
    deadline.abort();
    expect(await waiting).toBeUndefined();
    expect(limiter.queued).toBe(0);
    hold();
    expect(limiter.inFlight).toBe(0);
  });
});

describe("stats", () => {
  it("error rate, percentiles and codes over the window only", () => {
    let t = 0;
    const stats = new LookupStats(60_000, 100, () => t);
    stats.record(500, "timeout");
    t = 61_000; // the first sample has left the window
    for (let i = 1; i <= 20; i++) stats.record(i * 10, i % 4 === 0 ? "http-status" : undefined);
    expect(stats.summary()).toEqual({
      windowSeconds: 60,
      lookups: 20,
      failures: 5,
      errorRate: 0.25,
      latencyMs: { p50: 100, p95: 190, max: 200 },
      errors: { "http-status": 5 },
      lastError: { code: "http-status", at: new Date(61_000).toISOString() },
    });
  });
});

/** A source scripted per call; `ignoresAbort` ones keep running past any deadline. */
function scripted(script: ((signal?: AbortSignal) => Promise<LookupResult>)[]): EvidenceSource & { calls: number; settled: number } {
  const s = {
    id: "s",
    kind: "http" as const,
    calls: 0,
    settled: 0,
    async lookup(_r: LookupRequest, signal?: AbortSignal) {
      const step = script[Math.min(s.calls++, script.length - 1)]!;
      try {
        return await step(signal);
      } finally {
        s.settled++;
      }
    },
  };
  return s;
}
/** A step that answers only when `open()` is called, whatever its signal says. */
function gate(result: LookupResult) {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, step: async () => (await opened, result) };
}
/** A step that moves a fake clock on by `ms`, then answers. */
const advancing = (clock: { t: number }, ms: number, result: LookupResult) => async () => ((clock.t += ms), result);
const breaker = { failureThreshold: 3, coolDownMs: 60_000 };

describe("withResilience", () => {
  it("answers `timeout` at the deadline even from a source that ignores its signal, and holds the slot until it settles", async () => {
    const slow = gate(found);
    const inner = scripted([slow.step]);
    const source = withResilience(inner, { timeoutMs: 150, maxConcurrent: 1, maxQueue: 0, breaker });
    // The answer came from the deadline, not the source: the source has not answered yet.
    expect(await source.lookup(request)).toMatchObject({ outcome: "unavailable", error: "timeout" });
    expect(inner.settled).toBe(0);
    // Still running at the department: the one slot is taken, a second lookup is refused at once.
    expect(await source.lookup(request)).toMatchObject({ outcome: "unavailable", error: "overloaded" });
    slow.open();
    await expect.poll(() => inner.settled).toBe(1);
    expect(source.limiter.inFlight).toBe(0);
  });

  it("turns a throwing source into adapter-error", async () => {
    const source = withResilience(scripted([() => Promise.reject(new TypeError("bug"))]), { timeoutMs: 500, maxConcurrent: 2, breaker });
    expect(await source.lookup(request)).toEqual({ outcome: "unavailable", error: "adapter-error", detail: "unexpected failure (TypeError)" });
  });

  it("retries once after a connection failure, never after an HTTP error or a timeout", async () => {
    const net: LookupResult = { outcome: "unavailable", error: "network", detail: "ECONNRESET" };
    const flaky = scripted([async () => net, async () => found]);
    // Steps answer at once and the deadline is long, so it never decides; the retry rule reads the fake clock.
    const clock = { t: 0 };
    const opts = { timeoutMs: 60_000, maxConcurrent: 2, breaker, now: () => clock.t };
    expect(await withResilience(flaky, opts).lookup(request)).toEqual(found);
    expect(flaky.calls).toBe(2);

    const broken = scripted([async () => net]);
    expect(await withResilience(broken, opts).lookup(request)).toEqual(net);
    expect(broken.calls).toBe(2); // bounded: one retry

    const refusing = scripted([async () => down]);
    await withResilience(refusing, opts).lookup(request);
    expect(refusing.calls).toBe(1);

    // Past half the deadline a retry could not finish in time: not attempted.
    const late = scripted([advancing(clock, 30_001, net), async () => found]);
    expect(await withResilience(late, opts).lookup(request)).toEqual(net);
    expect(late.calls).toBe(1);
  });

  it("opens the circuit after repeated failures: the source is not asked again until the cool-down", async () => {
    const inner = scripted([async () => down]);
    const stats = new LookupStats();
    const source = withResilience(inner, { timeoutMs: 500, maxConcurrent: 2, breaker }, stats);
    for (let i = 0; i < 3; i++) expect(await source.lookup(request)).toEqual(down);
    // Refused without asking: the source's call count does not move.
    expect(await source.lookup(request)).toMatchObject({ outcome: "unavailable", error: "circuit-open", detail: expect.stringMatching(/next probe after/) });
    expect(inner.calls).toBe(3);
    expect(stats.summary()).toMatchObject({ lookups: 4, failures: 4, errors: { "http-status": 3, "circuit-open": 1 } });
  });
});
