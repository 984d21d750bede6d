/**
 * Reading a consent token (§6) presented inline with a verification. This is the first form:
 * the signature, issuer kind, subject binding and validity window are checked here; the
 * consent registry (registration, revocation, maxUses) builds on it.
 */
import { compactVerify, decodeProtectedHeader, importJWK } from "jose";
import { z } from "zod";
import type { Member } from "../members/members.ts";
import type { ConsentFacts } from "../policies/evaluate.ts";
import type { Subject } from "../catalog/subject.ts";
import { ALLOWED_ALGS } from "../auth/authenticate.ts";

export const CONSENT_TOKEN_TYPE = "huren-consent+jwt";

const consentClaimsSchema = z.object({
  iss: z.string(),
  iat: z.number().int(),
  jti: z.string().min(16).max(128),
  sub: z.object({ type: z.string(), id: z.string() }),
  grantee: z.string().min(1).max(80),
  matters: z.array(z.string()).min(1).max(100),
  evidenceTypes: z.array(z.string()).min(1).max(100),
  nbf: z.number().int(),
  exp: z.number().int(),
  maxUses: z.number().int().min(1).max(1000).optional(),
  method: z.enum(["counter-signature", "app"]),
  proof: z.string().min(1).max(256),
});

export type ConsentClaims = z.infer<typeof consentClaimsSchema>;

export type ConsentReading =
  | { ok: true; claims: ConsentClaims; facts: ConsentFacts }
  | { ok: false; problem: "consent-invalid" | "consent-subject-mismatch"; detail: string };

const looksLikeJws = (s: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(s);

/**
 * @example
 * const reading = await readConsentToken(token, { subject, now, findMember });
 * if (reading.ok) evaluate({ ..., consent: reading.facts });
 */
export async function readConsentToken(
  token: string,
  ctx: { subject: Subject; now: Date; findMember(id: string): Promise<Member | undefined> },
): Promise<ConsentReading> {
  const fail = (detail: string): ConsentReading => ({ ok: false, problem: "consent-invalid", detail });
  if (!looksLikeJws(token)) return fail("consent is neither a compact JWS nor a registered consent id");
  let header;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return fail("consent token header is not valid JSON");
  }
  if (header.typ !== CONSENT_TOKEN_TYPE) return fail(`consent token typ must be "${CONSENT_TOKEN_TYPE}"`);
  if (!header.alg || !(ALLOWED_ALGS as readonly string[]).includes(header.alg)) return fail("consent token alg not allowed");
  let unverified: unknown;
  try {
    unverified = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"));
  } catch {
    return fail("consent token payload is not JSON");
  }
  const iss = (unverified as { iss?: unknown })?.iss;
  const issuer = typeof iss === "string" ? await ctx.findMember(iss) : undefined;
  if (!issuer || !issuer.enabled || (issuer.kind !== "consent-collector" && issuer.kind !== "window")) {
    return fail("consent token issuer is not an enabled consent collector or window");
  }
  const jwk = issuer.jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) return fail("consent token kid is not a key of its issuer");
  let payload: unknown;
  try {
    const { payload: bytes } = await compactVerify(token, await importJWK({ ...jwk }, header.alg), { algorithms: [header.alg] });
    payload = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return fail("consent token signature does not verify");
  }
  const parsed = consentClaimsSchema.safeParse(payload);
  if (!parsed.success) return fail("consent token claims are not as §6 specifies");
  const c = parsed.data;
  if (c.sub.type !== ctx.subject.type || c.sub.id.toUpperCase() !== ctx.subject.id) {
    return { ok: false, problem: "consent-subject-mismatch", detail: "consent was given by someone else" };
  }
  const now = Math.floor(ctx.now.getTime() / 1000);
  const state = now >= c.exp ? "expired" : "active";
  if (now < c.nbf) return fail("consent is not valid yet");
  return {
    ok: true,
    claims: c,
    facts: { id: c.jti, state, grantee: c.grantee, matters: c.matters, evidenceTypes: c.evidenceTypes },
  };
}
