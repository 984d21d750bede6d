/**
 * Rate-limit settings (#14 Operations 3): a quota per member, and for windows (and auditors) per
 * acting person (`uid`, PROTOCOL §2), set per member kind with overrides per member. Read from
 * `HUREN_RATE_LIMITS` (JSON) or the bootstrap file's `rateLimits`; what neither says keeps the
 * defaults below. Pure: parsing and resolving, no I/O.
 */
import { z } from "zod";
import { MEMBER_KINDS, memberIdSchema, type MemberKind } from "../members/members.ts";

/** The two scopes a request is counted in; also the policy names in the RateLimit fields. */
export type RateScope = "member" | "uid";

/** `quota` requests per `windowSeconds` (a fixed window, offset per key: see ./limiter.ts). */
export interface RatePolicy {
  quota: number;
  windowSeconds: number;
}

export interface KindLimits {
  member: RatePolicy | null;
  uid: RatePolicy | null;
}

export interface RateLimitSettings {
  enabled: boolean;
  kinds: Record<MemberKind, KindLimits>;
  /** Per-member overrides, already merged over the member's kind when resolved. */
  members: Record<string, Partial<Record<RateScope, Partial<RatePolicy> | null>>>;
}

const perMinute = (quota: number): RatePolicy => ({ quota, windowSeconds: 60 });

/**
 * Safe defaults: generous where people wait at a counter, strict where nobody should be in a hurry.
 * A window system serves a whole hall (20 requests/s for the member), each clerk well above what a
 * person can type (2/s); a consent collector records consents one citizen at a time (1/s).
 */
export const DEFAULT_KIND_LIMITS: Record<MemberKind, KindLimits> = {
  window: { member: perMinute(1200), uid: perMinute(120) },
  department: { member: perMinute(600), uid: null },
  auditor: { member: perMinute(600), uid: perMinute(120) },
  supervisor: { member: perMinute(300), uid: null },
  "consent-collector": { member: perMinute(60), uid: null },
  admin: { member: perMinute(600), uid: null },
};

const policySchema = z
  .object({
    quota: z.number().int().min(1).max(10_000_000),
    /** 1 s to a day. */
    windowSeconds: z.number().int().min(1).max(86_400).optional(),
  })
  .strict();
const partialPolicySchema = z
  .object({ quota: z.number().int().min(1).max(10_000_000).optional(), windowSeconds: z.number().int().min(1).max(86_400).optional() })
  .strict();
/** `null` switches a scope off. */
const scopesSchema = z.object({ member: policySchema.nullable().optional(), uid: policySchema.nullable().optional() }).strict();
const memberScopesSchema = z.object({ member: partialPolicySchema.nullable().optional(), uid: partialPolicySchema.nullable().optional() }).strict();

/** The JSON an operator writes (HUREN_RATE_LIMITS, or `rateLimits` in the bootstrap file). */
export const rateLimitsSchema = z
  .object({
    /** false: no limits at all (e.g. behind a proxy that limits already). Default true. */
    enabled: z.boolean().optional(),
    kinds: z.partialRecord(z.enum(MEMBER_KINDS), scopesSchema).optional(),
    members: z.record(memberIdSchema, memberScopesSchema).optional(),
  })
  .strict();
export type RateLimitsInput = z.input<typeof rateLimitsSchema>;

/**
 * Settings from what the operator wrote over the defaults.
 * @example
 * rateLimitSettings({ kinds: { "consent-collector": { member: { quota: 30 } } }, members: { "nanguan-window-01": { member: { quota: 3000 } } } })
 */
export function rateLimitSettings(input: RateLimitsInput = {}): RateLimitSettings {
  const parsed = rateLimitsSchema.parse(input);
  const kinds = structuredClone(DEFAULT_KIND_LIMITS);
  for (const [kind, scopes] of Object.entries(parsed.kinds ?? {}) as [MemberKind, z.infer<typeof scopesSchema>][]) {
    for (const scope of ["member", "uid"] as const) {
      const p = scopes[scope];
      if (p === undefined) continue;
      kinds[kind][scope] = p === null ? null : { quota: p.quota, windowSeconds: p.windowSeconds ?? 60 };
    }
  }
  return { enabled: parsed.enabled ?? true, kinds, members: parsed.members ?? {} };
}

/**
 * The policies that apply to `member` (of `kind`): its kind's, with its own overrides merged in.
 * An override without `quota` or `windowSeconds` keeps the kind's; turning on a scope the kind
 * has switched off needs at least `quota` (the window is then 60 s unless given).
 */
export function policiesFor(settings: RateLimitSettings, memberId: string, kind: MemberKind): KindLimits {
  const base = settings.kinds[kind];
  const own = settings.members[memberId];
  if (!settings.enabled) return { member: null, uid: null };
  if (!own) return base;
  const merge = (scope: RateScope): RatePolicy | null => {
    const o = own[scope];
    if (o === undefined) return base[scope];
    if (o === null) return null;
    const quota = o.quota ?? base[scope]?.quota;
    return quota === undefined ? null : { quota, windowSeconds: o.windowSeconds ?? base[scope]?.windowSeconds ?? 60 };
  };
  return { member: merge("member"), uid: merge("uid") };
}

/**
 * Parses HUREN_RATE_LIMITS: JSON as above, or `off`.
 * @throws Error naming every bad field
 */
export function parseRateLimitsText(text: string, where: string): RateLimitsInput {
  if (text.trim() === "off") return { enabled: false };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${where}: must be JSON ({ "kinds": {...}, "members": {...} }) or "off"`);
  }
  const parsed = rateLimitsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${where}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}
