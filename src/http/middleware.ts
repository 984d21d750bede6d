/**
 * Middleware factories (hono's shape: options in, MiddlewareHandler out): request ids and the
 * one wide log event, body limits, §2 authentication, kind checks and JSON body parsing.
 */
import type { MiddlewareHandler } from "hono";
import { authenticate, type AuthenticatedCaller } from "../auth/authenticate.ts";
import { HurenError } from "../errors.ts";
import type { Member, MemberKind } from "../members/members.ts";
import { sha256b64url } from "../crypto/encoding.ts";

export interface AppVariables {
  requestId: string;
  caller: AuthenticatedCaller;
  /** The raw request body, read once for the `bh` check and parsed from here. */
  rawBody: Uint8Array;
  requestHash: string;
  logFields: Record<string, unknown>;
}
export type AppEnv = { Variables: AppVariables };

/** Reads the body up to `maxBytes`, counting what actually arrives (Content-Length can lie). */
export function bodyLimit(maxBytes: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const declared = Number(c.req.header("content-length") ?? "0");
    const tooLarge = () => new HurenError("body-too-large", 413, "Body too large", `request bodies are limited to ${maxBytes} bytes`);
    if (declared > maxBytes) throw tooLarge();
    let body = new Uint8Array(0);
    if (c.req.raw.body) {
      const chunks: Uint8Array[] = [];
      let total = 0;
      const reader = c.req.raw.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > maxBytes) {
          await reader.cancel().catch(() => {});
          throw tooLarge();
        }
        chunks.push(value);
      }
      body = new Uint8Array(total);
      let offset = 0;
      for (const chunk of chunks) {
        body.set(chunk, offset);
        offset += chunk.byteLength;
      }
    }
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
}

/** §2 authentication, then the kind check: 403 forbidden-for-kind for a valid token of the wrong kind. */
export function requireMember(options: AuthOptions, kinds: readonly MemberKind[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
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
    });
    c.set("caller", caller);
    c.get("logFields").member = caller.member.id;
    if (!kinds.includes(caller.member.kind)) {
      throw new HurenError("forbidden-for-kind", 403, "Forbidden for this kind of member", `a ${caller.member.kind} may not ${c.req.method} ${url.pathname}`);
    }
    c.set("requestHash", await bodyHash());
    await next();
  };
}

/** Bodies must be JSON; malformed JSON is a 400 of its own, before schema validation. */
export function jsonBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type)) {
      throw new HurenError("unsupported-media-type", 415, "Unsupported media type", "send the body as application/json");
    }
    try {
      JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(c.get("rawBody")));
    } catch {
      throw new HurenError("malformed-json", 400, "Malformed JSON", "the request body is not valid UTF-8 JSON");
    }
    await next();
  };
}
