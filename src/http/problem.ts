/**
 * RFC 9457 problem details. One onError maps, in order: domain error → problem; Hono
 * HTTPException → problem; ZodError → 400 with errors[]; anything else → 500 whose detail is
 * only the request id. Nothing internal is ever echoed on a 5xx.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { ZodError } from "zod";
import { HurenError, type FieldError, type ProblemCode } from "../errors.ts";
import { isDatabaseUnavailable } from "../db/unavailable.ts";

export const PROBLEM_BASE = "https://huren.dev/problems/";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  requestId?: string;
  errors?: FieldError[];
  /** Extension members (RFC 9457 §3.2), e.g. `violated-policies`. */
  [extension: string]: unknown;
}

export function problemBody(
  code: ProblemCode,
  status: number,
  title: string,
  detail: string,
  extra?: { errors?: FieldError[]; requestId?: string; extensions?: Record<string, unknown> },
): Problem {
  return {
    ...extra?.extensions,
    type: PROBLEM_BASE + code,
    title,
    status,
    detail,
    ...(extra?.requestId ? { requestId: extra.requestId } : {}),
    ...(extra?.errors ? { errors: extra.errors } : {}),
  };
}

export function problemResponse(c: Context, problem: Problem, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store", ...headers },
  });
}

export const zodErrors = (err: ZodError): FieldError[] =>
  err.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));

/** The database is down, restarting or unreachable: 503, and nothing about where it is. */
export const databaseUnavailable = (cause?: unknown) =>
  new HurenError("database-unavailable", 503, "Database unavailable", "the gateway cannot reach its database just now; retry later", { cause });

/**
 * Maps any thrown value to a problem response; `unexpected` marks a 500 (log the error), and
 * `databaseDown` a database that could not be reached (log that, without the driver's message).
 */
export function toProblem(err: unknown, requestId: string): { problem: Problem; unexpected: boolean; databaseDown?: boolean; headers?: Record<string, string> } {
  if (err instanceof HurenError) {
    const extra = { requestId, ...(err.errors ? { errors: err.errors } : {}), ...(err.extensions ? { extensions: err.extensions } : {}) };
    return { problem: problemBody(err.code, err.status, err.title, err.message, extra), unexpected: false, ...(err.headers ? { headers: err.headers } : {}) };
  }
  if (err instanceof ZodError) {
    return { problem: problemBody("validation-failed", 400, "Validation failed", "The request is not valid", { requestId, errors: zodErrors(err) }), unexpected: false };
  }
  if (isDatabaseUnavailable(err)) {
    const e = databaseUnavailable();
    return { problem: problemBody(e.code, e.status, e.title, e.message, { requestId }), unexpected: false, databaseDown: true };
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code: ProblemCode = err.status === 413 ? "body-too-large" : err.status === 415 ? "unsupported-media-type" : "validation-failed";
    return { problem: problemBody(code, err.status, "Bad request", err.message || "The request is not valid", { requestId }), unexpected: false };
  }
  return {
    problem: problemBody("internal", 500, "Internal error", `Something went wrong on our side; quote request id ${requestId}`, { requestId }),
    unexpected: true,
  };
}
