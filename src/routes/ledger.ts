/**
 * §5 ledger routes: the signed checkpoint and note key (public); entries and proofs (auditor;
 * a window may fetch the inclusion proof of its own entries, and consistency proofs, which
 * disclose nothing about entries).
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { HurenError, notFound } from "../errors.ts";
import { servedCheckpoint } from "../ledger/served.ts";
import { getEntry } from "../ledger/store.ts";
import { proveConsistency, proveInclusion } from "../ledger/proofs.ts";
import { jsonContent, signedProblems, type RouteKit } from "./kit.ts";

const tags = ["ledger"];
const security = [{ signedRequest: [] }];
const count = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const proofSchema = z.object({ hashes: z.array(z.string()).describe("standard base64, bottom-up, as RFC 9162 defines") });
const text = (description: string) => ({ description, content: { "text/plain": { schema: z.string() } } });

export function registerLedgerRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db, ledger } = kit.deps;

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/ledger/checkpoint",
      tags,
      summary: "The newest stored checkpoint (C2SP tlog-checkpoint in a signed note, with witness cosignatures), public",
      responses: { 200: text("The signed note"), 503: { description: "No checkpoint has been signed yet" } },
    }),
    async (c) => {
      // Read-only: checkpoints are signed by the scheduler (src/ledger/scheduler.ts), never here.
      const cp = await servedCheckpoint(db, ledger.witnesses.policy);
      if (!cp) throw new HurenError("ledger-unavailable", 503, "No checkpoint yet", "no checkpoint has been signed yet; one follows within the checkpoint interval");
      c.header("cache-control", "no-cache");
      return c.text(cp.note, 200);
    },
  );

  app.openapi(
    createRoute({ method: "get", path: "/v1/ledger/key", tags, summary: "The note verifier key (name+hash+base64key) that signs checkpoints, public", responses: { 200: text("The verifier key") } }),
    (c) => {
      c.header("cache-control", "public, max-age=3600");
      return c.text(ledger.signer.verifierKey + "\n", 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/ledger/entries/{index}",
      tags,
      security,
      summary: "One ledger entry (auditor)",
      middleware: kit.signed(["auditor"]),
      request: { params: z.object({ index: count }) },
      responses: { 200: jsonContent(z.object({ index: z.number().int(), entry: z.record(z.string(), z.unknown()), leafHash: z.string() }), "The entry"), ...signedProblems },
    }),
    async (c) => {
      const entry = await getEntry(db, c.req.valid("param").index);
      if (!entry) throw notFound(`ledger entry ${c.req.valid("param").index}`);
      return c.json({ index: entry.index, entry: entry.entry, leafHash: entry.leafHash }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/ledger/proofs/inclusion",
      tags,
      security,
      summary: "Inclusion proof of entry `index` in the tree of `size` entries (auditor; a window for its own entries)",
      middleware: kit.signed(["auditor", "window"]),
      request: { query: z.object({ index: count, size: count }) },
      responses: { 200: jsonContent(proofSchema, "The audit path"), ...signedProblems, 422: jsonContent(z.object({}), "index or size outside the ledger") },
    }),
    async (c) => {
      const { index, size } = c.req.valid("query");
      const caller = c.get("caller").member;
      if (caller.kind === "window") {
        const entry = await getEntry(db, index);
        // Same answer whether the entry is someone else's or does not exist: no probing.
        if (!entry || entry.requester !== caller.id) throw new HurenError("forbidden", 403, "Forbidden", `entry ${index} was not made for ${caller.id}`);
      }
      return c.json(await proveInclusion(db, index, size), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/ledger/proofs/consistency",
      tags,
      security,
      summary: "Consistency proof between the trees of `from` and `to` entries (auditor, window)",
      middleware: kit.signed(["auditor", "window"]),
      request: { query: z.object({ from: count, to: count }) },
      responses: { 200: jsonContent(proofSchema, "The consistency proof"), ...signedProblems, 422: jsonContent(z.object({}), "from or to outside the ledger") },
    }),
    async (c) => {
      const { from, to } = c.req.valid("query");
      return c.json(await proveConsistency(db, from, to), 200);
    },
  );
}
