/**
 * The body limit and the `bh` check with the app behind @hono/node-server on 127.0.0.1, where
 * the body is read from Node's request stream (not a web stream): exact bytes, the limit counted
 * as bytes arrive, and every response still carrying its request id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { eq } from "drizzle-orm";
import { createHarness, signRequest, type Harness } from "./harness.ts";
import { createWorld, HOUSING, zhangSan, type World } from "./world.ts";
import { ledgerEntries } from "../src/db/schema.ts";

const LIMIT = 4096;
const PATH = "/v1/verifications";
let h: Harness;
let w: World;
let server: ServerType;
let port: number;

beforeAll(async () => {
  h = await createHarness({ maxBodyBytes: LIMIT });
  w = await createWorld(h);
  server = serve({ fetch: h.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  if (server) {
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await w?.close();
  await h?.close();
});

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

/**
 * POSTs `chunks` over a fresh connection: with `Content-Length` unless `chunked` (one HTTP chunk
 * per element). With `open`, the request body is never ended, so only an answer that counted the
 * bytes as they came can arrive.
 */
function post(chunks: Uint8Array[], opts: { token: string; chunked?: boolean; open?: boolean; headers?: Record<string, string> }): Promise<Answer> {
  const length = chunks.reduce((n, c) => n + c.byteLength, 0);
  return new Promise((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port,
      method: "POST",
      path: PATH,
      agent: false,
      headers: {
        authorization: `Bearer ${opts.token}`,
        "content-type": "application/json",
        ...(opts.chunked ? {} : { "content-length": String(length) }),
        ...opts.headers,
      },
    });
    req.on("response", (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => {
        const text = Buffer.concat(parts).toString("utf8");
        resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined });
        if (opts.open) req.destroy();
      });
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    if (!opts.open) req.end();
  });
}

const bytes = (text: string) => new TextEncoder().encode(text);
const sign = (body: string) => signRequest(w.window, "POST", PATH, body);

/** A valid verification request; trailing JSON whitespace pads it to `size` bytes exactly. */
function verification(caseRef: string, size?: number): string {
  const json = JSON.stringify({ matter: HOUSING, case: caseRef, subject: zhangSan, evidence: [{ type: "subsistence-allowance.certificate", fields: ["validUntil"] }, { type: "housing.no-property-proof" }] });
  return size === undefined ? json : json + " ".repeat(size - bytes(json).byteLength);
}

/** Splits the body into `n` chunks at arbitrary byte offsets (through multi-byte characters too). */
function split(body: Uint8Array, n: number): Uint8Array[] {
  const size = Math.ceil(body.byteLength / n);
  return Array.from({ length: n }, (_, i) => body.subarray(i * size, (i + 1) * size)).filter((c) => c.byteLength > 0);
}

describe("a signed verification over real HTTP", () => {
  it("is answered, ledgered and carries the caller's request id", async () => {
    const body = verification("NODE-BODY-1");
    const res = await post([bytes(body)], { token: await sign(body), headers: { "x-request-id": "node-body-1" } });
    expect(res.status).toBe(200);
    expect(res.headers["x-request-id"]).toBe("node-body-1");
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(res.body.results.map((r: any) => r.status)).toEqual(["verified", "verified"]);
    expect(res.body.results[0].claims).toEqual({ valid: true, validUntil: "2027-06-30" });
    const [row] = await h.deps.db.select().from(ledgerEntries).where(eq(ledgerEntries.verificationId, res.body.verificationId));
    expect(row).toBeDefined();
  });

  it("reassembles a chunked body byte for byte, even split inside a multi-byte character", async () => {
    const body = verification("NODE-BODY-2");
    const raw = bytes(body);
    // One byte into the name's first character (three UTF-8 bytes), then the rest in pieces.
    const cut = bytes(body.slice(0, body.indexOf(zhangSan.name))).byteLength + 1;
    const res = await post([raw.subarray(0, cut), ...split(raw.subarray(cut), 5)], { token: await sign(body), chunked: true });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: any) => r.status)).toEqual(["verified", "verified"]);
  });

  it("gives responses built outside the handler (problems, not found) their request id too", async () => {
    const body = verification("NODE-BODY-3");
    const res = await post([bytes(body)], { token: await sign(body + " "), headers: { "x-request-id": "node-body-3" } });
    expect(res.status).toBe(401);
    expect(res.headers["x-request-id"]).toBe("node-body-3");
    expect(res.body.requestId).toBe("node-body-3");

    const missing = await fetch(`http://127.0.0.1:${port}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-request-id")).toMatch(/^req_/);
  });
});

describe("the body limit over real HTTP", () => {
  it("accepts a body of exactly the limit, with Content-Length or chunked", async () => {
    const body = verification("NODE-BODY-EXACT", LIMIT);
    expect(bytes(body).byteLength).toBe(LIMIT);
    const declared = await post([bytes(body)], { token: await sign(body) });
    expect(declared.status).toBe(200);
    const chunked = await post(split(bytes(body), 5), { token: await sign(body), chunked: true });
    expect(chunked.status).toBe(200);
  });

  it("refuses an honest Content-Length over the limit with 413 body-too-large", async () => {
    const body = verification("NODE-BODY-BIG", LIMIT + 1);
    const res = await post([bytes(body)], { token: await sign(body) });
    expect(res.status).toBe(413);
    expect(res.headers["content-type"]).toBe("application/problem+json");
    expect(res.body).toMatchObject({ type: "https://huren.dev/problems/body-too-large", status: 413, requestId: expect.any(String) });
  });

  it("refuses a chunked body (no Content-Length) as soon as it passes the limit, before it ends", async () => {
    const body = verification("NODE-BODY-STREAM", 3 * LIMIT);
    // Never ended: the 413 can only come from bytes counted as they arrived.
    const res = await post(split(bytes(body), 12), { token: await sign(body), chunked: true, open: true });
    expect(res.status).toBe(413);
    expect(res.headers["content-type"]).toBe("application/problem+json");
    expect(res.body).toMatchObject({ type: "https://huren.dev/problems/body-too-large", status: 413 });
  });

  it("refuses a larger chunked body sent whole, and keeps answering afterwards", async () => {
    const body = verification("NODE-BODY-HUGE", 1024 * 1024);
    const res = await post(split(bytes(body), 64), { token: await sign(body), chunked: true });
    expect(res.status).toBe(413);
    expect(res.body.type).toBe("https://huren.dev/problems/body-too-large");

    const next = verification("NODE-BODY-AFTER");
    expect((await post([bytes(next)], { token: await sign(next) })).status).toBe(200);
  });
});

describe("the bh check over real HTTP", () => {
  it("hashes the exact bytes received: a token signed over different bytes is 401 body-mismatch", async () => {
    const body = verification("NODE-BODY-BH", 600);
    // The same JSON, one byte of whitespace apart: only the raw bytes tell them apart.
    const res = await post(split(bytes(body), 3), { token: await sign(body.slice(0, -1)), chunked: true });
    expect(res.status).toBe(401);
    expect(res.body.type).toBe("https://huren.dev/problems/body-mismatch");

    const ok = await post(split(bytes(body), 3), { token: await sign(body), chunked: true });
    expect(ok.status).toBe(200);
  });
});
