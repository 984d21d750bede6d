/**
 * Consent tokens (§6): a JWS (`typ: huren-consent+jwt`) signed by a consent collector or a window.
 * This file checks one — signature with a registered key of its issuer, issuer kind, claims —
 * and nothing else: whether it is revoked, used up or meant for this verification is the
 * registry's and the policy's business (src/consent/registry.ts, src/policies/evaluate.ts).
 */
import { z } from "zod";
import { parseCompactJws, verifierFor, verifyParsedJws, type ParsedJws } from "../crypto/jws.ts";
import type { Member } from "../members/members.ts";
import { subjectSchema } from "../catalog/subject.ts";
import { ALLOWED_ALGS } from "../auth/authenticate.ts";
import { regionContains } from "../policies/regions.ts";
import { assertWellFormedJson } from "../well-formed.ts";

export const CONSENT_TOKEN_TYPE = "huren-consent+jwt";

/** The consent id is the token's `jti`; it appears in URLs, so it is URL-safe. */
export const consentIdSchema = z.string().regex(/^[A-Za-z0-9._:~-]{16,128}$/, "must be 16 to 128 of A-Z a-z 0-9 . _ : ~ -");

const matterPattern = z.union([z.literal("*"), z.string().regex(/^[A-Za-z0-9._-]{1,64}$/)]);

const consentClaimsSchema = z
  .object({
    iss: z.string(),
    iat: z.number().int(),
    jti: consentIdSchema,
    sub: subjectSchema,
    grantee: z.string().regex(/^(?:[a-z0-9][a-z0-9._-]{1,63}|region:\d{6})$/, "must be a window id or region:<6-digit code>"),
    matters: z.array(matterPattern).min(1).max(100),
    evidenceTypes: z.array(z.string().min(1).max(64)).min(1).max(100),
    nbf: z.number().int(),
    exp: z.number().int(),
    maxUses: z.number().int().min(1).max(1000).optional(),
    method: z.enum(["counter-signature", "app"]),
    proof: z.string().min(1).max(256),
  })
  .refine((c) => c.exp > c.nbf, { message: "exp must be after nbf", path: ["exp"] });

export type ConsentClaims = z.infer<typeof consentClaimsSchema>;

export type TokenReading = { ok: true; claims: ConsentClaims; issuer: Member } | { ok: false; detail: string };

const isAllowedAlg = (alg: string): alg is (typeof ALLOWED_ALGS)[number] => (ALLOWED_ALGS as readonly string[]).includes(alg);

const looksLikeJws = (s: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(s);

/** Is this the id of a consent rather than a token? A compact JWS is never this short. */
export const isConsentId = (value: string): boolean => consentIdSchema.safeParse(value).success && !looksLikeJws(value);

/**
 * Checks a consent token's signature and claims. Validity in time is not checked here: an
 * expired token is still a consent (an expired one), which the registry records as such.
 * @throws HurenError ill-formed-input (400) for a NUL or lone surrogate in its header or claims:
 *   that is the caller's malformed request, not a consent that merely fails.
 * @example
 * const reading = await verifyConsentToken(token, { findMember: (id) => getMember(db, id) });
 * if (reading.ok) reading.claims.jti; // the consent id
 */
export async function verifyConsentToken(token: string, ctx: { findMember(id: string): Promise<Member | undefined> }): Promise<TokenReading> {
  const fail = (detail: string): TokenReading => ({ ok: false, detail });
  if (!looksLikeJws(token)) return fail("consent is neither a compact JWS nor a consent id");
  let jws: ParsedJws;
  try {
    jws = parseCompactJws(token);
  } catch {
    return fail("consent token header is not valid JSON");
  }
  const { header } = jws;
  if (header.typ !== CONSENT_TOKEN_TYPE) return fail(`consent token typ must be "${CONSENT_TOKEN_TYPE}"`);
  const alg = header.alg;
  if (typeof alg !== "string" || !isAllowedAlg(alg)) return fail("consent token alg not allowed");
  if (header.crit) return fail("no critical header extensions are understood");
  let unverified: unknown;
  try {
    unverified = JSON.parse(new TextDecoder().decode(jws.payload));
  } catch {
    return fail("consent token payload is not JSON");
  }
  // Ill-formed text is the caller's 400 (§3), not a consent that merely fails: checked before `iss` is looked up.
  assertWellFormedJson(header, "consent token");
  assertWellFormedJson(unverified, "consent token");
  const iss = (unverified as { iss?: unknown })?.iss;
  const issuer = typeof iss === "string" ? await ctx.findMember(iss) : undefined;
  if (!issuer || !issuer.enabled || (issuer.kind !== "consent-collector" && issuer.kind !== "window")) {
    return fail("consent token issuer is not an enabled consent collector or window");
  }
  const jwk = issuer.jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk || (jwk.kty === "OKP" ? "EdDSA" : "ES256") !== alg) return fail("consent token kid is not a key of its issuer for this alg");
  try {
    await verifyParsedJws(jws, await verifierFor(jwk, alg), [alg]);
  } catch {
    return fail("consent token signature does not verify");
  }
  // The signature covers the payload bytes parsed above.
  const payload = unverified;
  const parsed = consentClaimsSchema.safeParse(payload);
  if (!parsed.success) {
    // Paths only: a message could quote the subject id.
    return fail(`consent token claims are not as §6 specifies (${[...new Set(parsed.error.issues.map((i) => i.path.join(".") || "(root)"))].join(", ")})`);
  }
  const claims = parsed.data;
  // A window collects consent at its own counter: it may grant itself or an area within its own,
  // never another window.
  if (issuer.kind === "window") {
    const area = claims.grantee.startsWith("region:") ? claims.grantee.slice(7) : undefined;
    if (!(claims.grantee === issuer.id || (area && issuer.region && regionContains(issuer.region, area)))) {
      return fail("a window may only issue consents granted to itself or to an area within its own region");
    }
  }
  return { ok: true, claims, issuer };
}
