/**
 * Both HttpClient implementations against a real loopback server: the limits (deadline, size cap)
 * must hold against departments that hang, reset or stream without end.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpClientError, type HttpClient } from "../src/http-client.ts";
import { createUndiciHttpClient } from "../src/http/undici-client.ts";
import { createFetchHttpClient } from "../src/http/fetch-client.ts";

const MB = 1024 * 1024;
const BIG = 50 * MB;

let server: Server;
let base: string;
/** Client ports seen by /echo, to tell pooled connections from new ones. */
const echoPorts: number[] = [];
/** Bytes the server managed to write for each oversized answer before the client hung up. */
const bigSent: Promise<number>[] = [];

/** Streams 50 MB honouring back-pressure, so "bytes sent" measures what the client accepted. */
function streamBig(res: ServerResponse, withLength: boolean): void {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  res.writeHead(200, withLength ? { "content-type": "application/octet-stream", "content-length": BIG } : { "content-type": "application/octet-stream" });
  bigSent.push(new Promise((resolve) => res.on("close", () => resolve(sent))));
  const pump = () => {
    while (sent < BIG && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    switch (req.url) {
      case "/echo":
        echoPorts.push(req.socket.remotePort ?? 0);
        res.writeHead(200, { "content-type": "application/json", "x-answer": "yes" });
        return void res.end(JSON.stringify({ method: req.method, contentType: req.headers["content-type"], auth: req.headers.authorization, body: body.toString("base64") }));
      case "/status/503":
        res.writeHead(503, { "content-type": "text/plain" });
        return void res.end("down for maintenance");
      case "/exact":
        res.writeHead(200, { "content-type": "text/plain" });
        return void res.end("x".repeat(2048));
      case "/hang":
        return; // never answers
      case "/hang-body":
        res.writeHead(200, { "content-type": "application/json", "content-length": 100 });
        return void res.write('{"found":'); // then stalls mid-body
      case "/reset":
        return void req.socket.destroy();
      case "/big-length":
        return streamBig(res, true);
      case "/big-chunked":
        return streamBig(res, false);
      default:
        res.writeHead(404);
        res.end();
    }
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function caught(p: Promise<unknown>): Promise<HttpClientError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(HttpClientError);
    return err as HttpClientError;
  }
  throw new Error("expected the request to fail");
}

const post = (client: HttpClient, path: string, extra: { timeoutMs?: number; maxBodyBytes?: number; signal?: AbortSignal; body?: string | Uint8Array } = {}) =>
  client.post({
    url: `${base}${path}`,
    headers: { "content-type": "application/json", authorization: "Bearer t" },
    body: extra.body ?? '{"hello":"世界"}',
    timeoutMs: extra.timeoutMs ?? 2000,
    maxBodyBytes: extra.maxBodyBytes ?? 64 * 1024,
    signal: extra.signal,
  });

const clients: [string, () => HttpClient][] = [
  ["undici", () => createUndiciHttpClient({ connections: 8 })],
  ["fetch", () => createFetchHttpClient()],
];

describe.each(clients)("%s HttpClient", (_name, make) => {
  const client = make();
  afterAll(async () => {
    await client.close?.();
  });

  it("posts the body and headers and returns status, headers and body", async () => {
    const res = await post(client, "/echo");
    expect(res.status).toBe(200);
    expect(res.headers["x-answer"]).toBe("yes");
    const echoed = JSON.parse(new TextDecoder().decode(res.body)) as Record<string, string>;
    expect(echoed).toMatchObject({ method: "POST", contentType: "application/json", auth: "Bearer t" });
    expect(Buffer.from(echoed.body!, "base64").toString("utf8")).toBe('{"hello":"世界"}');
  });

  it("sends Uint8Array bodies byte for byte", async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const res = await post(client, "/echo", { body: bytes });
    const echoed = JSON.parse(new TextDecoder().decode(res.body)) as { body: string };
    expect([...Buffer.from(echoed.body, "base64")]).toEqual([...bytes]);
  });

  it("returns non-2xx answers instead of throwing", async () => {
    const res = await post(client, "/status/503");
    expect(res.status).toBe(503);
    expect(new TextDecoder().decode(res.body)).toBe("down for maintenance");
  });

  it("accepts a body up to maxBodyBytes", async () => {
    const res = await post(client, "/exact", { maxBodyBytes: 2048 });
    expect(res.body.byteLength).toBe(2048);
  });

  // No clock in these: a limit that did not hold would leave the request hanging until vitest's
  // own timeout, and with a 10-minute timeoutMs only the caller's abort or the size cap can end one.
  it("times out a department that never answers", async () => {
    expect((await caught(post(client, "/hang", { timeoutMs: 300 }))).code).toBe("timeout");
  });

  it("times out a body that stalls halfway", async () => {
    expect((await caught(post(client, "/hang-body", { timeoutMs: 300 }))).code).toBe("timeout");
  });

  it("maps a reset connection to network", async () => {
    const err = await caught(post(client, "/reset"));
    expect(err.code).toBe("network");
  });

  it("maps a refused connection to network", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await caught(
      client.post({ url: `http://127.0.0.1:${port}/x`, headers: {}, body: "", timeoutMs: 2000, maxBodyBytes: 1024 }),
    );
    expect(err.code).toBe("network");
  });

  it("stops a caller-aborted request at once", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await caught(post(client, "/hang", { timeoutMs: 600_000, signal: controller.signal }));
    expect(err.code).toBe("timeout");
  });

  it.each([
    ["with content-length", "/big-length"],
    ["chunked, without content-length", "/big-chunked"],
  ])("refuses a 50 MB body %s early, with bounded memory", async (_label, path) => {
    const before = process.memoryUsage();
    const count = bigSent.length;
    const err = await caught(post(client, path, { maxBodyBytes: 64 * 1024, timeoutMs: 600_000 }));
    expect(err.code).toBe("too-large");
    // The server sees the client hang up long before it could push 50 MB: what it got out is
    // what the client read (≤ 64 KiB) plus kernel socket buffers.
    const sent = await bigSent[count]!;
    expect(sent).toBeLessThan(16 * MB);
    const after = process.memoryUsage();
    expect(after.arrayBuffers + after.heapUsed - (before.arrayBuffers + before.heapUsed)).toBeLessThan(32 * MB);
  });
});

describe("undici HttpClient pooling", () => {
  it("reuses keep-alive connections for sequential requests", async () => {
    const client = createUndiciHttpClient();
    try {
      const start = echoPorts.length;
      for (let i = 0; i < 10; i++) expect((await post(client, "/echo")).status).toBe(200);
      // undici may open a second socket while the first is still finishing a response; what
      // matters is that ten requests do not cost ten connections.
      expect(new Set(echoPorts.slice(start)).size).toBeLessThanOrEqual(2);
    } finally {
      await client.close?.();
    }
  });
});
