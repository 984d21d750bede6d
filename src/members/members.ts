/**
 * Members: windows, departments, auditors, consent collectors and admins, each with the
 * public keys it signs requests with. Keys rotate by PUTting a JWKS with the new key added,
 * then again with the old one removed.
 */
import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import { members } from "../db/schema.ts";
import type { Queryable } from "../db/types.ts";
import { ConfigChanges, configWrite } from "../config/changes.ts";
import { ReadThrough } from "../config/read-through.ts";
import { grantHostSchema } from "../reach/hosts.ts";
import { evidenceTypeNameSchema } from "../catalog/evidence-types.ts";

export const MEMBER_KINDS = ["window", "department", "auditor", "supervisor", "consent-collector", "admin"] as const;
export type MemberKind = (typeof MEMBER_KINDS)[number];

export const memberIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, "must match ^[a-z0-9][a-z0-9._-]{1,63}$");
export const regionSchema = z.string().regex(/^\d{6}$/, "must be a 6-digit administrative division code (GB/T 2260)");

const b64u = z.string().regex(/^[A-Za-z0-9_-]+$/, "must be base64url");
const publicJwkSchema = z.union([
  z.object({ kty: z.literal("OKP"), crv: z.literal("Ed25519"), x: b64u, kid: z.string().min(1).max(128), alg: z.literal("EdDSA").optional(), use: z.literal("sig").optional() }).strict(),
  z.object({ kty: z.literal("EC"), crv: z.literal("P-256"), x: b64u, y: b64u, kid: z.string().min(1).max(128), alg: z.literal("ES256").optional(), use: z.literal("sig").optional() }).strict(),
]);

export const jwksSchema = z
  .object({ keys: z.array(publicJwkSchema).max(10) })
  .refine((j) => new Set(j.keys.map((k) => k.kid)).size === j.keys.length, { message: "kid values must be unique", path: ["keys"] });

const unique = (list: readonly string[]) => new Set(list).size === list.length;

/**
 * A department's grants (PROTOCOL §4): the evidence types it issues, and the hosts its adapters
 * may reach (host names, IP addresses, CIDR ranges; no wildcards). Set by an admin only.
 */
export const grantsSchema = z
  .object({
    evidenceTypes: z.array(evidenceTypeNameSchema).max(200).refine(unique, "evidence types must be unique"),
    hosts: z.array(grantHostSchema).max(200).refine(unique, "hosts must be unique"),
  })
  .strict();
export type Grants = z.infer<typeof grantsSchema>;

export const memberBodySchema = z
  .object({
    kind: z.enum(MEMBER_KINDS),
    name: z.string().min(1).max(128),
    region: regionSchema.optional(),
    jwks: jwksSchema,
    enabled: z.boolean().default(true),
    /** Departments only. Omitted on a PUT of an existing department: its grants stay as they are. */
    grants: grantsSchema.optional(),
  })
  .strict()
  .refine((m) => m.region !== undefined || (m.kind !== "window" && m.kind !== "department"), {
    message: "windows and departments must have a region",
    path: ["region"],
  })
  .refine((m) => m.grants === undefined || m.kind === "department", {
    message: "only departments carry grants",
    path: ["grants"],
  });

export type MemberBody = z.infer<typeof memberBodySchema>;
export type PublicJwk = z.infer<typeof publicJwkSchema>;

/** What a department without grants has: nothing (it can register no adapter that will be asked). */
export const NO_GRANTS: Grants = { evidenceTypes: [], hosts: [] };

export interface Member {
  id: string;
  kind: MemberKind;
  name: string;
  region: string | null;
  jwks: { keys: PublicJwk[] };
  enabled: boolean;
  /** Departments only (absent for other kinds). */
  grants?: Grants;
  createdAt: string;
  updatedAt: string;
}

function toMember(row: typeof members.$inferSelect): Member {
  return {
    id: row.id,
    kind: row.kind as MemberKind,
    name: row.name,
    region: row.region,
    jwks: row.jwks as { keys: PublicJwk[] },
    enabled: row.enabled,
    ...(row.kind === "department" ? { grants: row.grants ?? NO_GRANTS } : {}),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Creates or replaces a member. Returns whether it was created. A department's grants are
 * replaced only when `grants` is given: a PUT that rotates a department's keys must not revoke
 * what it issues. A member that stops being a department loses its grants.
 * @example
 * await putMember(db, "nanguan-window-01", { kind: "window", name: "南关区政务服务中心 01", region: "220102", jwks, enabled: true });
 */
export async function putMember(db: Queryable, id: string, body: MemberBody): Promise<{ member: Member; created: boolean }> {
  const existing = await db.select({ id: members.id, kind: members.kind, grants: members.grants }).from(members).where(eq(members.id, id));
  const kept = existing[0]?.kind === "department" ? existing[0].grants : null;
  const grants = body.kind === "department" ? (body.grants ?? kept ?? NO_GRANTS) : null;
  const values = { kind: body.kind, name: body.name, region: body.region ?? null, jwks: body.jwks, enabled: body.enabled, grants };
  // Member caches in this process read again at once: a key removed or a member disabled here
  // takes effect on the next request, before the NOTIFY comes back.
  const [row] = await configWrite(
    "members",
    db
      .insert(members)
      .values({ id, ...values })
      .onConflictDoUpdate({ target: members.id, set: { ...values, updatedAt: new Date() } })
      .returning(),
  );
  return { member: toMember(row!), created: existing.length === 0 };
}

export async function getMember(db: Queryable, id: string): Promise<Member | undefined> {
  const [row] = await db.select().from(members).where(eq(members.id, id));
  return row ? toMember(row) : undefined;
}

/** How long a cached member is used before it is read again (see {@link createMemberCache}). */
export const MEMBER_CACHE_TTL_MS = 5_000;

export interface MemberCache {
  /** The member, from the cache while fresh; `fresh: true` reads the database (a key the cache does not know yet). */
  get(id: string, options?: { fresh?: boolean }): Promise<Member | undefined>;
}

export interface MemberCacheOptions {
  /** Default {@link MEMBER_CACHE_TTL_MS}; 0 caches nothing. */
  ttlMs?: number;
  max?: number;
  now?: () => number;
  /**
   * The process's invalidation signal (NOTIFY on the members table, listener reconnects).
   * Without it only writes made through putMember in this process invalidate, and changes
   * made elsewhere take effect within `ttlMs`.
   */
  changes?: ConfigChanges;
}

/**
 * A read-through cache of members for the hot path (authenticating every request, checking
 * department keys on every signed answer, the answering department's region), which otherwise
 * costs a database round trip each.
 *
 * Bounded staleness: a member is read again after a change made through putMember in this
 * process (at once), after a change anywhere when `changes` is wired to the database's
 * notifications (as soon as the notice arrives), and in any case after `ttlMs`. Unknown ids are
 * never cached (a flood of made-up issuers cannot evict real members, and a newly registered
 * member works at once). Concurrent reads of one id share one query. Entries are bounded by
 * `max` (oldest dropped first).
 * @example
 * const members = createMemberCache(db, { changes });
 * const caller = await members.get("nanguan-window-01");
 */
export function createMemberCache(db: Queryable, options: MemberCacheOptions = {}): MemberCache {
  const changes = options.changes ?? new ConfigChanges();
  const cache = new ReadThrough((id: string) => getMember(db, id), {
    ttlMs: options.ttlMs ?? MEMBER_CACHE_TTL_MS,
    max: options.max ?? 10_000,
    now: options.now ?? Date.now,
    stamp: () => changes.stamp(["members"]),
    keep: (member) => member !== undefined,
  });
  return { get: (id, opts) => cache.get(id, opts) };
}

export async function listMembers(db: Queryable): Promise<Member[]> {
  return (await db.select().from(members).orderBy(asc(members.id))).map(toMember);
}
