/**
 * §5.3 `GET /v1/ledger/proofs/bundle?index=I`: a C2SP tlog-proof@v1 for entry I against the
 * newest checkpoint that covers it, for auditors and for the window that made the entry (so it
 * can file the proof with its receipt). Read-only: it never signs a checkpoint; until one covers
 * the entry the answer is 409 `not-yet-checkpointed` with Retry-After.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { HurenError } from "../errors.ts";
import { problemBody, problemResponse } from "../http/problem.ts";
import { servedCheckpoint } from "../ledger/served.ts";
import { inclusionProof } from "../ledger/merkle.ts";
import { formatProofBundle, PROOF_MEDIA_TYPE } from "../ledger/proof-bundle.ts";
import { getEntry, nodeReader } from "../ledger/store.ts";
import { signedProblems, type RouteKit } from "./kit.ts";

/** Checkpoints are signed every 2 s while entries arrive (PROTOCOL §5.2). */
const RETRY_AFTER_S = 2;

export function registerProofBundleRoute(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db } = kit.deps;
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/ledger/proofs/bundle",
      tags: ["ledger"],
      security: [{ signedRequest: [] }],
      summary: "Offline proof (C2SP tlog-proof@v1) of entry `index` against the newest checkpoint covering it (auditor; a window for its own entries)",
      middleware: kit.signed(["auditor", "window"]),
      request: { query: z.object({ index: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }) },
      responses: {
        200: { description: "The proof", content: { [PROOF_MEDIA_TYPE]: { schema: z.string() } } },
        ...signedProblems,
        404: { description: "No such entry (auditors)" },
        409: { description: "not-yet-checkpointed: no checkpoint covers the entry yet; see Retry-After" },
      },
    }),
    async (c) => {
      const { index } = c.req.valid("query");
      const caller = c.get("caller").member;
      const entry = await getEntry(db, index);
      // A window gets the same answer for someone else's entry as for one that does not exist.
      if (caller.kind === "window" && entry?.requester !== caller.id) throw new HurenError("forbidden", 403, "Forbidden", `entry ${index} was not made for ${caller.id}`);
      if (!entry) throw new HurenError("not-found", 404, "Not found", `ledger entry ${index} does not exist`);
      // The checkpoint GET /v1/ledger/checkpoint serves (§5.3): with witnesses, the newest one that
      // reached the quorum, with its cosignature lines, so `huren receipt verify --quorum K` passes
      // on the bundle alone; until it covers the entry, 409.
      const cp = await servedCheckpoint(db, kit.deps.ledger.witnesses.policy);
      if (!cp || cp.size <= index) {
        const detail = `no checkpoint covers entry ${index} yet (the newest has ${cp?.size ?? 0} entries); retry after ${RETRY_AFTER_S} s`;
        const problem = problemBody("not-yet-checkpointed", 409, "Not yet checkpointed", detail, { requestId: c.get("requestId") });
        return problemResponse(c, problem, { "retry-after": String(RETRY_AFTER_S) });
      }
      const hashes = await inclusionProof(index, cp.size, nodeReader(db));
      c.header("cache-control", "private, no-cache");
      c.header("content-type", `${PROOF_MEDIA_TYPE}; charset=utf-8`);
      return c.body(formatProofBundle({ index, hashes, checkpoint: cp.note }), 200);
    },
  );
}
