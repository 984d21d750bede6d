/**
 * Ledger entries that are not verifications (PROTOCOL §5.4): they carry a top-level `kind`
 * (`audit-access`, `subject-access`, `key-rotation`) and fill the search columns so auditors can
 * find them by requester, uid and time. Appended inside the caller's transaction, so the
 * entry and the change it records commit together or not at all.
 */
import type { Tx } from "../db/types.ts";
import { appendEntries, type AppendedEntry } from "./append.ts";

export type EntryKind = "audit-access" | "subject-access" | "key-rotation";

export interface KindEntry {
  kind: EntryKind;
  /** Who caused it: a member id, or the gateway itself. */
  requester: string;
  uid?: string | undefined;
  /** A unique id for the entry (stored as its verification id column, which is unique). */
  id: string;
  /** The keyed subject reference when a person is concerned; otherwise none. */
  subjectRef?: string | undefined;
  recordedAt: Date;
  /** The entry's own fields, besides kind, requester, uid and time. */
  fields: Record<string, unknown>;
}

/**
 * @example
 * const at = await db.transaction((tx) => appendKindEntry(tx, { kind: "key-rotation", requester: "admin-1", id: `kr_${newId()}`, recordedAt: now(), fields: { newKid } }));
 */
export async function appendKindEntry(tx: Tx, e: KindEntry): Promise<AppendedEntry> {
  const [appended] = await appendEntries(tx, [
    {
      entry: { ...e.fields, kind: e.kind, requester: e.requester, ...(e.uid ? { uid: e.uid } : {}), time: e.recordedAt.toISOString() },
      verificationId: e.id,
      subjectRef: e.subjectRef ?? "",
      requester: e.requester,
      uid: e.uid,
      matter: undefined,
      caseRef: undefined,
      decision: e.kind,
      evidenceTypes: [],
      recordedAt: e.recordedAt,
    },
  ]);
  return appended!;
}
