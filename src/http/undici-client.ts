/**
 * Node's outbound HTTP client: one undici `Agent` (keep-alive pools per department origin) shared
 * by every http adapter. The limits live here rather than in the adapters so that a department
 * which hangs, resets or streams an endless body can cost the gateway at most `timeoutMs` of
 * wall time and `maxBodyBytes` (plus socket buffers) of memory per request.
 */
import { Agent, request as undiciRequest } from "undici";
import { HttpClientError, type ConnectCheck, type HttpClient, type HttpPostRequest, type HttpResponse } from "../http-client.ts";
import { concatBytes } from "../crypto/encoding.ts";
import { deadline } from "./deadline.ts";
import { isReachError, netLookup } from "../reach/guard.ts";
import { parseIp } from "../reach/ip.ts";

export interface UndiciHttpClientOptions {
  /** Sockets per origin: bounds what one slow department can hold open. Default 64. */
  connections?: number;
  /** Idle keep-alive before a pooled socket is closed. Default 10 s. */
  keepAliveTimeoutMs?: number;
  /** TCP/TLS connect limit; the per-request deadline still applies on top. Default 5 s. */
  connectTimeoutMs?: number;
}

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT", "ETIMEDOUT"]);

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Maps anything undici throws to the three codes adapters understand. */
function toClientError(err: unknown, state: { timedOut: boolean; callerAborted: boolean }, timeoutMs: number): HttpClientError {
  if (err instanceof HttpClientError) return err;
  if (isReachError(err)) return new HttpClientError("host-not-granted", "the endpoint's address may not be reached", { cause: err });
  // Our own abort surfaces as an AbortError or a socket error depending on the phase; the flag
  // is the reliable signal. A caller's abort is a deadline too (the verification's backstop).
  if (state.timedOut) return new HttpClientError("timeout", `no complete answer within ${timeoutMs} ms`, { cause: err });
  if (state.callerAborted) return new HttpClientError("timeout", "request aborted by the caller", { cause: err });
  const code = errorCode(err);
  if (code && TIMEOUT_CODES.has(code)) return new HttpClientError("timeout", `timed out (${code})`, { cause: err });
  return new HttpClientError("network", `request failed (${code ?? (err instanceof Error ? err.name : "error")})`, { cause: err });
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

/**
 * Creates the Node HttpClient. Redirects are not followed: a department answers 200 or fails.
 * @example
 * const http = createUndiciHttpClient({ connections: 64 });
 * const res = await http.post({ url, headers, body, timeoutMs: 3000, maxBodyBytes: 65536 });
 * await http.close?.();
 */
export function createUndiciHttpClient(options: UndiciHttpClientOptions = {}, check?: ConnectCheck): HttpClient {
  const agent = new Agent({
    connections: options.connections ?? 64,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 10_000,
    keepAliveMaxTimeout: 60_000,
    // The guard answers the lookup net.connect makes for each new socket, so the socket goes to
    // the address just checked, never to one a second DNS answer gives.
    connect: { timeout: options.connectTimeoutMs ?? 5_000, ...(check ? { lookup: netLookup(check) } : {}) },
  });

  async function post(req: HttpPostRequest): Promise<HttpResponse> {
    const { timeoutMs, maxBodyBytes } = req;
    const d = deadline(timeoutMs, req.signal);
    try {
      // net.connect does no lookup for an IP literal: check it here.
      const host = new URL(req.url).hostname;
      if (check && parseIp(host)) await check(host.replace(/^\[|\]$/g, ""));
      const res = await undiciRequest(req.url, {
        dispatcher: agent,
        method: "POST",
        headers: req.headers,
        body: req.body,
        signal: d.signal,
        // Per-phase limits make undici free the socket itself; the overall timer covers the sum.
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const headers = flattenHeaders(res.headers);
      const declared = Number(headers["content-length"]);
      if (Number.isFinite(declared) && declared > maxBodyBytes) {
        // Destroying (not draining) the body closes the socket: we never read what we refuse.
        res.body.destroy();
        throw new HttpClientError("too-large", `declared body of ${declared} bytes exceeds ${maxBodyBytes}`);
      }
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        total += chunk.byteLength;
        if (total > maxBodyBytes) {
          res.body.destroy();
          throw new HttpClientError("too-large", `body exceeds ${maxBodyBytes} bytes`);
        }
        chunks.push(chunk);
      }
      return { status: res.statusCode, headers, body: concatBytes(chunks, total) };
    } catch (err) {
      throw toClientError(err, d.state, timeoutMs);
    } finally {
      d.done();
    }
  }

  return {
    post,
    async close() {
      await agent.close();
    },
    guarded: (guard) => createUndiciHttpClient(options, guard),
  };
}
