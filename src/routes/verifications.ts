/** POST /v1/verifications (§3): a window asks; thin, the work is in verification/verify.ts. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { verify } from "../verification/verify.ts";
import { RESULT_STATUSES, verificationRequestSchema } from "../verification/request.ts";
import { jsonContent, problemSchema, signedProblems, type RouteKit } from "./kit.ts";

const resultSchema = z.object({
  type: z.string(),
  status: z.enum(RESULT_STATUSES),
  source: z.string().optional(),
  claims: z.record(z.string(), z.unknown()).optional(),
  checkedAt: z.string().optional(),
  reason: z.string().optional(),
});
const responseSchema = z.object({
  verificationId: z.string(),
  results: z.array(resultSchema),
  receipt: z.string().describe("JWS (typ huren-receipt+jwt) signed with a key in /.well-known/jwks.json"),
  subjectOpening: z.string().describe("base64url of 32 bytes: the key of the receipt's subject.commitment, HMAC-SHA256 of UTF-8 `type:id` (PROTOCOL v1.1 §3). File it with the case; it is not in the receipt"),
  ledger: z.object({ index: z.number().int(), leafHash: z.string() }),
});

export function registerVerificationRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { deps } = kit;
  const verifyDeps = {
    db: deps.db,
    secrets: deps.secrets,
    signer: deps.keys.signer,
    resolver: deps.resolver,
    config: deps.config,
    gatewayId: deps.gatewayId,
    now: deps.now,
    newId: deps.newId,
    lookupDeadlineMs: deps.lookupDeadlineMs ?? 10_000,
    ledger: deps.ledger.writer,
    log: (event: Record<string, unknown>) => deps.logger.info(event),
    logError: (event: Record<string, unknown>) => deps.logger.error(event),
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/verifications",
      tags: ["verifications"],
      security: [{ signedRequest: [] }],
      summary: "Verify a person's or company's evidence for a matter (window)",
      description: "Evaluates policy per item, asks the permitted departments in parallel, commits one ledger entry, then answers with the minimal results and a signed receipt. Omit `evidence` to ask for everything the matter marks exempt.",
      middleware: kit.signed(["window"], true),
      request: { body: { content: { "application/json": { schema: verificationRequestSchema } }, required: true } },
      responses: {
        200: jsonContent(responseSchema, "Results (denied items included) and the receipt"),
        ...signedProblems,
        422: { description: "Unknown matter, evidence type, or a requested field the evidence type does not have", content: { "application/problem+json": { schema: problemSchema } } },
        503: { description: "The ledger entry could not be committed; no data is returned", content: { "application/problem+json": { schema: problemSchema } } },
      },
    }),
    async (c) => {
      const caller = c.get("caller");
      const result = await verify(verifyDeps, { caller, body: c.req.valid("json"), requestHash: c.get("requestHash") });
      c.get("logFields").verificationId = result.verificationId;
      const denied = result.results.filter((r) => r.status === "denied").length;
      deps.metrics.verification(
        denied === 0 ? "permitted" : denied === result.results.length ? "denied" : "partial",
        result.results.map((r) => ({ evidenceType: r.type, status: r.status, decision: r.status === "denied" ? "deny" : "permit" })),
      );
      c.header("cache-control", "no-store");
      return c.json(result, 200);
    },
  );
}
