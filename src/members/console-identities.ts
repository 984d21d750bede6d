/**
 * Console identities (#12): which OpenID Connect subject signs in as which member and staff uid.
 * An admin maps them (`PUT /v1/console/identities`, or the console's administration page); an
 * unmapped or disabled subject gets no session. A subject is unique only within its issuer, so a
 * mapping may name the issuer; "" stands for the issuer the gateway is configured with.
 */
import { and, asc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { consoleIdentities } from "../db/schema.ts";
import type { Queryable } from "../db/types.ts";
import { HurenError } from "../errors.ts";
import { getMember, memberIdSchema, type MemberKind } from "./members.ts";

export const consoleIdentitySchema = z
  .object({
    /** The issuer URL exactly as in the ID token's `iss`; omitted or "" = the configured issuer. */
    issuer: z.union([z.literal(""), z.url().max(512)]).default(""),
    /** The ID token's `sub` (OpenID Connect Core §2: at most 255 ASCII characters). */
    subject: z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces"),
    member: memberIdSchema,
    uid: z.string().min(1).max(64).regex(/^[^\s/]+$/, "no spaces or slashes"),
    enabled: z.boolean().default(true),
  })
  .strict();
export type ConsoleIdentityBody = z.infer<typeof consoleIdentitySchema>;

export interface ConsoleIdentity extends ConsoleIdentityBody {
  changedBy: string;
  updatedAt: string;
}

const toIdentity = (row: typeof consoleIdentities.$inferSelect): ConsoleIdentity => ({
  issuer: row.issuer,
  subject: row.subject,
  member: row.member,
  uid: row.uid,
  enabled: row.enabled,
  changedBy: row.changedBy,
  updatedAt: row.updatedAt.toISOString(),
});

/**
 * Creates or replaces the mapping of one (issuer, subject).
 * @throws HurenError unknown-member (422)
 * @example
 * await putConsoleIdentity(db, { issuer: "", subject: "u-20931", member: "cc-audit-office", uid: "auditor-07", enabled: true }, "test-admin");
 */
export async function putConsoleIdentity(db: Queryable, body: ConsoleIdentityBody, by: string): Promise<{ identity: ConsoleIdentity; created: boolean }> {
  if (!(await getMember(db, body.member))) {
    throw new HurenError("unknown-member", 422, "Unknown member", `member "${body.member}" is not registered`, { errors: [{ path: "member", message: "not a registered member" }] });
  }
  const key = and(eq(consoleIdentities.issuer, body.issuer), eq(consoleIdentities.subject, body.subject));
  const existing = await db.select({ subject: consoleIdentities.subject }).from(consoleIdentities).where(key);
  const values = { member: body.member, uid: body.uid, enabled: body.enabled, changedBy: by, updatedAt: new Date() };
  const [row] = await db
    .insert(consoleIdentities)
    .values({ issuer: body.issuer, subject: body.subject, ...values })
    .onConflictDoUpdate({ target: [consoleIdentities.issuer, consoleIdentities.subject], set: values })
    .returning();
  return { identity: toIdentity(row!), created: existing.length === 0 };
}

export async function listConsoleIdentities(db: Queryable, member?: string): Promise<ConsoleIdentity[]> {
  const rows = await db
    .select()
    .from(consoleIdentities)
    .where(member ? eq(consoleIdentities.member, member) : undefined)
    .orderBy(asc(consoleIdentities.member), asc(consoleIdentities.uid), asc(consoleIdentities.subject));
  return rows.map(toIdentity);
}

/**
 * Who an ID token's (iss, sub) signs in as: a mapping pinned to `issuer` wins over one for the
 * configured issuer (""); disabled mappings and disabled members sign in nobody.
 * @example
 * const who = await resolveConsoleIdentity(db, claims.iss, claims.sub); // undefined → refusal page
 */
export async function resolveConsoleIdentity(db: Queryable, issuer: string, subject: string): Promise<{ member: string; uid: string; kind: MemberKind } | undefined> {
  const rows = await db
    .select()
    .from(consoleIdentities)
    .where(and(eq(consoleIdentities.subject, subject), inArray(consoleIdentities.issuer, [issuer, ""])));
  const row = rows.find((r) => r.issuer === issuer) ?? rows.find((r) => r.issuer === "");
  if (!row || !row.enabled) return undefined;
  const member = await getMember(db, row.member);
  if (!member || !member.enabled) return undefined;
  return { member: member.id, uid: row.uid, kind: member.kind };
}
