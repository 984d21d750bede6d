/**
 * Console sessions (#12): a random token in an HttpOnly, SameSite=Strict cookie; the database keeps
 * only its SHA-256, with the member, the staff uid, a CSRF token, and idle and absolute expiry.
 * Sessions live in PostgreSQL so every gateway process sees a sign-out at once.
 */
import { and, eq, isNull } from "drizzle-orm";
import { consoleSessions } from "../db/schema.ts";
import type { Db } from "../db/types.ts";
import { b64url, sha256b64url } from "../crypto/encoding.ts";
import type { MemberKind } from "../members/members.ts";

export interface ConsoleSession {
  member: string;
  uid: string;
  kind: MemberKind;
  csrf: string;
  expiresAt: Date;
}

export interface SessionStore {
  start(who: { member: string; uid: string; kind: MemberKind }): Promise<{ token: string; session: ConsoleSession }>;
  /** The live session for a cookie token, or undefined (unknown, signed out, idle or expired). */
  get(token: string): Promise<ConsoleSession | undefined>;
  end(token: string): Promise<void>;
}

export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_ABSOLUTE_MS = 8 * 3_600_000; // one working day
const TOUCH_EVERY_MS = 60_000; // last_seen is written at most once a minute per session

const randomToken = () => b64url(crypto.getRandomValues(new Uint8Array(32)));

export function createSessionStore(db: Db, now: () => Date, limits = { idleMs: SESSION_IDLE_MS, absoluteMs: SESSION_ABSOLUTE_MS }): SessionStore {
  return {
    async start(who) {
      const token = randomToken();
      const at = now();
      const session = { ...who, csrf: randomToken(), expiresAt: new Date(at.getTime() + limits.absoluteMs) };
      await db.insert(consoleSessions).values({ tokenHash: await sha256b64url(token), ...session, createdAt: at, lastSeenAt: at });
      return { token, session };
    },
    async get(token) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
      const hash = await sha256b64url(token);
      const [row] = await db.select().from(consoleSessions).where(and(eq(consoleSessions.tokenHash, hash), isNull(consoleSessions.endedAt)));
      const at = now();
      if (!row || row.expiresAt <= at || at.getTime() - row.lastSeenAt.getTime() > limits.idleMs) return undefined;
      if (at.getTime() - row.lastSeenAt.getTime() > TOUCH_EVERY_MS) await db.update(consoleSessions).set({ lastSeenAt: at }).where(eq(consoleSessions.tokenHash, hash));
      return { member: row.member, uid: row.uid, kind: row.kind as MemberKind, csrf: row.csrf, expiresAt: row.expiresAt };
    },
    async end(token) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return;
      await db.update(consoleSessions).set({ endedAt: now() }).where(eq(consoleSessions.tokenHash, await sha256b64url(token)));
    },
  };
}
