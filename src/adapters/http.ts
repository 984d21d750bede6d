/**
 * The `http` adapter: the §4 department contract. The gateway POSTs a signed lookup to the
 * department's endpoint and reduces whatever comes back — JSON, a signed JWS, garbage, nothing —
 * to a LookupResult. It never throws: a department's failure is an `unavailable` item, not a
 * failed verification. `detail` strings are logged, so they carry codes, sizes and paths, never
 * the subject's id or name and never answer content (which may echo them).
 */
import { z } from "zod";
import { isJsonObject, isJwkSet, JwsError, parseCompactJws, selectJwk, verifierFor, verifyParsedJws } from "../crypto/jws.ts";
import { HttpClientError, type HttpResponse } from "../http-client.ts";
import type { AdapterContext, AnswerSignature, CertStatus, EvidenceSource, LookupRequest, LookupResult } from "./types.ts";
import { remoteLimitsShape } from "./limits.ts";

/** Algorithms a department may sign answers with (as §2 for requests); never `none`, HS* or RS*. */
export const ANSWER_ALGORITHMS: readonly string[] = ["EdDSA", "ES256"];

const endpointSchema = z
  .string()
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "endpoint must be an absolute URL" });
      return;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      ctx.addIssue({ code: "custom", message: "endpoint must use https or http" });
    }
    // Credentials in a URL end up in logs and in GET /v1/adapters; departments authenticate the
    // gateway by its signed token instead.
    if (url.username || url.password) ctx.addIssue({ code: "custom", message: "endpoint must not contain credentials" });
  });

export const httpConfigSchema = z
  .object({
    endpoint: endpointSchema,
    timeoutMs: z.number().int().min(100).max(30_000).default(3000),
    maxBodyBytes: z.number().int().min(1024).max(10_485_760).default(65_536),
    // §4: signed answers unless the department's adapter says otherwise; a department that
    // cannot sign yet registers "optional" or "none" explicitly.
    answerSignature: z.enum(["required", "optional", "none"]).default("required"),
    ...remoteLimitsShape,
  })
  .strict();
export type HttpSourceConfig = z.infer<typeof httpConfigSchema>;

const CERT_STATUSES = ["valid", "revoked", "expired", "suspended"] as const satisfies readonly CertStatus[];

/**
 * Optional fields also accept `null` as "absent": many department systems serialise unset
 * fields as null, and refusing those answers would make items unavailable for no gain.
 */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** The department's answer (§4). Unknown extra fields are dropped, not refused. */
export const departmentAnswerSchema = z.discriminatedUnion("found", [
  z.object({
    found: z.literal(true),
    status: z.enum(CERT_STATUSES),
    certificateId: optional(z.string().max(200)),
    claims: z
      .record(z.string(), z.unknown())
      .nullish()
      .transform((v) => v ?? {}),
    validUntil: optional(z.string().max(64)),
    nameMatches: optional(z.boolean()),
  }),
  z.object({ found: z.literal(false) }),
]);

/** A compact JWS: three base64url segments (an empty signature is still a JWS — and refused). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

const unavailable = (error: Extract<LookupResult, { outcome: "unavailable" }>["error"], detail: string): LookupResult => ({
  outcome: "unavailable",
  error,
  detail,
});

/** Thrown inside the pipeline and turned into a result at the edge; never leaves this module. */
class Unavailable extends Error {
  constructor(readonly result: LookupResult) {
    super("unavailable");
  }
}
const fail = (error: Parameters<typeof unavailable>[0], detail: string): never => {
  throw new Unavailable(unavailable(error, detail));
};

function buildBody(request: LookupRequest): Uint8Array {
  const subject: Record<string, string> = { type: request.subject.type, id: request.subject.id };
  if (request.subject.name !== undefined) subject.name = request.subject.name;
  const body = {
    requestId: request.requestId,
    evidenceType: request.evidenceType,
    subject,
    fields: request.fields,
    matter: request.matter,
    requester: request.requester,
  };
  return new TextEncoder().encode(JSON.stringify(body));
}

/** The department's registered public keys (a JWK Set), checked for shape once per change. */
type DepartmentKeys = readonly Record<string, unknown>[];

/** Leeway for `exp`/`nbf` in signed answers, for clocks that disagree a little. */
const ANSWER_CLOCK_TOLERANCE_S = 60;

/** `exp`/`nbf`, when a department chooses to put them in its answers (as jose's jwtVerify checks them). */
function timeProblem(payload: Record<string, unknown>, now: number): string | undefined {
  const { nbf, exp, iat } = payload;
  if (iat !== undefined && typeof iat !== "number") return "iat-not-a-number";
  if (nbf !== undefined && typeof nbf !== "number") return "nbf-not-a-number";
  if (nbf !== undefined && nbf > now + ANSWER_CLOCK_TOLERANCE_S) return "not-yet-valid";
  if (exp !== undefined && typeof exp !== "number") return "exp-not-a-number";
  if (exp !== undefined && exp <= now - ANSWER_CLOCK_TOLERANCE_S) return "expired";
  return undefined;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Verifies a department-signed answer and returns its payload (a JSON object) and who signed it.
 * The key is the department's registered key named by `kid` (or its only key fit for `alg`).
 */
async function verifySignedAnswer(token: string, keys: () => Promise<DepartmentKeys>): Promise<{ payload: Record<string, unknown>; signature: AnswerSignature }> {
  let jwks: DepartmentKeys;
  try {
    jwks = await keys();
  } catch (err) {
    return fail("adapter-error", `cannot load the department's keys (${err instanceof Error ? err.name : "error"})`);
  }
  let header: Record<string, unknown>;
  let bytes: Uint8Array;
  try {
    const jws = parseCompactJws(token);
    if (typeof jws.header.alg !== "string" || !ANSWER_ALGORITHMS.includes(jws.header.alg)) throw new JwsError("alg-not-allowed", "alg is not allowed");
    const { jwk, alg } = selectJwk(jwks, jws.header);
    await verifyParsedJws(jws, await verifierFor(jwk, alg), ANSWER_ALGORITHMS);
    ({ header, payload: bytes } = jws);
  } catch (err) {
    const code = err instanceof JwsError ? err.code : err instanceof Error ? err.name : "error";
    return fail("bad-signature", `answer signature not accepted (${code})`);
  }
  // A correctly signed payload that is not a JSON object is a malformed answer, not a forgery.
  let payload: unknown;
  try {
    payload = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    payload = undefined;
  }
  if (!isJsonObject(payload)) return fail("malformed-answer", "signed answer payload is not a JSON object");
  const problem = timeProblem(payload, Math.floor(Date.now() / 1000));
  if (problem) return fail("bad-signature", `answer signature not accepted (${problem})`);
  return { payload, signature: { alg: header.alg as string, kid: typeof header.kid === "string" ? header.kid : undefined } };
}

async function decodeAnswer(
  res: HttpResponse,
  config: HttpSourceConfig,
  keys: () => Promise<DepartmentKeys>,
  request: LookupRequest,
): Promise<{ answer: unknown; signature?: AnswerSignature }> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(res.body).trim();
  } catch {
    return fail("malformed-answer", `answer is not UTF-8 (${res.body.byteLength} bytes)`);
  }
  const contentType = (res.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  if (contentType === "application/jose" || COMPACT_JWS.test(text)) {
    const { payload, signature } = await verifySignedAnswer(text, keys);
    // A signed answer made for another lookup must not be replayable into this one.
    if (payload.requestId !== undefined && payload.requestId !== request.requestId) {
      return fail("bad-signature", "signed answer belongs to another request");
    }
    return { answer: payload, signature };
  }
  if (config.answerSignature === "required") return fail("bad-signature", "answer is not signed but the adapter requires signed answers");
  try {
    return { answer: JSON.parse(text) };
  } catch {
    return fail("malformed-answer", `answer is neither JSON nor a JWS (${contentType || "no content-type"}, ${res.body.byteLength} bytes)`);
  }
}

function toResult(answer: z.infer<typeof departmentAnswerSchema>, request: LookupRequest, signature: AnswerSignature | undefined): LookupResult {
  if (!answer.found) return { outcome: "not_found", ...(signature ? { signature } : {}) };
  return {
    outcome: "found",
    status: answer.status,
    certificateId: answer.certificateId,
    claims: answer.claims,
    validUntil: answer.validUntil,
    // Without a name sent there is nothing to mismatch; a stray `false` must not become `mismatch`.
    nameMatches: request.subject.name === undefined ? undefined : answer.nameMatches,
    ...(signature ? { signature } : {}),
  };
}

/**
 * Creates a source that asks a department over HTTP (§4). With a connection-time reach check
 * (`ctx.connectCheck`) the source gets a client of its own whose sockets go only to checked
 * addresses, closed by `close()`; without one it uses the shared client (owned by the root).
 * @example
 * const source = createHttpSource("cc-civil-affairs-http", httpConfigSchema.parse({ endpoint: "https://dept.example/huren/lookup" }), ctx);
 * const result = await source.lookup(request, AbortSignal.timeout(5000));
 * if (result.outcome === "unavailable") log.warn(result.error, result.detail);
 */
export function createHttpSource(id: string, config: HttpSourceConfig, ctx: AdapterContext): EvidenceSource {
  const url = new URL(config.endpoint);
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  const connectCheck = ctx.connectCheck;
  const own = connectCheck && ctx.http.guarded ? ctx.http.guarded((host) => connectCheck({ host, port })) : undefined;
  const http = own ?? ctx.http;
  // `htu` binds the token to exactly what is sent: path + query, as §2 defines it.
  const htu = `${url.pathname}${url.search}`;

  // Keys are asked for on every signed answer (rotation takes effect at once), but re-checked
  // only when the registered set actually changed; each key is imported once (verifierFor).
  let cachedKeys: { json: string; keys: DepartmentKeys } | undefined;
  const departmentKeys = async (): Promise<DepartmentKeys> => {
    const jwks = await ctx.departmentKeys();
    const json = JSON.stringify(jwks);
    if (cachedKeys?.json !== json) {
      const snapshot: unknown = JSON.parse(json);
      if (!isJwkSet(snapshot)) throw new TypeError("the department's JWK Set is malformed");
      cachedKeys = { json, keys: snapshot.keys };
    }
    return cachedKeys.keys;
  };

  async function lookupOnce(request: LookupRequest, signal: AbortSignal | undefined): Promise<LookupResult> {
    if (signal?.aborted) return unavailable("timeout", "lookup aborted before it started");
    const body = buildBody(request);
    let token: string;
    try {
      token = await ctx.signer.sign({ aud: ctx.department, htm: "POST", htu, body });
    } catch (err) {
      return unavailable("adapter-error", `cannot sign the request (${err instanceof Error ? err.name : "error"})`);
    }
    let res: HttpResponse;
    try {
      res = await http.post({
        url: config.endpoint,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, accept: "application/json, application/jose" },
        body,
        timeoutMs: config.timeoutMs,
        maxBodyBytes: config.maxBodyBytes,
        signal,
      });
    } catch (err) {
      if (err instanceof HttpClientError) return unavailable(err.code, `${url.host}: ${err.message}`);
      return unavailable("adapter-error", `http client failed (${err instanceof Error ? err.name : "error"})`);
    }
    if (res.status !== 200) return unavailable("http-status", `${url.host} answered HTTP ${res.status}`);

    const decoded = await decodeAnswer(res, config, departmentKeys, request);
    const parsed = departmentAnswerSchema.safeParse(decoded.answer);
    if (!parsed.success) {
      // Paths and codes only: the values could be person data.
      const where = [...new Set(parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"} (${i.code})`))].slice(0, 5);
      return unavailable("malformed-answer", `answer does not fit the department contract at ${where.join(", ")}`);
    }
    return toResult(parsed.data, request, decoded.signature);
  }

  return {
    id,
    kind: "http",
    async lookup(request, signal) {
      try {
        return await lookupOnce(request, signal);
      } catch (err) {
        if (err instanceof Unavailable) return err.result;
        return unavailable("adapter-error", `unexpected failure (${err instanceof Error ? err.name : "error"})`);
      }
    },
    ...(own ? { close: () => own.close?.() ?? Promise.resolve() } : {}),
  };
}
