/**
 * Two ways to load a server:
 * - `closedLoop` drives autocannon (a fixed number of connections, each sending its next request
 *   as soon as the last one is answered) to find the maximum throughput;
 * - `openLoop` offers a fixed rate (constant inter-arrival times) with undici's pooled keep-alive
 *   client and measures latency from each request's *intended* send time, so a stall is not
 *   hidden by the generator waiting for it (coordinated omission). autocannon's own rate limit
 *   sends each connection's quota as a burst at the start of every second, which is not an
 *   offered load, hence the second generator for the latency-vs-load curve and the soak.
 */
import autocannon from "autocannon";
import { Pool } from "undici";
import type { BenchRequest } from "./requests.ts";

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** Percentiles (ms) of a list of latencies; nearest-rank. */
export function summarise(latencies: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(latencies).sort();
  const n = sorted.length;
  const at = (q: number) => (n === 0 ? 0 : sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!);
  let sum = 0;
  for (const v of sorted) sum += v;
  const r = (v: number) => Math.round(v * 100) / 100;
  return { count: n, mean: r(n ? sum / n : 0), p50: r(at(0.5)), p90: r(at(0.9)), p95: r(at(0.95)), p99: r(at(0.99)), max: r(n ? sorted[n - 1]! : 0) };
}

export interface LoadResult {
  seconds: number;
  /** Requests answered (any status). */
  responses: number;
  /** Answers that were correct (see answerIsGood). */
  good: number;
  bad: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Good answers per second. */
  throughput: number;
  latency: LatencySummary;
  statusCodes: Record<string, number>;
  /** Open loop only: the offered rate, and requests not sent because `maxInFlight` were already waiting (failures). */
  offered?: number;
  shed?: number;
}

export interface ClosedLoopOptions {
  urls: string[];
  connections: number;
  seconds: number;
  next: () => BenchRequest;
  isGood: (status: number, body: string) => boolean;
}

/**
 * autocannon with a fresh signed request per send (setupRequest), latencies recorded per response.
 * @example const r = await closedLoop({ urls: [gw.url], connections: 32, seconds: 15, next, isGood });
 */
export async function closedLoop(o: ClosedLoopOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let good = 0;
  let bad = 0;
  const started = performance.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: o.urls.length === 1 ? o.urls[0]! : o.urls,
        connections: o.connections,
        duration: o.seconds,
        timeout: 10,
        requests: [
          {
            setupRequest: (req) => {
              const r = o.next();
              return { ...req, method: r.method, path: r.path, headers: r.headers, body: r.body };
            },
            onResponse: (status, body) => {
              statusCodes[status] = (statusCodes[status] ?? 0) + 1;
              if (o.isGood(status, body)) good++;
              else bad++;
            },
          },
        ],
      } as autocannon.Options,
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds: Math.round(seconds * 100) / 100,
    responses: latencies.length,
    good,
    bad,
    errors: result.errors + result.timeouts,
    throughput: Math.round(good / seconds),
    latency: summarise(latencies),
    statusCodes,
  };
}

export interface OpenLoopOptions {
  urls: string[];
  rate: number;
  seconds: number;
  next: () => BenchRequest;
  isGood: (status: number, body: string) => boolean;
  /** Sockets per target; requests beyond that queue in undici (and their wait counts as latency). */
  connections?: number;
  /** More than this many in flight and new sends are skipped and counted as `shed`. */
  maxInFlight?: number;
  /** Called every `sampleMs` with the latencies of responses completed in that window. */
  onSample?: (sample: { at: number; latencies: number[]; bad: number; errors: number }) => void;
  sampleMs?: number;
}

/**
 * A constant arrival rate for a fixed time; latency measured from the scheduled send time.
 * @example const r = await openLoop({ urls: [url], rate: 300, seconds: 10, next, isGood });
 */
export async function openLoop(o: OpenLoopOptions): Promise<LoadResult> {
  const pools = o.urls.map((u) => new Pool(u, { connections: o.connections ?? 128, pipelining: 1, keepAliveTimeout: 30_000 }));
  const maxInFlight = o.maxInFlight ?? 512;
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let window: number[] = [];
  let windowBad = 0;
  let windowErrors = 0;
  let good = 0;
  let bad = 0;
  let errors = 0;
  let shed = 0;
  let sent = 0;
  let inFlight = 0;
  const total = Math.round(o.rate * o.seconds);
  const start = performance.now();

  const fire = (intended: number, pool: Pool) => {
    const r = o.next();
    inFlight++;
    pool
      .request({ method: r.method, path: r.path, headers: r.headers, body: r.body, headersTimeout: 10_000, bodyTimeout: 10_000 })
      .then(async (res) => {
        const text = await res.body.text();
        statusCodes[res.statusCode] = (statusCodes[res.statusCode] ?? 0) + 1;
        const ms = performance.now() - intended;
        latencies.push(ms);
        window.push(ms);
        if (o.isGood(res.statusCode, text)) good++;
        else {
          bad++;
          windowBad++;
        }
      })
      .catch(() => {
        errors++;
        windowErrors++;
      })
      .finally(() => inFlight--);
  };

  const sampler = o.onSample
    ? setInterval(() => {
        o.onSample!({ at: (performance.now() - start) / 1000, latencies: window, bad: windowBad, errors: windowErrors });
        window = [];
        windowBad = 0;
        windowErrors = 0;
      }, o.sampleMs ?? 10_000)
    : undefined;

  // Send what is due every millisecond; each request's clock starts at its own slot.
  await new Promise<void>((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - start;
      const due = Math.min(total, Math.floor((elapsed / 1000) * o.rate));
      while (sent < due) {
        const intended = start + (sent / o.rate) * 1000;
        if (inFlight >= maxInFlight) shed++;
        else fire(intended, pools[sent % pools.length]!);
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  // Let the last requests finish (bounded by the request timeouts).
  for (let i = 0; inFlight > 0 && i < 1200; i++) await new Promise((r) => setTimeout(r, 10));
  if (sampler) clearInterval(sampler);
  if (o.onSample && window.length + windowBad + windowErrors > 0) o.onSample({ at: (performance.now() - start) / 1000, latencies: window, bad: windowBad, errors: windowErrors });
  await Promise.all(pools.map((p) => p.close()));
  const seconds = (performance.now() - start) / 1000;
  return {
    seconds: Math.round(seconds * 100) / 100,
    responses: latencies.length,
    good,
    bad,
    errors,
    throughput: Math.round(good / Math.max(o.seconds, seconds)),
    latency: summarise(latencies),
    statusCodes,
    offered: o.rate,
    shed,
  };
}
