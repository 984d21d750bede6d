/**
 * The console's HTTP plumbing: security headers, the session cookie, CSRF, form bodies. Pages
 * never see cookies or forms; they get a session and plain values.
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import type { AppEnv } from "../http/middleware.ts";
import type { MemberKind } from "../members/members.ts";
import type { ConsoleSession, SessionStore } from "./session.ts";

export type ConsoleEnv = { Variables: AppEnv["Variables"] & { session: ConsoleSession | undefined; sessionToken: string | undefined } };

/** Scripts and styles only from the gateway; no inline script, no framing, no referrer. */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** `Secure` everywhere except a gateway on localhost (the demo), where browsers refuse it over http. */
const isLocal = (c: Context) => ["localhost", "127.0.0.1", "[::1]"].includes(new URL(c.req.url).hostname);
export const cookieName = (c: Context) => (isLocal(c) ? "huren_console" : "__Host-huren_console");

export function consoleHeaders(): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    await next();
    c.res.headers.set("content-security-policy", CSP);
    c.res.headers.set("referrer-policy", "no-referrer");
    c.res.headers.set("x-content-type-options", "nosniff");
    if (!c.req.path.startsWith("/console/static/")) c.res.headers.set("cache-control", "no-store");
  };
}

export function loadSession(sessions: SessionStore): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const token = getCookie(c, cookieName(c));
    c.set("sessionToken", token);
    c.set("session", token ? await sessions.get(token) : undefined);
    await next();
  };
}

export function setSessionCookie(c: Context, token: string, expires: Date): void {
  setCookie(c, cookieName(c), token, { httpOnly: true, sameSite: "Strict", secure: !isLocal(c), path: "/", expires });
}

export const clearSessionCookie = (c: Context) => deleteCookie(c, cookieName(c), { path: "/", secure: !isLocal(c) });

/** A signed-in session of one of `kinds`; else a redirect to sign in, or 403. */
export function requireSession(kinds: readonly MemberKind[]): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const session = c.get("session");
    if (!session) return c.redirect("/console/login", 303);
    if (!kinds.includes(session.kind)) return c.text("403 — 您的账号类型无权访问此页面 / your account kind may not open this page", 403);
    await next();
  };
}

/** The POSTed form (urlencoded), read from the body the app already buffered. */
export function formOf(c: Context<ConsoleEnv>): URLSearchParams {
  const raw = c.get("rawBody");
  return new URLSearchParams(raw ? new TextDecoder().decode(raw) : "");
}

/** Every POST carries the session's CSRF token (SameSite=Strict is the second line, not the only one). */
export function requireCsrf(): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const session = c.get("session");
    const sent = formOf(c).get("csrf");
    if (!session || !sent || sent !== session.csrf) return c.text("403 — 表单已失效，请刷新后重试 / the form has expired: reload and try again", 403);
    await next();
  };
}
