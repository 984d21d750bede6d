/**
 * Key history (§13.5): `POST /v1/keys/rotate` (admin) makes a new receipt-signing key active.
 * The old key stays in /.well-known/jwks.json with its validity period and the change is a
 * `key-rotation` ledger entry, committed with the change, before the answer.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../http/middleware.ts";
import { HurenError } from "../errors.ts";
import { rotateSealedKey } from "../keys/rotation.ts";
import { jsonContent, signedProblems, type RouteKit } from "./kit.ts";

export function registerKeyRoutes(app: OpenAPIHono<AppEnv>, kit: RouteKit) {
  const { db, secrets, keys, now, gatewayId } = kit.deps;
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/keys/rotate",
      tags: ["keys"],
      security: [{ signedRequest: [] }],
      summary: "Rotate the receipt-signing key (admin): a new key signs from now on; old receipts stay verifiable",
      middleware: kit.signed(["admin"]),
      responses: {
        200: jsonContent(
          z.object({ kid: z.string(), previousKid: z.string().nullable(), ledger: z.object({ index: z.number().int(), leafHash: z.string() }).nullable() }),
          "The new active key and the key-rotation ledger entry",
        ),
        ...signedProblems,
        409: { description: "The active key is configured (HUREN_SIGNING_KEY / _FILE), or another rotation happened at the same time" },
      },
    }),
    async (c) => {
      if (!keys.source.rotatable) {
        throw new HurenError("conflict", 409, "Key is configured", `this gateway signs with the key from ${keys.source.description}: rotate it by configuring a new key and restarting (the change is then ledgered)`);
      }
      const caller = c.get("caller");
      const done = await rotateSealedKey(db, secrets, { requester: caller.member.id, uid: caller.uid, gateway: gatewayId, at: now() });
      await keys.refresh();
      return c.json({ kid: done.kid, previousKid: done.previousKid ?? null, ledger: done.ledger ?? null }, 200);
    },
  );
}
