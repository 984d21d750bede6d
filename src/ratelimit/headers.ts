/**
 * The RateLimit-Policy and RateLimit response fields of draft-ietf-httpapi-ratelimit-headers-11
 * (May 2026; the syntax is that of -08 to -11): each a Structured Fields List (RFC 9651) of
 * Items, the Item a String naming the policy, its Parameters Integers.
 *
 *   RateLimit-Policy: "member";q=1200;w=60, "uid";q=120;w=60
 *   RateLimit: "member";r=1187;t=42, "uid";r=117;t=42
 *
 * Policy names are the fixed scopes `member` and `uid`: no member id or uid is ever echoed (the
 * caller knows who it is; a proxy's log need not). No `pk` parameter for the same reason.
 */
import type { LimitState } from "./limiter.ts";

/** @example rateLimitPolicyField(states) // '"member";q=1200;w=60, "uid";q=120;w=60' */
export const rateLimitPolicyField = (states: readonly LimitState[]): string =>
  states.map((s) => `"${s.scope}";q=${s.policy.quota};w=${s.policy.windowSeconds}`).join(", ");

/** @example rateLimitField(states) // '"member";r=1187;t=42, "uid";r=117;t=42' */
export const rateLimitField = (states: readonly LimitState[]): string => states.map((s) => `"${s.scope}";r=${s.remaining};t=${s.resetSeconds}`).join(", ");
