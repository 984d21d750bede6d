/**
 * Console sign-in with OpenID Connect (#12): the authorization code flow with PKCE (S256), state
 * and nonce, through openid-client against the city's unified identity service (统一身份认证).
 * This module knows nothing of HTTP frameworks: `begin()` gives the provider URL and the
 * transaction to keep in the browser (sealed, in a short-lived cookie); `complete()` takes the
 * URL the provider sent the browser back to and that transaction, and answers the verified
 * ID token's issuer and subject. Who that is in Huren is src/members/console-identities.ts's call.
 */
import * as oidc from "openid-client";

export interface OidcSettings {
  /** The provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`). */
  issuer: string;
  clientId: string;
  /** client_secret_basic when set; else a public client (PKCE alone, token_endpoint_auth_method none). */
  clientSecret?: string | undefined;
  /** This gateway's `/console/oidc/callback`, exactly as registered with the provider. */
  redirectUrl: string;
  /** Default "openid": the console needs nothing but the subject. */
  scope?: string;
}

/** What the browser carries between `begin` and `complete` (sealed: the verifier is a secret). */
export interface OidcTransaction {
  state: string;
  nonce: string;
  verifier: string;
  /** When it was begun (ms): a sign-in left half-way expires. */
  at: number;
}

export const OIDC_TRANSACTION_MS = 10 * 60_000;

export class OidcSignInError extends Error {
  constructor(
    readonly code: "expired" | "provider-error" | "rejected",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface OidcSignIn {
  begin(now: Date): Promise<{ url: URL; transaction: OidcTransaction }>;
  /** @throws OidcSignInError when the answer, the ID token or the transaction does not check out. */
  complete(callbackUrl: URL, transaction: OidcTransaction, now: Date): Promise<{ issuer: string; subject: string }>;
}

/** Plain http only to a provider on this machine (tests, a local identity service in a demo). */
const isLoopback = (url: URL) => url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);

/**
 * @example
 * const signIn = createOidcSignIn({ issuer: "https://ids.changchun.gov.cn", clientId: "huren-console", clientSecret, redirectUrl: "https://huren.changchun.gov.cn/console/oidc/callback" });
 * const { url, transaction } = await signIn.begin(new Date()); // redirect to url, keep transaction
 */
export function createOidcSignIn(settings: OidcSettings): OidcSignIn {
  let discovered: Promise<oidc.Configuration> | undefined;
  // Discovered once, on first use (the provider may start after the gateway); a failure is retried next time.
  const configuration = () =>
    (discovered ??= (async () => {
      const issuer = new URL(settings.issuer);
      const auth = settings.clientSecret ? oidc.ClientSecretBasic(settings.clientSecret) : oidc.None();
      return oidc.discovery(issuer, settings.clientId, undefined, auth, { timeout: 10, ...(isLoopback(issuer) ? { execute: [oidc.allowInsecureRequests] } : {}) });
    })().catch((err: unknown) => {
      discovered = undefined;
      throw new OidcSignInError("provider-error", "the identity provider could not be discovered", { cause: err });
    }));

  return {
    async begin(now) {
      const config = await configuration();
      const transaction: OidcTransaction = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), at: now.getTime() };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUrl,
        scope: settings.scope ?? "openid",
        response_type: "code",
        code_challenge: await oidc.calculatePKCECodeChallenge(transaction.verifier),
        code_challenge_method: "S256",
        state: transaction.state,
        nonce: transaction.nonce,
      });
      return { url, transaction };
    },
    async complete(callbackUrl, transaction, now) {
      if (now.getTime() - transaction.at > OIDC_TRANSACTION_MS || now.getTime() < transaction.at) throw new OidcSignInError("expired", "the sign-in took too long");
      // An answer with another state belongs to another sign-in (an old tab, a forged link): the
      // browser's to start again (400), not a provider failure — and nothing is sent to the provider.
      if (callbackUrl.searchParams.get("state") !== transaction.state) throw new OidcSignInError("expired", "the answer does not belong to this sign-in");
      const config = await configuration();
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: transaction.verifier,
          expectedState: transaction.state,
          expectedNonce: transaction.nonce,
          idTokenExpected: true,
        });
        const claims = tokens.claims();
        if (!claims) throw new Error("no ID token");
        return { issuer: claims.iss, subject: claims.sub };
      } catch (err) {
        throw new OidcSignInError("rejected", "the identity provider's answer did not check out", { cause: err });
      }
    },
  };
}
