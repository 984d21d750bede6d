/**
 * Middleware factories (hono's shape: options in, MiddlewareHandler out): request ids and the
 * one wide log event, body limits, §2 authentication, kind checks and JSON body parsing.
 */
import type { Context, MiddlewareHandler } from "hono";
import { authenticate, type AuthenticatedCaller } from "../auth/authenticate.ts";
import { HurenError } from "../errors.ts";
import type { Member, MemberKind } from "../members/members.ts";
import { concatBytes, sha256b64url } from "../crypto/encoding.ts";
import type { IncomingMessage } from "node:http";
import { assertWellFormedJson, illFormedInput, isWellFormedText } from "../well-formed.ts";

export interface AppVariables {
  requestId: string;
  caller: AuthenticatedCaller;
  /** The raw request body, read once for the `bh` check and parsed from here. */
  rawBody: Uint8Array;
  requestHash: string;
  /** Fields of the request's one log event; `timings` (ms per stage) is kept apart and logged last. */
  logFields: Record<string, unknown> & { timings?: Record<string, number> };
}

const ms = (since: number) => Math.round((performance.now() - since) * 10) / 10;

/** Adds a stage's duration to the request's log event. */
export function timing(fields: AppVariables["logFields"], stage: string, since: number): void {
  (fields.timings ??= {})[stage] = ms(since);
}
export type AppEnv = { Variables: AppVariables };

/**
 * What @hono/node-server binds as `c.env.incoming` on every request: the body as Node receives
 * it. Reading it directly spares the full WHATWG Request (an AbortController and a web stream over
 * the socket) that the adapter otherwise builds the first time `c.req.raw.body` is touched.
 */
type NodeIncoming = Pick<IncomingMessage, "on" | "off" | "pause" | "readableEnded" | "errored">;

function nodeIncoming(env: unknown): NodeIncoming | undefined {
  const incoming = (env as { incoming?: Partial<NodeIncoming> } | undefined)?.incoming;
  return typeof incoming?.on === "function" && typeof incoming.pause === "function" ? (incoming as NodeIncoming) : undefined;
}

/**
 * Reads a Node request body, counting bytes as they arrive; undefined once past `maxBytes`.
 * Past the limit it stops reading but leaves the socket alone, so the 413 can still be written;
 * after the response @hono/node-server drains what is left (closing the socket past its limits).
 */
function readIncoming(incoming: NodeIncoming, maxBytes: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    // Few closures on purpose: under tsx each named one costs a defineProperty per request.
    const stop = () => incoming.off("data", onData).off("end", onDone).off("error", onDone).off("close", onDone);
    const onData = (chunk: Uint8Array) => {
      total += chunk.byteLength;
      if (total <= maxBytes) return void chunks.push(chunk);
      stop();
      incoming.pause();
      resolve(undefined);
    };
    // 'end', 'error', or 'close' without either: the client went away mid-body.
    const onDone = (err?: Error) => {
      stop();
      if (err) reject(err);
      else if (incoming.readableEnded) resolve(concatBytes(chunks, total));
      else reject(incoming.errored ?? new Error("the connection closed before the request body was complete"));
    };
    incoming.on("data", onData).on("end", onDone).on("error", onDone).on("close", onDone);
  });
}

/** The web-stream path (Workers, `app.request()` in tests): the same limit, counted the same way. */
async function readStream(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(chunks, total);
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
}

/**
 * The client went away mid-body, or Node cut it off (HUREN_REQUEST_TIMEOUT_MS): nobody reads the
 * answer, but it is the caller's doing, so a 400 in the log rather than an unexpected 500.
 */
const incomplete = (cause: unknown): never => {
  throw new HurenError("body-incomplete", 400, "Incomplete body", "the connection closed before the request body was complete", { cause });
};

const tooLarge = (maxBytes: number) => new HurenError("body-too-large", 413, "Body too large", `request bodies are limited to ${maxBytes} bytes`);

/** Reads the body up to `maxBytes`, counting what actually arrives (Content-Length can lie). */
export function bodyLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > maxBytes) throw tooLarge(maxBytes);
    const started = performance.now();
    let body: Uint8Array | undefined;
    const incoming = nodeIncoming(c.env);
    if (incoming) {
      // GET and HEAD bodies are never read, as on the web path (the adapter gives them a null body).
      const method = c.req.method;
      body = method === "GET" || method === "HEAD" ? new Uint8Array(0) : await readIncoming(incoming, maxBytes).catch(incomplete);
    } else {
      const stream = c.req.raw.body;
      body = stream ? await readStream(stream, maxBytes) : new Uint8Array(0);
    }
    if (!body) throw tooLarge(maxBytes);
    if (body.byteLength > 0) timing(c.get("logFields"), "bodyMs", started);
    c.set("rawBody", body);
    // Later readers (validators) use hono's body cache instead of the consumed stream.
    (c.req.bodyCache as Record<string, unknown>).arrayBuffer = Promise.resolve(body.buffer);
    await next();
  };
}

export interface AuthOptions {
  gatewayId: string;
  now: () => Date;
  /** `fresh` asks past any cache (authenticate does when a kid is not among the member's keys). */
  findMember(id: string, options?: { fresh?: boolean }): Promise<Member | undefined>;
  rememberJti(issuer: string, jti: string, expiresAt: Date): Promise<boolean>;
  /** The rate limiter's gate (./rate-limit.ts): sets the RateLimit fields on `c`, throws 429. */
  admit?(c: Context<AppEnv>, member: Member, uid: string | undefined): void | Promise<void>;
}

/** §2 authentication, then the kind check: 403 forbidden-for-kind for a valid token of the wrong kind. */
export function requireMember(options: AuthOptions, kinds: readonly MemberKind[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const started = performance.now();
    const fields = c.get("logFields");
    const body = c.get("rawBody") ?? new Uint8Array(0);
    // The body's hash is both the `bh` check and the ledger's request hash: compute it once.
    let hash: Promise<string> | undefined;
    const bodyHash = () => (hash ??= sha256b64url(body));
    const caller = await authenticate({
      authorization: c.req.header("authorization"),
      method: c.req.method,
      pathAndQuery: url.pathname + url.search,
      body,
      bodyHash,
      gatewayId: options.gatewayId,
      now: options.now(),
      findMember: options.findMember,
      rememberJti: options.rememberJti,
      ...(options.admit ? { admit: (member: Member, uid: string | undefined) => options.admit!(c, member, uid) } : {}),
    });
    c.set("caller", caller);
    fields.member = caller.member.id;
    fields.memberKind = caller.member.kind;
    if (!kinds.includes(caller.member.kind)) {
      throw new HurenError("forbidden-for-kind", 403, "Forbidden for this kind of member", `a ${caller.member.kind} may not ${c.req.method} ${url.pathname}`);
    }
    c.set("requestHash", await bodyHash());
    timing(fields, "authMs", started);
    const handling = performance.now();
    await next();
    timing(fields, "handlerMs", handling);
  };
}

/** Stateless between calls (no `stream` option), so one decoder serves every request. */
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Bodies must be JSON; malformed JSON is a 400 of its own, before schema validation. */
export function jsonBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type)) {
      throw new HurenError("unsupported-media-type", 415, "Unsupported media type", "send the body as application/json");
    }
    let text: string;
    let parsed: unknown;
    try {
      text = strictUtf8.decode(c.get("rawBody"));
      parsed = JSON.parse(text);
    } catch {
      throw new HurenError("malformed-json", 400, "Malformed JSON", "the request body is not valid UTF-8 JSON");
    }
    // Strict UTF-8 already keeps raw bytes well-formed; `\u0000` and `\ud800` escapes are caught here.
    assertWellFormedJson(parsed, "body");
    // The validator's `c.req.json()` reads hono's text cache; without it, hono turns the cached
    // bytes into text through a whole Response (and a web stream) per request. Valid UTF-8
    // decodes the same strictly or not, so this is the text it would have got.
    (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
    await next();
  };
}

/**
 * The URL as the routes will read it (percent-decoded path parameters and query values) must be
 * well-formed text too: a `%00`, or a lone surrogate's bytes, is a 400 before any route runs.
 */
export function wellFormedUrl(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = c.req.url;
    const start = url.indexOf("/", url.indexOf("//") + 2);
    const pathAndQuery = start < 0 ? "" : url.slice(start);
    // Most URLs have no escapes at all: nothing to decode, nothing to check.
    if (pathAndQuery.includes("%")) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(pathAndQuery);
      } catch {
        throw illFormedInput("url", { path: "", message: "has a percent-escape that is not UTF-8" });
      }
      if (!isWellFormedText(decoded)) throw illFormedInput("url", { path: "", message: "decodes to a NUL or a lone surrogate" });
    }
    await next();
  };
}
