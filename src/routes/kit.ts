/**
 * What every route file shares: the auth middleware for a set of member kinds, and the common
 * OpenAPI response entries (problems), so each route states only what is its own.
 */
import { z } from "zod";
import type { MiddlewareHandler } from "hono";
import type { AppDeps } from "../deps.ts";
import { jsonBody, requireMember, type AppEnv } from "../http/middleware.ts";
import type { MemberKind } from "../members/members.ts";
import { createNonceStore } from "../auth/nonces.ts";
import { rateLimitGate } from "../http/rate-limit.ts";

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  requestId: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  /** On a 429: the policies (`member`, `uid`) whose quota is spent. */
  "violated-policies": z.array(z.enum(["member", "uid"])).optional(),
});

/** A response that is an RFC 9457 problem (`type` names it). */
export const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: problemSchema } } });

/** The problems any signed route can answer. */
export const signedProblems = {
  400: problem("Malformed JSON, a body that fails validation (`errors[]`), or ill-formed text (NUL, lone surrogate) in the body, URL or token: `ill-formed-input`"),
  401: problem("The signed request failed a §2 check; `type` names it"),
  403: problem("forbidden-for-kind: a valid token of a member kind that may not do this"),
  413: problem("Body too large"),
  415: problem("Body is not application/json"),
  429: {
    description:
      "rate-limited: the member's or the acting person's (uid) quota for this window is spent (docs/operators.md). `Retry-After` says when to try again; successful signed answers carry the RateLimit fields too (draft-ietf-httpapi-ratelimit-headers-11)",
    headers: {
      "Retry-After": { description: "Seconds until the refusing window ends", schema: { type: "integer", minimum: 1 } },
      "RateLimit-Policy": { description: 'The quotas that apply, e.g. `"member";q=1200;w=60, "uid";q=120;w=60`', schema: { type: "string" } },
      RateLimit: { description: 'What is left of them, e.g. `"member";r=0;t=17, "uid";r=80;t=17`', schema: { type: "string" } },
    },
    content: { "application/problem+json": { schema: problemSchema } },
  },
} as const;

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export interface RouteKit {
  deps: AppDeps;
  /** Middleware for a signed route that `kinds` may call; `withBody` adds the JSON checks. */
  signed(kinds: readonly MemberKind[], withBody?: boolean): MiddlewareHandler<AppEnv>[];
}

export function createRouteKit(deps: AppDeps): RouteKit {
  // Every signed request needs its member; the config cache's member cache saves that round trip
  // (a key removed or a member disabled through another gateway process takes effect when its
  // change notification arrives, at the latest within MEMBER_CACHE_TTL_MS).
  const members = deps.config.members;
  const newNonceStore = () => createNonceStore(deps.db, deps.now, { onBatch: (size, replayed, seconds) => deps.metrics.replayBatch(size, replayed, seconds) });
  // On Workers, one replay store per request: its group insert must not run one request's jtis
  // on another request's connection (src/entry/request-scope.ts).
  const nonceStore = deps.scoping ? deps.scoping.perRequest(newNonceStore) : (() => { const one = newNonceStore(); return () => one; })();
  const options = {
    gatewayId: deps.gatewayId,
    now: deps.now,
    findMember: (id: string, opts?: { fresh?: boolean }) => members.get(id, opts),
    rememberJti: (issuer: string, jti: string, expiresAt: Date) => nonceStore()(issuer, jti, expiresAt),
    ...(deps.rateLimiter ? { admit: rateLimitGate(deps.rateLimiter, deps.metrics) } : {}),
  };
  deps.metrics.gauge({ name: "huren_replay_store_queue", help: "Request jtis waiting for the next replay-store insert.", collect: () => nonceStore().queued });
  return {
    deps,
    signed: (kinds, withBody = false) => (withBody ? [requireMember(options, kinds), jsonBody()] : [requireMember(options, kinds)]),
  };
}
