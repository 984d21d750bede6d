/**
 * One deadline over a whole outbound exchange (connect + headers + body), chained to the caller's
 * signal, for both HTTP clients (undici on Node, fetch on Workers). No Node imports.
 */
import { HttpClientError } from "../http-client.ts";

/**
 * @example
 * const d = deadline(2000, req.signal);
 * try { await fetch(url, { signal: d.signal }); } finally { d.done(); }
 */
export function deadline(timeoutMs: number, outer: AbortSignal | undefined) {
  const controller = new AbortController();
  const state = { timedOut: false, callerAborted: false };
  const timer = setTimeout(() => {
    state.timedOut = true;
    controller.abort(new HttpClientError("timeout", `no complete answer within ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = () => {
    state.callerAborted = true;
    controller.abort(new HttpClientError("timeout", "request aborted by the caller"));
  };
  if (outer?.aborted) onAbort();
  else outer?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    /** Aborts the exchange now (e.g. an oversized body), with `reason`. */
    abort: (reason: unknown) => controller.abort(reason),
    state,
    done() {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    },
  };
}
