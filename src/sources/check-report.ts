/**
 * What a conformance check report may say (PROTOCOL §4): a step passed or failed, and for a
 * failure one stable code with a fixed sentence. The report is shown to the department, stored
 * as the adapter's `lastCheck` and listed in GET /v1/adapters, so it never carries what the
 * gateway's sockets saw — error codes, HTTP statuses, server messages — which would let a
 * department probe hosts through the gateway. The raw detail goes to the operator's log only
 * (and to `huren check`, which a department runs on its own machine).
 */
import type { LookupResult } from "../adapters/types.ts";
import type { AdapterKind } from "./adapter-config.ts";

/** The codes a failed step may carry; docs/departments.md explains each. */
export const CHECK_CODES = {
  "invalid-config": "the adapter's configuration is not valid (see the errors listed)",
  unreachable: "the gateway could not reach the endpoint or database",
  timeout: "no complete answer within the adapter's timeout",
  "host-not-granted": "the host resolves to an address this adapter may not reach (grants.hosts; never link-local, metadata or the gateway's own database)",
  "bad-status": "the endpoint answered with a status other than 200 (redirects are not followed)",
  "bad-answer": "the answer was malformed, too large, or does not fit the department contract",
  "bad-signature": "the answer's signature was missing or not accepted with the department's registered keys",
  "schema-mismatch": "the answer's claims do not fit the evidence type's claims schema",
  "query-failed": "the front database refused the lookup query",
  "fixture-unreadable": "the fixture file is not in the gateway's fixture folder, not readable there, or too large",
  "unexpected-result": "the probe's test subject was not found as the adapter's probe expects",
  "adapter-error": "the adapter failed for a reason on the gateway's side (see the gateway's log)",
} as const;
export type CheckCode = keyof typeof CHECK_CODES;

type Unavailable = Extract<LookupResult, { outcome: "unavailable" }>;

/**
 * The code and the sentence a department is told for an unavailable lookup.
 * @example failureOf("http", { outcome: "unavailable", error: "http-status", detail: "dept.example answered HTTP 502" })
 * // { code: "bad-status", detail: "the endpoint answered with a status other than 200 (redirects are not followed)" }
 */
export function failureOf(kind: AdapterKind, result: Unavailable): { code: CheckCode; detail: string } {
  const code = codeOf(kind, result.error);
  return { code, detail: CHECK_CODES[code] };
}

function codeOf(kind: AdapterKind, error: Unavailable["error"]): CheckCode {
  switch (error) {
    case "network":
      return "unreachable";
    case "timeout":
      return "timeout";
    case "host-not-granted":
      return "host-not-granted";
    case "http-status":
      return "bad-status";
    case "malformed-answer":
    case "too-large":
      return "bad-answer";
    case "bad-signature":
      return "bad-signature";
    case "schema-violation":
      return "schema-mismatch";
    case "adapter-error":
      return kind === "sql" ? "query-failed" : kind === "fixture" ? "fixture-unreadable" : "adapter-error";
    default:
      return "adapter-error";
  }
}
