/**
 * Domain errors: a stable `code` (the problem type's last segment), an HTTP status, a human
 * message and optional structured fields. Routes never build problems by hand; one onError
 * maps these (see src/http/problem.ts).
 */
export type ProblemCode =
  // §2 authentication
  | "missing-token"
  | "malformed-token"
  | "unsupported-alg"
  | "wrong-token-type"
  | "unknown-key"
  | "bad-signature"
  | "wrong-audience"
  | "expired"
  | "not-yet-valid"
  | "lifetime-too-long"
  | "bad-jti"
  | "method-mismatch"
  | "url-mismatch"
  | "body-mismatch"
  | "uid-required"
  | "replayed"
  | "forbidden-for-kind"
  | "forbidden"
  // operations (#14): a member's or an acting person's request rate
  | "rate-limited"
  // request shape
  | "malformed-json"
  | "ill-formed-input"
  | "unsupported-media-type"
  | "body-too-large"
  | "body-incomplete"
  | "validation-failed"
  | "not-found"
  | "method-not-allowed"
  // domain
  | "unknown-matter"
  | "unknown-evidence-type"
  | "unknown-field"
  | "builtin-type"
  | "conflict"
  | "bad-range"
  | "bad-tile-path"
  | "not-yet-checkpointed"
  | "invalid-adapter-config"
  // §4 grants
  | "evidence-type-not-granted"
  | "host-not-granted"
  | "invalid-policy"
  | "unknown-member"
  | "consent-invalid"
  // supervision (§10)
  | "card-not-found"
  | "card-closed"
  // server side
  | "ledger-unavailable"
  | "database-unavailable"
  | "internal";

export interface FieldError {
  path: string;
  message: string;
}

export class HurenError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  readonly errors: FieldError[] | undefined;
  /** Problem extension members (RFC 9457 §3.2), e.g. `violated-policies` on a 429. */
  readonly extensions: Record<string, unknown> | undefined;
  /** Response header fields the problem needs (Retry-After and the RateLimit fields on a 429). */
  readonly headers: Record<string, string> | undefined;

  constructor(
    code: ProblemCode,
    status: number,
    title: string,
    detail: string,
    options?: { errors?: FieldError[]; cause?: unknown; extensions?: Record<string, unknown>; headers?: Record<string, string> },
  ) {
    super(detail, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HurenError";
    this.code = code;
    this.status = status;
    this.title = title;
    this.errors = options?.errors;
    this.extensions = options?.extensions;
    this.headers = options?.headers;
  }
}

/** 401 with the failed check's code. */
export const authError = (code: ProblemCode, detail: string) =>
  new HurenError(code, 401, "Request authentication failed", detail);

export const notFound = (what: string) => new HurenError("not-found", 404, "Not found", `${what} does not exist`);

export const validationFailed = (errors: FieldError[], detail = "The request body is not valid") =>
  new HurenError("validation-failed", 400, "Validation failed", detail, { errors });
