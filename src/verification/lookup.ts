/**
 * Asking a department for one permitted item and reducing its answer to what may be disclosed.
 * Whatever the department sends, only `valid`, `certStatus` and the decided fields leave here.
 */
import type { EvidenceSource, LookupRequest, LookupResult } from "../adapters/types.ts";
import type { EvidenceTypeDef } from "../catalog/evidence-types.ts";
import { validateClaims } from "../catalog/claims-validation.ts";
import type { ResilientSource } from "../sources/resilience.ts";
import type { ItemResult } from "./request.ts";

export interface LookupOutcome {
  result: ItemResult;
  /** Operator-facing failure detail for the log (never person data); absent on success. */
  error?: { code: string; detail: string };
}

/** Keeps only the decided fields; `valid` (the verdict) is always there. */
export function minimise(claims: Record<string, unknown>, fields: string[], verdict: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...verdict };
  for (const f of fields) if (f !== "valid" && f !== "certStatus" && claims[f] !== undefined) out[f] = claims[f];
  return out;
}

/** Sources that keep a caller's deadline themselves (every source the resolver hands out). */
function keepsDeadlines(source: EvidenceSource): source is EvidenceSource & Pick<ResilientSource, "lookupWithin"> {
  return typeof (source as Partial<ResilientSource>).lookupWithin === "function";
}

/** Any other source: abort it and answer `timeout` at the deadline, whether or not it stops. */
async function withDeadline(source: EvidenceSource, request: LookupRequest, deadlineMs: number): Promise<LookupResult> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      source.lookup(request, controller.signal),
      new Promise<LookupResult>((resolve) => {
        timer = setTimeout(() => {
          controller.abort();
          resolve({ outcome: "unavailable", error: "timeout", detail: `no answer within ${deadlineMs} ms` });
        }, deadlineMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs one lookup with a hard deadline and maps the answer to a §3 result.
 * @example
 * const { result } = await lookupItem({ source, request, def, fields: ["validUntil"], deadlineMs: 5000, now });
 */
export async function lookupItem(args: {
  source: EvidenceSource;
  adapterId: string;
  request: LookupRequest;
  def: EvidenceTypeDef;
  fields: string[];
  /** Backstop over the adapter's own timeout, so no item can hold a verification forever. */
  deadlineMs: number;
  now: () => Date;
}): Promise<LookupOutcome> {
  const { source, adapterId, def, fields } = args;
  const base = { type: def.type, source: adapterId };
  const unavailable = (code: string, detail: string): LookupOutcome => ({
    result: { ...base, status: "unavailable", reason: code, checkedAt: args.now().toISOString() },
    error: { code, detail },
  });

  let answer: LookupResult;
  try {
    answer = keepsDeadlines(source) ? await source.lookupWithin(args.request, args.deadlineMs) : await withDeadline(source, args.request, args.deadlineMs);
  } catch (err) {
    // Adapters should not throw, but a bug in one must not fail the whole verification.
    answer = { outcome: "unavailable", error: "adapter-error", detail: err instanceof Error ? err.name : "error" };
  }
  const checkedAt = args.now().toISOString();

  if (answer.outcome === "unavailable") return unavailable(answer.error, answer.detail);
  if (answer.outcome === "not_found") return { result: { ...base, status: "not_found", checkedAt } };

  const claims = { ...answer.claims };
  if (claims.validUntil === undefined && answer.validUntil !== undefined) claims.validUntil = answer.validUntil;
  const checked = validateClaims(def, claims);
  if (!checked.ok) {
    const paths = checked.errors.map((e) => e.path || "(root)").join(", ");
    return unavailable("schema-violation", `claims do not fit the ${def.type} schema at ${paths}`);
  }
  // A name mismatch says nothing else about the record: no claims at all.
  if (answer.nameMatches === false) return { result: { ...base, status: "mismatch", checkedAt } };
  if (answer.status !== "valid") {
    return { result: { ...base, status: "invalid", checkedAt, claims: { valid: false, certStatus: answer.status } } };
  }
  return { result: { ...base, status: "verified", checkedAt, claims: minimise(checked.claims, fields, { valid: true }) } };
}
