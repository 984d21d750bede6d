/**
 * /console/oidc/start and /console/oidc/callback: sign-in through the city's identity service.
 * The transaction (state, nonce, PKCE verifier) rides in a sealed, HttpOnly, SameSite=Lax cookie
 * for ten minutes: Lax, because the provider's redirect back is a cross-site navigation that a
 * Strict cookie would not come with. The session cookie itself stays Strict; the callback
 * therefore answers a tiny page that moves on to /console from this site (a redirect chain that
 * began at the provider would leave the Strict cookie behind).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppDeps } from "../deps.ts";
import { resolveConsoleIdentity } from "../members/console-identities.ts";
import { createOidcSignIn, OIDC_TRANSACTION_MS, OidcSignInError, type OidcSettings, type OidcTransaction } from "./oidc.ts";
import { setSessionCookie, type ConsoleEnv } from "./http.ts";
import type { SessionStore } from "./session.ts";
import { OidcRefusedPage, SignedInPage } from "./pages/login.tsx";

const isLocal = (c: Context) => ["localhost", "127.0.0.1", "[::1]"].includes(new URL(c.req.url).hostname);
const txCookie = (c: Context) => (isLocal(c) ? "huren_oidc" : "__Host-huren_oidc");

export function registerOidcSignIn(app: OpenAPIHono<ConsoleEnv>, deps: AppDeps, settings: OidcSettings, sessions: SessionStore) {
  const signIn = createOidcSignIn(settings);

  app.get("/console/oidc/start", async (c) => {
    let begun;
    try {
      begun = await signIn.begin(deps.now());
    } catch (err) {
      deps.logger.error({ event: "console-oidc-failed", step: "begin", code: err instanceof OidcSignInError ? err.code : "unexpected" });
      return c.html(<OidcRefusedPage reason="provider" />, 502);
    }
    setCookie(c, txCookie(c), await deps.secrets.seal(JSON.stringify(begun.transaction)), {
      httpOnly: true,
      sameSite: "Lax",
      secure: !isLocal(c),
      path: "/",
      maxAge: OIDC_TRANSACTION_MS / 1000,
    });
    return c.redirect(begun.url.href, 303);
  });

  app.get("/console/oidc/callback", async (c) => {
    const sealed = getCookie(c, txCookie(c));
    deleteCookie(c, txCookie(c), { path: "/", secure: !isLocal(c) });
    const transaction = sealed ? await unsealTransaction(deps, sealed) : undefined;
    if (!transaction) return c.html(<OidcRefusedPage reason="expired" />, 400);
    // The URL the provider redirected to, as registered: the request's own URL may be an internal one behind a proxy.
    const callbackUrl = new URL(settings.redirectUrl);
    callbackUrl.search = new URL(c.req.url).search;
    let who: { issuer: string; subject: string };
    try {
      who = await signIn.complete(callbackUrl, transaction, deps.now());
    } catch (err) {
      const code = err instanceof OidcSignInError ? err.code : "unexpected";
      deps.logger.error({ event: "console-oidc-failed", step: "callback", code });
      return c.html(<OidcRefusedPage reason={code === "expired" ? "expired" : "provider"} />, code === "expired" ? 400 : 502);
    }
    const identity = await resolveConsoleIdentity(deps.db, who.issuer, who.subject);
    if (!identity) {
      // No person data in the log: the subject is the provider's opaque id, but it stays out too.
      deps.logger.info({ event: "console-oidc-refused", reason: "unknown-subject" });
      return c.html(<OidcRefusedPage reason="unknown" />, 403);
    }
    const { token, session } = await sessions.start(identity);
    setSessionCookie(c, token, session.expiresAt);
    return c.html(<SignedInPage />);
  });
}

async function unsealTransaction(deps: AppDeps, sealed: string): Promise<OidcTransaction | undefined> {
  try {
    const t = JSON.parse(await deps.secrets.unseal(sealed)) as Partial<OidcTransaction>;
    if (typeof t.state !== "string" || typeof t.nonce !== "string" || typeof t.verifier !== "string" || typeof t.at !== "number") return undefined;
    return t as OidcTransaction;
  } catch {
    return undefined;
  }
}
