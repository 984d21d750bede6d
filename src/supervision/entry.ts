/**
 * What supervision reads from a ledger entry. Entries are the ledger's exact JSON, written by
 * every version of the gateway: fields added in v1.1 (`department`, `adapter`, `latencyMs`) are
 * missing from older entries, and entries with a top-level `kind` other than `verification`
 * (audit-access, subject-access, key-rotation …) are not verifications and are skipped.
 */
export type ItemStatus = "verified" | "not_found" | "invalid" | "mismatch" | "denied" | "unavailable";

export interface ItemFacts {
  type: string;
  status: ItemStatus;
  /** The first denial reason (what the window was told), for denied items. */
  reason: string | null;
  /** Who was asked; null when no department was (denied, no adapter), undefined when the entry predates the field. */
  department: string | null | undefined;
  adapter: string | null;
  latencyMs: number | null;
  error: string | null;
}

export interface VerificationFacts {
  index: number;
  time: Date;
  window: string;
  uid: string | null;
  matter: string;
  caseRef: string | null;
  subjectRef: string | null;
  items: ItemFacts[];
}

export const ANSWERED: ReadonlySet<string> = new Set(["verified", "not_found", "invalid", "mismatch"]);

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);

/**
 * The facts of one entry, or undefined when it is not a verification (or not readable as one).
 * @example readEntry(7, '{"kind":"audit-access",…}') // undefined
 */
export function readEntry(index: number, json: string): VerificationFacts | undefined {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (e.kind !== undefined && e.kind !== "verification") return undefined;
  const window = str(e.requester);
  const time = typeof e.time === "string" ? new Date(e.time) : undefined;
  if (!window || !time || Number.isNaN(time.getTime()) || !Array.isArray(e.items)) return undefined;
  const subject = e.subject as { ref?: unknown } | undefined;
  const items = (e.items as Record<string, unknown>[]).map((it): ItemFacts => {
    const status = (str(it.status) ?? (it.decision === "deny" ? "denied" : "unavailable")) as ItemStatus;
    const reasons = Array.isArray(it.reasons) ? it.reasons : [];
    return {
      type: str(it.type) ?? "unknown",
      status,
      reason: status === "denied" ? (str(reasons[0]) ?? "no-policy") : null,
      department: "department" in it ? str(it.department) : undefined,
      adapter: str(it.adapter) ?? str(it.source),
      latencyMs: typeof it.latencyMs === "number" && Number.isFinite(it.latencyMs) ? it.latencyMs : null,
      error: str(it.error),
    };
  });
  return { index, time, window, uid: str(e.uid), matter: str(e.matter) ?? "unknown", caseRef: str(e.case), subjectRef: str(subject?.ref), items };
}

/** `<window>/<uid>`, as §10 names a clerk; a verification without a uid is the window's own (`-`). */
export const operatorOf = (f: Pick<VerificationFacts, "window" | "uid">): string => `${f.window}/${f.uid ?? "-"}`;
