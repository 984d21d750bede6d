/** Public routes (§8): the gateway's JWKS, health, readiness and the API docs page. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { databaseUnavailable } from "../http/problem.ts";
import { DOCS_PAGE, SWAGGER_INIT, SWAGGER_PAGE } from "./docs-page.ts";
import { jsonContent, type RouteKit } from "./kit.ts";

const witnessStats = z.object({
  name: z.string(),
  url: z.string(),
  lastCosignedSize: z.number().int().nullable(),
  lastCosignedAt: z.string().nullable(),
  ageSeconds: z.number().int().nullable(),
  failures: z.number().int(),
  lastError: z.string().nullable(),
});

/** /readyz answers 503 when the database has not answered `select 1` within this. */
const READY_TIMEOUT_MS = 1_500;

export function registerPublicRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { deps } = kit;

  app.openapi(
    createRoute({
      method: "get",
      path: "/.well-known/jwks.json",
      tags: ["public"],
      summary: "The gateway's public keys: verify receipts offline with these",
      responses: { 200: jsonContent(z.object({ keys: z.array(z.record(z.string(), z.unknown())) }), "JWKS") },
    }),
    async (c) => {
      c.header("cache-control", "public, max-age=300");
      return c.json(await deps.keys.jwks(), 200);
    },
  );

  app.openapi(
    createRoute({ method: "get", path: "/healthz", tags: ["public"], summary: "Liveness: the process answers", responses: { 200: jsonContent(z.object({ status: z.literal("ok") }), "Alive") } }),
    (c) => c.json({ status: "ok" as const }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/readyz",
      tags: ["public"],
      summary: "Readiness: the database answers; details of each ledger witness (PROTOCOL §5.2)",
      responses: { 200: jsonContent(z.object({ status: z.literal("ready"), database: z.string(), witnesses: z.array(witnessStats) }), "Ready"), 503: { description: "Not ready" } },
    }),
    async (c) => {
      // Bounded on the client side too: a server that accepts but never answers (paused,
      // partitioned) must not hold the load balancer's probe past its own timeout.
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          deps.db.execute(sql`select 1`),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("readiness probe timed out")), READY_TIMEOUT_MS))),
        ]);
      } catch (err) {
        throw databaseUnavailable(err);
      } finally {
        clearTimeout(timer);
      }
      // Witnesses are details, not readiness: a witness that is down never makes the gateway unready.
      // From the shared database when it answers, so every process shows the same cosigned sizes.
      const witnesses = await deps.ledger.witnesses.figures().catch(() => deps.ledger.witnesses.stats());
      return c.json({ status: "ready" as const, database: deps.driver, witnesses }, 200);
    },
  );

  // Swagger UI when the entry loaded it (Node), else the plain page. Scripts only from the gateway
  // itself; Swagger UI sets inline styles, so style-src needs 'unsafe-inline'.
  const assets = deps.docsAssets;
  if (!assets) {
    app.get("/docs", (c) => c.html(DOCS_PAGE));
    return;
  }
  const csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  const immutable = { "cache-control": "public, max-age=86400" };
  app.get("/docs", (c) => c.html(SWAGGER_PAGE, 200, { "content-security-policy": csp }));
  app.get("/docs/swagger-ui.css", (c) => c.body(assets.css, 200, { "content-type": "text/css; charset=utf-8", ...immutable }));
  app.get("/docs/swagger-ui-bundle.js", (c) => c.body(assets.js, 200, { "content-type": "text/javascript; charset=utf-8", ...immutable }));
  app.get("/docs/init.js", (c) => c.body(SWAGGER_INIT, 200, { "content-type": "text/javascript; charset=utf-8" }));
}
