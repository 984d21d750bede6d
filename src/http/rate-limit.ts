/**
 * The rate limiter at the HTTP edge: every signed route runs it from §2 authentication (after
 * the signature, before the replay store), so a refused request reaches no handler, no
 * department and no ledger, and writes nothing. Answers carry the RateLimit fields
 * (../ratelimit/headers.ts); a refusal is a 429 problem with `Retry-After`.
 */
import type { Context } from "hono";
import { HurenError } from "../errors.ts";
import type { Member } from "../members/members.ts";
import type { Metrics } from "../metrics/metrics.ts";
import type { Admission, RateLimiter } from "../ratelimit/limiter.ts";
import { rateLimitField, rateLimitPolicyField } from "../ratelimit/headers.ts";
import type { AppEnv } from "./middleware.ts";

/** The problem a refused request gets: type `…/problems/rate-limited`, zh-CN and English detail. */
export function rateLimitedError(a: Admission): HurenError {
  const refused = a.states.find((s) => s.scope === a.violated)!;
  const { quota, windowSeconds } = refused.policy;
  const retry = a.retryAfter ?? 1;
  const who = refused.scope === "uid" ? { zh: "该经办人", en: "the acting person's (uid)" } : { zh: "该成员", en: "this member's" };
  return new HurenError(
    "rate-limited",
    429,
    "Too many requests",
    `请求过于频繁：${who.zh}每 ${windowSeconds} 秒最多 ${quota} 次，请 ${retry} 秒后重试。Too many requests: ${who.en} limit is ${quota} per ${windowSeconds} s; retry in ${retry} s.`,
    {
      // The draft's quota-exceeded problem names the refusing policies the same way.
      extensions: { "violated-policies": [refused.scope] },
      headers: { "retry-after": String(retry), "ratelimit-policy": rateLimitPolicyField(a.states), ratelimit: rateLimitField(a.states) },
    },
  );
}

/**
 * @example
 * const options = { ..., admit: rateLimitGate(deps.rateLimiter, deps.metrics) }; // requireMember's AuthOptions
 */
export function rateLimitGate(limiter: RateLimiter, metrics: Metrics) {
  const apply = (c: Context<AppEnv>, member: Member, a: Admission): void => {
    if (a.states.length === 0) return;
    if (a.allowed) {
      // Set before the handler runs, so the response is built with them (see app.ts on headers).
      c.header("ratelimit-policy", rateLimitPolicyField(a.states));
      c.header("ratelimit", rateLimitField(a.states));
      return;
    }
    metrics.rateLimited(member.kind, a.violated!);
    // Authentication has not returned yet: name the (verified) member in the log event here.
    const fields = c.get("logFields");
    fields.member = member.id;
    fields.memberKind = member.kind;
    fields.rateLimited = a.violated;
    throw rateLimitedError(a);
  };
  return (c: Context<AppEnv>, member: Member, uid: string | undefined): void | Promise<void> => {
    const a = limiter.admit(member, uid);
    return a instanceof Promise ? a.then((x) => apply(c, member, x)) : apply(c, member, a);
  };
}
