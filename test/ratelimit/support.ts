/**
 * Rate-limit tests talk to gateways over real HTTP on 127.0.0.1, with tokens stamped by the
 * test's own clock (the gateway's injected `now`), so no assertion depends on the wall clock.
 */
import { parseList } from "structured-headers";
import type { HurenApp } from "../../src/app.ts";
import { listen, type RunningServer } from "../../src/entry/server.ts";
import { signRequest, type Actor } from "../harness.ts";

export interface Clock {
  t: number;
  now(): Date;
}

/** A settable clock; starts at `start` (whole seconds). */
export function testClock(start: number): Clock {
  const clock = { t: Math.floor(start / 1000) * 1000, now: () => new Date(clock.t) };
  return clock;
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function serveOnLoopback(app: HurenApp): Promise<Served> {
  const running: RunningServer = await listen(app.fetch, { port: 0, host: "127.0.0.1", headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 256 });
  return { url: `http://127.0.0.1:${running.port}`, close: async () => void (await running.drain(1_000)) };
}

/** A §2 token stamped with the test clock's time. */
export async function tokenAt(clock: Clock, actor: Actor, method: string, path: string, body = "", uid?: string): Promise<string> {
  const iat = Math.floor(clock.t / 1000);
  return signRequest(actor, method, path, body, { claims: { iat, exp: iat + 120, ...(uid ? { uid } : {}) } });
}

/** A signed request over HTTP; `token` to resend one already used. */
export async function signedFetch(served: Served, clock: Clock, actor: Actor, method: string, path: string, options: { body?: unknown; uid?: string; token?: string } = {}): Promise<Response> {
  const text = options.body === undefined ? "" : JSON.stringify(options.body);
  const token = options.token ?? (await tokenAt(clock, actor, method, path, text, options.uid));
  return fetch(served.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(options.body === undefined ? {} : { "content-type": "application/json" }) },
    ...(options.body === undefined ? {} : { body: text }),
  });
}

export interface ParsedLimits {
  policy: Record<string, { q: number; w: number }>;
  current: Record<string, { r: number; t: number }>;
}

/** The RateLimit-Policy and RateLimit fields, read with an RFC 9651 parser; undefined when absent. */
export function rateLimitsOf(res: Response): ParsedLimits | undefined {
  const policy = res.headers.get("ratelimit-policy");
  const current = res.headers.get("ratelimit");
  if (policy === null && current === null) return undefined;
  const items = (text: string | null) => parseList(text ?? "").map(([name, params]) => [String(name), Object.fromEntries(params)] as const);
  return {
    policy: Object.fromEntries(items(policy)) as ParsedLimits["policy"],
    current: Object.fromEntries(items(current)) as ParsedLimits["current"],
  };
}
