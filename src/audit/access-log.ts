/**
 * §5.4: an auditor's search by person, subject report or export is itself ledgered — an
 * `audit-access` entry naming the auditor, the clerk id (`uid`), the purpose (case or ticket
 * reference), the person's keyed reference when one was named, and the filters — and it must
 * commit before the answer is sent, exactly as a verification's entry must.
 */
import { z } from "zod";
import type { AppDeps } from "../deps.ts";
import type { Subject } from "../catalog/subject.ts";
import { HurenError } from "../errors.ts";
import { appendRecord, type RecordKind } from "../ledger/record.ts";
import type { AppendedEntry } from "../ledger/append.ts";

export const purposeSchema = z
  .string()
  .trim()
  .min(1, "purpose is required: the case or ticket reference this access is for")
  .max(128)
  .describe("Why: the auditor's case or ticket reference (1–128 characters); ledgered with the access");

export interface AccessRecord {
  kind: Extract<RecordKind, "audit-access" | "subject-access">;
  /** search | subject-report | export | access-report */
  action: string;
  requester: string;
  uid: string | undefined;
  purpose?: string | undefined;
  subject?: Subject | undefined;
  /** What was asked for, without the person (who is recorded by reference only). */
  filters: Record<string, unknown>;
}

/**
 * Appends the access; throws 503 ledger-unavailable if it cannot commit (then nothing is answered).
 * @example
 * await recordAccess(deps, { kind: "audit-access", action: "export", requester, uid, purpose, filters: { format: "csv" } });
 */
export async function recordAccess(deps: Pick<AppDeps, "secrets" | "ledger" | "gatewayId" | "now" | "newId" | "logger">, a: AccessRecord): Promise<AppendedEntry> {
  const subject = a.subject ? { type: a.subject.type, ref: await deps.secrets.subjectRef(a.subject) } : undefined;
  const filters = Object.fromEntries(Object.entries(a.filters).filter(([, v]) => v !== undefined));
  const id = `${a.kind === "audit-access" ? "aa" : "sa"}_${deps.newId()}`;
  try {
    return await appendRecord(deps.ledger.writer, {
      kind: a.kind,
      id,
      gateway: deps.gatewayId,
      requester: a.requester,
      uid: a.uid,
      subject,
      recordedAt: deps.now(),
      fields: { action: a.action, ...(a.purpose !== undefined ? { purpose: a.purpose } : {}), filters },
    });
  } catch (err) {
    deps.logger.error({ event: "ledger-append-failed", accessId: id, error: err instanceof Error ? err.message : String(err) });
    throw new HurenError("ledger-unavailable", 503, "Ledger unavailable", "the access could not be recorded, so nothing is answered; retry later", { cause: err });
  }
}
