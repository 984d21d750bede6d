/**
 * The witness's HTTP face: `POST /add-checkpoint` under the submission prefix (the server's
 * root), keep-alive as C2SP tlog-witness asks, bodies bounded (a checkpoint with 63 proof lines
 * is a few KiB).
 */
import { Hono } from "hono";
import { addCheckpoint, type WitnessContext } from "./add-checkpoint.ts";

const MAX_BODY_BYTES = 64 * 1024;

/**
 * @example
 * serve({ fetch: createWitnessApp(ctx).fetch, port: 8790 });
 */
export function createWitnessApp(ctx: WitnessContext): Hono {
  const app = new Hono();
  app.post("/add-checkpoint", async (c) => {
    const length = Number(c.req.header("content-length") ?? 0);
    if (length > MAX_BODY_BYTES) return c.text("request body too large\n", 413);
    const body = await c.req.text();
    if (body.length > MAX_BODY_BYTES) return c.text("request body too large\n", 413);
    const answer = await addCheckpoint(ctx, body);
    return c.body(answer.body, answer.status, { "content-type": answer.contentType, "cache-control": "no-store" });
  });
  // The witness's public key, for operators adding it to a gateway (not part of C2SP).
  app.get("/", (c) => c.text(`${ctx.signer.vkey}\n`));
  app.notFound((c) => c.text("not found\n", 404));
  app.onError((err, c) => {
    process.stderr.write(`huren witness: ${err instanceof Error ? err.message : String(err)}\n`);
    return c.text("internal error\n", 500);
  });
  return app;
}
