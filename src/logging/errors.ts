/**
 * What an unexpected error may put in a log line: its class and where it was thrown, never its
 * message at `info`/`error` level. Messages can carry input (`JSON.parse` quotes the text it
 * choked on; a driver error can quote a value), so the message goes only to a `debug` event.
 */

/** The first stack frame inside the gateway's own code, as `src/…/file.ts:line`, if any. */
function where(stack: string | undefined): string | undefined {
  for (const line of (stack ?? "").split("\n").slice(1)) {
    const at = /((?:src|packages|dist)\/[^\s():]+):(\d+)/.exec(line);
    if (at) return `${at[1]}:${at[2]}`;
  }
  return undefined;
}

/**
 * @example
 * logger.error({ event: "unhandled-error", requestId, ...describeError(err) }); // { error: "TypeError", where: "src/routes/x.ts:42" }
 */
export function describeError(err: unknown): { error: string; code?: string; where?: string } {
  if (!(err instanceof Error)) return { error: typeof err };
  const code = (err as { code?: unknown }).code;
  const at = where(err.stack);
  return { error: err.name, ...(typeof code === "string" && /^[\w-]{1,32}$/.test(code) ? { code } : {}), ...(at ? { where: at } : {}) };
}

/** The message, for a debug event only. */
export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
