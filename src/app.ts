/**
 * The composition root: createApp(deps) → the Hono app. The only place routes are mounted.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { routePath } from "hono/route";
import type { AppDeps } from "./deps.ts";
import { bodyLimit, wellFormedUrl, type AppEnv } from "./http/middleware.ts";
import { problemBody, problemResponse, toProblem, zodErrors } from "./http/problem.ts";
import { HurenError } from "./errors.ts";
import { describeError, errorMessage } from "./logging/errors.ts";
import { unavailableCode } from "./db/unavailable.ts";
import { createRouteKit } from "./routes/kit.ts";
import { registerPublicRoutes } from "./routes/public.ts";
import { registerMemberRoutes } from "./routes/members.ts";
import { registerCatalogRoutes } from "./routes/catalog.ts";
import { registerAdapterRoutes } from "./routes/adapters.ts";
import { registerPolicyRoutes } from "./routes/policies.ts";
import { registerConsentRoutes } from "./routes/consents.ts";
import { registerVerificationRoutes } from "./routes/verifications.ts";
import { registerLedgerRoutes } from "./routes/ledger.ts";
import { registerTileRoutes } from "./routes/tiles.ts";
import { registerProofBundleRoute } from "./routes/proof-bundle.ts";
import { registerKeyRoutes } from "./routes/keys.ts";
import { registerAuditRoutes } from "./routes/audit.ts";
import { registerSubjectRoutes } from "./routes/subjects.ts";
import { registerConsole } from "./console/routes.tsx";
import { registerSupervisionRoutes } from "./routes/supervision.ts";
import { finishDocument } from "./routes/openapi-finish.ts";
import { OPERATION_EXAMPLES } from "./routes/openapi-examples.ts";

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw new HurenError("validation-failed", 400, "Validation failed", "The request is not valid", { errors: zodErrors(result.error) });
    },
  });

  // One wide log event per request (PROTOCOL-free operator data): the request id, the route
  // template (never the path: ids travel in paths), the member, the status and the timings.
  // No person data: ids, names and tokens travel in bodies and headers, which are never logged.
  app.use("*", async (c, next) => {
    const requestId = c.req.header("x-request-id")?.slice(0, 64).replace(/[^\w.-]/g, "") || `req_${deps.newId()}`;
    c.set("requestId", requestId);
    c.set("logFields", {});
    const started = performance.now();
    // Set before the handler runs, so c.json()/c.body() build the response with it. Setting a
    // header on a finished response makes hono rebuild it through a full Response and a web
    // stream; that is left to responses built without the context (problems, the docs page).
    c.header("x-request-id", requestId);
    await next();
    if (c.res.headers.get("x-request-id") !== requestId) c.header("x-request-id", requestId);
    const seconds = (performance.now() - started) / 1000;
    // The template (`/v1/members/:id`), never the path: bounded, and no ids in metrics or logs.
    const template = routePath(c, -1);
    const route = template === "*" || template === "/*" || template === "" ? "unmatched" : template;
    deps.metrics.httpRequest(c.req.method, route, c.res.status, seconds);
    const { timings, ...fields } = c.get("logFields");
    deps.logger.info({
      event: "request",
      requestId,
      method: c.req.method,
      route,
      status: c.res.status,
      ms: Math.round(seconds * 10_000) / 10,
      ...fields,
      ...(timings ? { timings } : {}),
    });
  });
  app.use("*", wellFormedUrl());
  app.use("*", bodyLimit(deps.maxBodyBytes));

  app.onError((err, c) => {
    const requestId = c.get("requestId") ?? "unknown";
    const { problem, unexpected, databaseDown, headers: own } = toProblem(err, requestId);
    c.get("logFields").problem = problem.type.split("/").pop();
    if (unexpected) {
      const described = describeError(err);
      deps.logger.error({ event: "unhandled-error", requestId, ...described });
      // The message may quote input: only at debug, and never a database error's (its SQL and parameters).
      if (described.error !== "database-error") deps.logger.debug?.({ event: "unhandled-error-message", requestId, message: errorMessage(err).slice(0, 500) });
    }
    // The driver's message names the server and the query's parameters: log the code only.
    if (databaseDown) deps.logger.error({ event: "database-unavailable", requestId, code: unavailableCode(err) });
    const headers: Record<string, string> =
      problem.status === 401 ? { "www-authenticate": 'Bearer realm="huren"' } : problem.status === 503 ? { "retry-after": "1" } : {};
    return problemResponse(c, problem, { ...headers, ...own });
  });
  app.notFound((c) => problemResponse(c, problemBody("not-found", 404, "Not found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`, { requestId: c.get("requestId") })));

  const kit = createRouteKit(deps);
  registerPublicRoutes(app, kit);
  registerMemberRoutes(app, kit);
  registerCatalogRoutes(app, kit);
  registerAdapterRoutes(app, kit);
  registerPolicyRoutes(app, kit);
  registerConsentRoutes(app, kit);
  registerVerificationRoutes(app, kit);
  registerLedgerRoutes(app, kit);
  registerTileRoutes(app, kit);
  registerProofBundleRoute(app, kit);
  registerKeyRoutes(app, kit);
  registerAuditRoutes(app, kit);
  registerConsole(app, deps);
  registerSubjectRoutes(app, kit);
  registerSupervisionRoutes(app, kit);

  app.openAPIRegistry.registerComponent("securitySchemes", "signedRequest", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWS (typ huren-req+jwt), see PROTOCOL §2",
  });
  // Built once, on first request, when every route is registered.
  let document: Record<string, unknown> | undefined;
  app.get("/openapi.json", (c) =>
    c.json(
      (document ??= finishDocument(
        app.getOpenAPI31Document({
          openapi: "3.1.0",
          info: { title: "Huren gateway", version: "1.1.0", description: "Certificate-free verification between government windows and departments (PROTOCOL v1.1)." },
          servers: [{ url: "/" }],
        }) as unknown as Record<string, unknown>,
        OPERATION_EXAMPLES,
      )),
    ),
  );
  return app;
}

export type HurenApp = ReturnType<typeof createApp>;
