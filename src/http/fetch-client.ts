/**
 * Outbound HTTP over the platform `fetch` (Cloudflare Workers, or any runtime without undici).
 * Same guarantees as the undici client: one deadline over connect + headers + body, and the body
 * is read chunk by chunk so an oversized answer is cut off instead of buffered. Deliberately free
 * of Node and undici imports so it bundles for Workers.
 */
import { HttpClientError, type ConnectCheck, type HttpClient, type HttpPostRequest, type HttpResponse } from "../http-client.ts";
import { isReachError } from "../reach/guard.ts";
import { concatBytes } from "../crypto/encoding.ts";
import { deadline } from "./deadline.ts";

type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

function toClientError(err: unknown, state: { timedOut: boolean; callerAborted: boolean }, timeoutMs: number): HttpClientError {
  if (err instanceof HttpClientError) return err;
  if (isReachError(err)) return new HttpClientError("host-not-granted", "the endpoint's address may not be reached", { cause: err });
  // fetch reports our abort as the abort reason or an AbortError, depending on the phase and
  // runtime; the flags say what really happened.
  if (state.timedOut) return new HttpClientError("timeout", `no complete answer within ${timeoutMs} ms`, { cause: err });
  if (state.callerAborted) return new HttpClientError("timeout", "request aborted by the caller", { cause: err });
  // Everything else fetch throws (TypeError "fetch failed", resets, DNS) is a network failure.
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  const code = typeof cause?.code === "string" ? cause.code : err instanceof Error ? err.name : "error";
  return new HttpClientError("network", `request failed (${code})`, { cause: err });
}

/**
 * Creates an HttpClient over `fetch`. Redirects are not followed (`redirect: "manual"`): a
 * department answers 200 or the lookup fails, so a 3xx is simply returned as a status.
 * @example
 * const http = createFetchHttpClient(); // Workers: uses the global fetch
 * const res = await http.post({ url, headers, body, timeoutMs: 3000, maxBodyBytes: 65536 });
 */
export function createFetchHttpClient(fetchImpl: FetchLike = globalThis.fetch, check?: ConnectCheck): HttpClient {
  // Called as a plain function, never as a method of some object: Workers throw "Illegal
  // invocation" when fetch is called with a foreign `this`.
  const doFetch: FetchLike = (input, init) => fetchImpl(input, init);

  async function post(req: HttpPostRequest): Promise<HttpResponse> {
    const { timeoutMs, maxBodyBytes } = req;
    const d = deadline(timeoutMs, req.signal);
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    try {
      // fetch resolves names itself: the guard can judge the host (and an IP literal), not the
      // address fetch will use. Workers reach no private or link-local address anyway.
      if (check) await check(new URL(req.url).hostname.replace(/^\[|\]$/g, ""));
      const res = await doFetch(req.url, {
        method: "POST",
        headers: req.headers,
        body: req.body as RequestInit["body"],
        signal: d.signal,
        redirect: "manual",
      });
      const headers: Record<string, string> = {};
      res.headers.forEach((value, key) => {
        headers[key.toLowerCase()] = value;
      });
      const declared = Number(headers["content-length"]);
      if (Number.isFinite(declared) && declared > maxBodyBytes) {
        throw new HttpClientError("too-large", `declared body of ${declared} bytes exceeds ${maxBodyBytes}`);
      }
      const chunks: Uint8Array[] = [];
      let total = 0;
      if (res.body) {
        reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          total += value.byteLength;
          if (total > maxBodyBytes) throw new HttpClientError("too-large", `body exceeds ${maxBodyBytes} bytes`);
          chunks.push(value);
        }
        reader = undefined;
      }
      return { status: res.status, headers, body: concatBytes(chunks, total) };
    } catch (err) {
      const mapped = toClientError(err, d.state, timeoutMs);
      if (mapped.code === "too-large") {
        // Abort rather than drain: the connection is torn down and nothing more is read.
        d.abort(mapped);
      }
      throw mapped;
    } finally {
      // Not awaited: cancelling a stream whose source is stuck must not hold up the answer.
      reader?.cancel().catch(() => {});
      d.done();
    }
  }

  return { post, guarded: (guard) => createFetchHttpClient(fetchImpl, guard) };
}
