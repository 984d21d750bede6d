/**
 * /v1/consents (§6): consent collectors and windows register the consent tokens they issue,
 * see them with their uses, and revoke them. A member sees only its own consents; any other
 * id is "not found", so ids cannot be probed. The work is in consent/registry.ts.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { notFound } from "../errors.ts";
import { consentIdSchema } from "../consent/inline.ts";
import { registerConsent, revokeConsent, showConsent } from "../consent/registry.ts";
import { jsonContent, problemSchema, signedProblems, type RouteKit } from "./kit.ts";

const STATES = ["active", "revoked", "expired", "exhausted"] as const;
const consentSchema = z.object({
  id: z.string(),
  issuer: z.string(),
  state: z.enum(STATES),
  grantee: z.string(),
  matters: z.array(z.string()),
  evidenceTypes: z.array(z.string()),
  notBefore: z.string(),
  expiresAt: z.string(),
  maxUses: z.number().int().nullable(),
  useCount: z.number().int(),
  method: z.string(),
  proof: z.string(),
  tokenHash: z.string().describe("base64url SHA-256 of the registered token: proves which token it was"),
  registeredAt: z.string(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
  uses: z
    .array(z.object({ verificationId: z.string(), requester: z.string(), evidenceTypes: z.array(z.string()), ledgerIndex: z.number().int().nullable(), usedAt: z.string() }))
    .describe("Each use with the ledger entry recording it; ledgerIndex null means the verification failed (503) and disclosed nothing"),
});
const revokedSchema = z.object({ id: z.string(), state: z.enum(STATES), revokedAt: z.string(), revokedBy: z.string() });
const idParam = z.object({ id: consentIdSchema });
const registerBody = z.object({ token: z.string().min(1).max(16384).describe("The consent JWS (typ huren-consent+jwt), signed by the caller") }).strict();
const security = [{ signedRequest: [] }];
const tags = ["consents"];
const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: problemSchema } } });
const ISSUERS = ["consent-collector", "window"] as const;

export function registerConsentRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { deps } = kit;

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/consents",
      tags,
      security,
      summary: "Register a consent token its caller issued (consent collector, window)",
      middleware: kit.signed(ISSUERS, true),
      request: { body: { content: { "application/json": { schema: registerBody } }, required: true } },
      responses: {
        200: jsonContent(consentSchema, "Already registered (the same token)"),
        201: jsonContent(consentSchema, "Registered"),
        ...signedProblems,
        409: problem("Another token is registered under this id (jti)"),
        422: problem("consent-invalid: the token's signature, issuer or claims are not as §6 specifies"),
      },
    }),
    async (c) => {
      const caller = c.get("caller").member;
      const now = deps.now();
      const { record, created } = await registerConsent(deps, c.req.valid("json").token, caller, now);
      c.header("cache-control", "no-store");
      return c.json((await showConsent(deps.db, record.id, caller, now))!, created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/consents/{id}",
      tags,
      security,
      summary: "Show a consent its caller issued, with its state and uses",
      middleware: kit.signed(ISSUERS),
      request: { params: idParam },
      responses: { 200: jsonContent(consentSchema, "The consent"), ...signedProblems, 404: problem("No such consent of the caller's") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const view = await showConsent(deps.db, id, c.get("caller").member, deps.now());
      if (!view) throw notFound(`consent "${id}"`);
      c.header("cache-control", "no-store");
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/consents/{id}/revoke",
      tags,
      security,
      summary: "Revoke a consent (its issuer, or any consent collector); idempotent",
      middleware: kit.signed(ISSUERS),
      request: { params: idParam },
      responses: { 200: jsonContent(revokedSchema, "Revoked"), ...signedProblems, 404: problem("No such consent the caller may revoke") },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const revoked = await revokeConsent(deps.db, id, c.get("caller").member, deps.now());
      if (!revoked) throw notFound(`consent "${id}"`);
      return c.json(revoked, 200);
    },
  );
}
