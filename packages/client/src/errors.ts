/** Errors the SDK throws: a stable `code` to branch on, and a message a person can read. */

export type VerifyErrorCode =
  | "malformed"
  | "bad-signature"
  | "wrong-type"
  | "wrong-issuer"
  | "wrong-audience"
  | "subject-mismatch"
  | "leaf-mismatch"
  | "inclusion-failed"
  | "log-signature"
  | "quorum-not-met";

/** An offline check (receipt, proof) that did not pass; `code` says which step failed. */
export class VerifyError extends Error {
  override readonly name = "VerifyError";
  constructor(
    readonly code: VerifyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** An RFC 9457 problem the gateway answered with. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
}

/** A non-2xx answer from the gateway; `code` is the last segment of the problem type (e.g. `replayed`). */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly code: string;
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
  ) {
    super(problem ? `${status} ${problem.title}${problem.detail ? `: ${problem.detail}` : ""}` : `HTTP ${status}`);
    this.code = problem?.type.split("/").pop() ?? `http-${status}`;
  }
}
